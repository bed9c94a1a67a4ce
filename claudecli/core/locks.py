"""An exclusive file lock (``fcntl.flock``) that waits, or gives up, as the caller says.

The lock is held by an open file descriptor, so the kernel releases it when the process dies, however it
dies: a run killed with SIGKILL never leaves a stale lock behind. Used by the batch commands (one cron run at a
time) and by ``ask --session`` (one call at a time per conversation).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

POLL_S = 0.05


class LockBusy(Exception):
    """Another process holds the lock and did not let go in time."""


@contextlib.contextmanager
def file_lock(
    path: Path, *, wait: float | None, busy: str = "another claudecli process holds a lock"
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600 if missing; left in place afterwards, since
    removing a lock file another process is waiting on would let a third one take a second lock).

    ``wait``: seconds to wait for it (0 = do not wait, None = forever); :class:`LockBusy` (``busy``) after that.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, wait, busy)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, wait: float | None, busy: str) -> None:
    if wait is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockBusy(busy) from None
        time.sleep(POLL_S)
