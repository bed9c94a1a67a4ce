"""Holding Ctrl-C back over a few steps that must not be cut half-way, then delivering it; and remembering a
SIGTERM/SIGHUP that asked the process to end.

Only the main thread receives Ctrl-C and may set a handler; elsewhere, and under a handler not set from
Python, nothing is held.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any


class HeldCtrlC:
    """``with HeldCtrlC():`` (or ``hold()`` … ``release()``): a Ctrl-C in between waits until the release."""

    def __init__(self) -> None:
        self.held = False
        self._previous: Any = None
        self._holding = False

    def hold(self) -> HeldCtrlC:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not None:
                self._previous = previous
                signal.signal(signal.SIGINT, self._record)
                self._holding = True
        return self

    def _record(self, _number: int, _frame: FrameType | None) -> None:
        self.held = True

    def release(self) -> None:
        """Put the handler back; a Ctrl-C held meanwhile is delivered to it now (before the next statement)."""
        if self._holding:
            self._holding = False
            signal.signal(signal.SIGINT, self._previous)
            if self.held:
                signal.raise_signal(signal.SIGINT)

    def __enter__(self) -> HeldCtrlC:
        return self.hold()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


_termination = threading.Event()


def request_termination() -> None:
    """Remember that SIGTERM or SIGHUP asked the process to end (the handler calls this, then raises).

    The exception a handler raises lands in whatever Python code runs next, and where that is a weakref callback,
    a ``__del__`` or a collector callback, Python prints it as "ignored" and drops it. A loop that waits for the
    user (chat's prompt) asks ``termination_requested`` before it waits again, so the request is never lost.
    """
    _termination.set()


def termination_requested() -> bool:
    return _termination.is_set()
