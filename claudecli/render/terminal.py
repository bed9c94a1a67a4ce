"""Terminal settings the live renderer needs while it owns part of the screen."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable


def hide_control_echo() -> Callable[[], None]:
    """Stop the tty echoing ``^C`` while a live area is drawn; return a function that restores it.

    The kernel echoes Ctrl-C as two characters at the cursor, under rich's live area; the cursor then sits
    where rich does not expect it, and erasing the live area leaves a stale row behind (a duplicated first
    line in the scrollback). Does nothing when stdin is not a terminal or termios is unavailable.
    """
    try:
        import termios

        fd = sys.stdin.fileno()
        if not sys.stdin.isatty():
            return lambda: None
        saved = termios.tcgetattr(fd)
        quiet = list(saved)
        quiet[3] = quiet[3] & ~termios.ECHOCTL
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    except (ImportError, AttributeError, OSError, ValueError):
        return lambda: None

    def restore() -> None:
        with contextlib.suppress(OSError, ValueError):
            termios.tcsetattr(fd, termios.TCSANOW, saved)

    return restore
