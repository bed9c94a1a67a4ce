"""A file lock (``fcntl.flock``) that keeps overlapping cron runs of batch commands from racing.

The lock is held by an open file descriptor, so the kernel releases it when the process dies, however it
dies: a run killed with SIGKILL never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from claudecli.core.fsutil import ensure_private_dir

LOCK_NAME = "batch.lock"
POLL_S = 0.05


class LockBusy(Exception):
    """Another process holds the lock and did not let go in time."""


@contextlib.contextmanager
def batch_lock(data_dir: Path, *, wait: float | None) -> Iterator[None]:
    """Hold the batch lock for the block. ``wait``: seconds to wait for it (0 = do not wait, None = forever).

    Raises :class:`LockBusy` when it could not be taken in time.
    """
    ensure_private_dir(data_dir)
    with file_lock(data_dir / LOCK_NAME, wait=wait):
        yield


@contextlib.contextmanager
def file_lock(path: Path, *, wait: float | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600 if missing; left in place afterwards, since
    removing a lock file another process is waiting on would let a third one take a second lock)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, wait)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, wait: float | None) -> None:
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
                raise LockBusy("another claudecli batch command is running") from None
        time.sleep(POLL_S)
