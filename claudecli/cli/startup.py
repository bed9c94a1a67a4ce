"""The console entry point, and the garbage-collector pause that makes start-up cheaper.

Loading modules allocates hundreds of thousands of objects (classes, functions, pydantic models) that live
as long as the process and almost never form garbage. The cyclic collector cannot know that: it walks the
young objects every 700 allocations and, as they age, the whole growing heap again and again. Measured here,
that is about 15 % of the SDK's import, some 0.18 s of every ``claudecli ask``.

So :func:`main` pauses the collector before anything else is imported, and :func:`resume` ends the pause
once a command starts its own work (``commands._common.app_context``) or once the SDK has loaded
(:func:`claudecli.core.client.sdk`). Resuming first *freezes* what is loaded (``gc.freeze``: moved to a
permanent generation the collector never scans), so the first collection after the pause does not walk it
all at once, and long-running commands (``chat``, ``batch run``) collect as usual from then on.

Only the console entry point pauses; code that imports claudecli as a library (the tests) never has its
collector touched, except by the one ``freeze`` that follows a first SDK import (see ``client.sdk``).
"""

from __future__ import annotations

import gc

_paused_by_us = False


def pause() -> None:
    """Stop automatic collection until :func:`resume` (a no-op if someone else already stopped it)."""
    global _paused_by_us
    if gc.isenabled():
        gc.disable()
        _paused_by_us = True


def resume() -> None:
    """Freeze what is loaded and collect automatically again, if :func:`pause` stopped it (else nothing)."""
    global _paused_by_us
    if _paused_by_us:
        _paused_by_us = False
        gc.freeze()
        gc.enable()


def main() -> None:
    """``claudecli`` and ``python -m claudecli``: pause the collector, then load and run the app."""
    pause()
    from claudecli.cli.app import main as run_app

    run_app()
