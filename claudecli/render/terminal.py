"""Terminal settings the live renderers need while they own part of the screen."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from claudecli.core.controls import is_tty
from claudecli.core.errors import Interrupted, TerminatedError


class _EchoHolds:
    """Who currently needs the echo off. Holds nest in any order (the warm-up's spinner, the turn, the call's
    spinner, the live answer): the echo goes off with the first and comes back with the last, so a hand-over
    from one to the next never leaves a moment in which a typed key is echoed into a live area."""

    def __init__(self) -> None:
        self.count = 0
        self.saved: tuple[int, list[Any]] | None = None
        # Tool events (and so holds) come from the tool threads too: a release racing an acquire could save
        # the echo-off settings as the ones to restore, and leave the echo off for good.
        self.lock = threading.RLock()

    def acquire(self) -> None:
        with self.lock:
            if self.count == 0:
                import termios

                fd = sys.stdin.fileno()
                saved = termios.tcgetattr(fd)
                quiet = list(saved)
                quiet[3] = quiet[3] & ~(termios.ECHO | termios.ECHOCTL | termios.ECHONL)
                termios.tcsetattr(fd, termios.TCSANOW, quiet)
                self.saved = (fd, saved)
                atexit.register(self.restore)
            self.count += 1

    def release(self) -> None:
        with self.lock:
            self.count -= 1
            if self.count == 0:
                self.restore()

    def restore(self) -> None:
        with self.lock:
            atexit.unregister(self.restore)
            saved, self.saved = self.saved, None
            if saved is None:
                return
            with contextlib.suppress(ImportError, OSError, ValueError):
                import termios

                termios.tcsetattr(saved[0], termios.TCSANOW, saved[1])


_holds = _EchoHolds()


def hide_typed_echo() -> Callable[[], None]:
    """Stop the tty echoing keys while a live area is drawn; return a function that gives this hold back (the
    echo returns when every hold is given back; giving one back twice counts once).

    rich redraws a live area (the streamed answer's unfinished rows, the waiting spinner) by moving the cursor up
    as many rows as it drew. A key typed meanwhile is echoed by the kernel at the cursor, under or beside the
    live area: text that wraps the last row (or a ``^C``) adds a row rich does not know of, the cursor-up is one
    row short, and the stale row stays in the scrollback as a duplicated line. With the echo off the screen is
    rich's alone. What is typed is not lost: the line discipline stays canonical, so the keys wait in the tty's
    input queue and the next prompt (prompt-toolkit) reads them as if typed there; Ctrl-C still raises SIGINT.
    Does nothing when stdin is not a terminal or termios is unavailable. The echo is restored at exit too, so
    an unexpected end never leaves the user's shell without it.
    """
    try:
        if not is_tty(sys.stdin):
            return _nothing
        _holds.acquire()
    except (ImportError, AttributeError, OSError, ValueError):
        return _nothing
    given_back = False

    def give_back() -> None:
        nonlocal given_back
        with _holds.lock:
            if not given_back:
                given_back = True
                _holds.release()

    return give_back


def _nothing() -> None:
    pass


class EchoHold:
    """One party's hold on the hidden echo that it can give back and take again (a chat turn: it gives it back
    while the person is asked something, and takes it again when the tool they allowed starts). Thread-safe."""

    def __init__(self) -> None:
        self._give_back: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def take(self) -> None:
        with self._lock:
            if self._give_back is None and not self._closed:
                self._give_back = hide_typed_echo()

    def close(self) -> None:
        """Give it back for good: a late taker (a tool thread outliving its turn) can no longer take it."""
        with self._lock:
            self._closed = True
        self.give_back()

    def give_back(self) -> None:
        with self._lock:
            give_back, self._give_back = self._give_back, None
        if give_back is not None:
            give_back()


def typed_echo_shown(file: IO[str]) -> bool:
    """Whether ``file`` is a terminal that echoes typed control keys: a Ctrl-C there has left ``^C`` where the
    cursor was, so what follows should start on a new line (as the end of a cut-short answer does)."""
    try:
        import termios

        fd = file.fileno()
        if not os.isatty(fd):
            return False
        flags = termios.tcgetattr(fd)[3]
    except (ImportError, AttributeError, OSError, ValueError):
        return False
    return bool(flags & termios.ECHO) and bool(flags & termios.ECHOCTL)


def ctrl_c_echoed(file: IO[str], error: BaseException) -> bool:
    """Whether ``error`` is a Ctrl-C that this terminal echoed as ``^C`` where the cursor was, so what follows
    should start on a new line (SIGTERM and SIGHUP echo nothing). Ask before a spinner stops: it hides the echo."""
    return (
        isinstance(error, Interrupted) and not isinstance(error, TerminatedError) and typed_echo_shown(file)
    )


def ignore_mouse_reports(bindings: Any) -> None:
    """Drop what prompt-toolkit parses as a mouse report, on a prompt that never turns mouse reporting on.

    Such a report can then only be typed keys (``Esc [ M ~~~``), and prompt-toolkit's own handler fails on
    some of them with a traceback and "Press ENTER to continue". A binding of the application's outranks it.
    """
    from prompt_toolkit.keys import Keys

    bindings.add(Keys.Vt100MouseEvent)(lambda event: None)
