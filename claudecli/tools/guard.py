"""Keeping claudecli's own memory out of reach of the tools it starts.

A tool's child gets an environment without secrets (``child``), but it runs as the same user as claudecli, and on
Linux a process of the same user may read ``/proc/<claudecli>/environ`` (the environment claudecli started with,
API key included) and ``/proc/<claudecli>/mem``. Marking claudecli non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``)
closes both to every other process of the user (root keeps its powers; a non-dumpable process also writes no core
dump). Done once, just before the first tool source starts, so a plain ``ask`` is untouched. The children are not
affected: ``execve`` makes a program dumpable again.
"""

from __future__ import annotations

import functools
import os
import sys

PR_SET_DUMPABLE = 4  # <linux/prctl.h>


@functools.cache
def guard_process_memory() -> str | None:
    """Make this process non-dumpable; None when done, else why it could not be (other systems: nothing to do
    the same way, so a same-user process may still read claudecli's memory there)."""
    if not sys.platform.startswith("linux"):
        return f"no PR_SET_DUMPABLE on {sys.platform}"
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            return f"prctl(PR_SET_DUMPABLE) failed: {os.strerror(ctypes.get_errno())}"
    except (OSError, AttributeError, ValueError) as exc:  # no libc to load, or no prctl in it
        return f"prctl is not available: {exc}"
    return None
