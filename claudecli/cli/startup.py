"""The console entry point (``claudecli`` and ``python -m claudecli``).

It arms the start-up garbage-collector pause (:mod:`claudecli.core.gc_pause`) before anything else is
imported, then loads and runs the app.
"""

from __future__ import annotations

from claudecli.core import gc_pause


def main() -> None:
    gc_pause.arm()
    from claudecli.cli.app import main as run_app

    run_app()
