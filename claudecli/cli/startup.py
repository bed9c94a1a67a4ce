"""The console entry point (``claudecli`` and ``python -m claudecli``).

It arms the start-up garbage-collector pause (:mod:`claudecli.core.gc_pause`) before anything else is
imported, gives a standard stream closed by whoever started claudecli a descriptor, then loads and runs the app.
"""

from __future__ import annotations

import io
import os
import sys

from claudecli.core import gc_pause

STANDARD_STREAMS = ("stdin", "stdout", "stderr")


def claim_standard_streams() -> None:
    """Open /dev/null on each standard descriptor that came closed (``claudecli ask hi <&-``).

    Python leaves such a stream ``None``, and the next file opened takes its number: a ledger opened as
    descriptor 1 would receive the answer. So a closed stdin reads as empty (as ``</dev/null`` does), a closed
    stderr drops the notes, and a closed stdout refuses every write: the command ends with "cannot write to
    stdout" (exit 2), as ``ls >&-`` fails, instead of an answer nobody can read passing for a success. A
    command that writes only to files (``batch run -o``) never notices.
    """
    for number, name in enumerate(STANDARD_STREAMS):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(number)
            continue  # open after all (Python judged otherwise): leave it alone
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDONLY if number == 0 else os.O_WRONLY)
        if null != number:
            os.dup2(null, number)
            os.close(null)
        raw = io.FileIO(number, "r" if number == 0 else "w", closefd=False)
        buffered = io.BufferedReader(raw) if number == 0 else io.BufferedWriter(raw)
        kind: type[io.TextIOWrapper] = io.TextIOWrapper
        if name == "stdout":
            from claudecli.core.safe_output import (
                ClosedStdout,  # lazy: only a stdout closed at start needs it
            )

            kind = ClosedStdout
        setattr(sys, name, kind(buffered, encoding="utf-8", errors="backslashreplace", line_buffering=True))


def main() -> None:
    gc_pause.arm()
    claim_standard_streams()
    from claudecli.cli.app import main as run_app

    run_app()
