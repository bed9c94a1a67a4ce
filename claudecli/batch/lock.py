"""A file lock (``fcntl.flock``) that keeps overlapping cron runs of batch commands from racing.

The lock is held by an open file descriptor, so the kernel releases it when the process dies, however it
dies: a run killed with SIGKILL never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from claudecli.core.fsutil import ensure_private_dir
from claudecli.core.locks import LockBusy, file_lock

__all__ = ["LOCK_NAME", "LockBusy", "batch_lock", "file_lock"]

LOCK_NAME = "batch.lock"


@contextlib.contextmanager
def batch_lock(data_dir: Path, *, wait: float | None) -> Iterator[None]:
    """Hold the batch lock for the block. ``wait``: seconds to wait for it (0 = do not wait, None = forever).

    Raises :class:`LockBusy` when it could not be taken in time.
    """
    ensure_private_dir(data_dir)
    with file_lock(data_dir / LOCK_NAME, wait=wait, busy="another claudecli batch command is running"):
        yield
