"""Ctrl-C during a turn: the first one while the answer streams cancels it; any other is ignored.

``stream_message`` turns a KeyboardInterrupt inside the stream into an interrupted (kept, booked) answer.
A second Ctrl-C a few milliseconds later would otherwise land in the middle of that booking and lose the
exchange; once the stream is over there is nothing left to cancel. So during a turn SIGINT raises only
while the guard is armed, and disarms it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class StreamGuard:
    def __init__(self) -> None:
        self.armed = True

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt

    def disarm(self) -> None:
        self.armed = False


@contextlib.contextmanager
def one_interrupt() -> Iterator[StreamGuard]:
    """Install a :class:`StreamGuard` as the SIGINT handler for the block (main thread only)."""
    guard = StreamGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGINT, guard)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGINT, previous)
