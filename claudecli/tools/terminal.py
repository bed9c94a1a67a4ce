"""Asking the person at the controlling terminal, through ``/dev/tty``.

stdin may be a pipe of untrusted text (``git diff | claudecli ask --tools shell ...``): the question is asked
and answered on ``/dev/tty``, never on stdin, so piped text can never answer it. Without a controlling terminal
(cron, CI, a daemon) ``/dev/tty`` cannot be opened and there is nobody to ask: :func:`terminal_ask_person`
returns None and the approval rules decline what needs a person.

The tool's name and arguments are shown through :mod:`claudecli.tools.prompt_view`: escapes and control
characters shown escaped (a model's arguments cannot redraw the question), padding collapsed, long values cut to
their start and end, the whole bounded to the screen; when the arguments are long the tool's name is repeated
right above "Run it?", with what was not shown (``e`` shows everything). Every known secret is masked there
and in everything else written to the terminal, through the program's scrub (:mod:`claudecli.tools.masked_args`;
what the tool receives is unchanged). Keys typed before the question appeared
(during the answer's stream) are discarded, so a ``y`` typed ahead cannot approve a call nobody has seen.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

from claudecli.core.controls import is_tty
from claudecli.tools.approval import AskPerson, NoPerson, PersonAnswer
from claudecli.tools.base import Tool, ToolCall
from claudecli.tools.masked_args import Scrub, masked_arguments
from claudecli.tools.prompt_view import (
    CHOICES,
    ArgumentsView,
    arguments_view,
    footer,
    one_line,
    screen_budget,
    visible_json,
)

TTY = "/dev/tty"
SEE_ALL = "[e] shows it all (an empty line then comes back here)"


class Tty:
    """The controlling terminal: text written (through ``scrub``), lines read (a tty cannot be opened "r+" as one
    buffered file)."""

    def __init__(self, fd: int, scrub: Scrub = str) -> None:
        self.fd = fd
        self.scrub = scrub
        self._reader = open(fd, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115

    def write(self, text: str) -> None:
        data = self.scrub(text).encode("utf-8", errors="replace")
        while data:
            data = data[os.write(self.fd, data) :]

    def flush(self) -> None:
        pass

    def readline(self) -> str:
        return self._reader.readline()

    def close(self) -> None:
        self._reader.close()
        os.close(self.fd)

    def __enter__(self) -> Tty:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_tty(path: str = TTY, scrub: Scrub = str) -> Tty | None:
    """The controlling terminal for reading and writing (what is written passes ``scrub``), or None when there is
    none."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    if not os.isatty(fd):
        os.close(fd)
        return None
    return Tty(fd, scrub)


def describe(
    tool: Tool, call: ToolCall, scrub: Scrub, size: tuple[int, int] = (80, 24)
) -> tuple[str, ArgumentsView]:
    """The question's text (who wants what, with which arguments, secrets masked by ``scrub``) for a ``size`` =
    (columns, lines) screen."""
    width, max_rows = screen_budget(*size)
    shown = masked_arguments(call.input, scrub)
    view = arguments_view(shown, width=width, max_rows=max_rows, schema=tool.input_schema)
    header = f"Claude wants to run the tool {_label(tool)} ({tool.approval.value} approval) with:"
    return "\n".join([header, *view.rows]), view


def _label(tool: Tool) -> str:
    source = f" from {one_line(tool.source, 32)}" if tool.source else ""
    return one_line(tool.name, 64) + source


def terminal_ask_person(
    scrub: Scrub, path: str = TTY, streams: tuple[object, ...] | None = None
) -> AskPerson | None:
    """An ``AskPerson`` on the controlling terminal, or None when nobody is there (then nobody is asked).

    ``scrub`` is the program's one secret scrub (``AppContext.scrub``): everything the question writes passes it.

    A person is there when ``/dev/tty`` opens and stdin or stderr (``streams``) is a terminal: ``git diff |
    claudecli ask`` (stderr on the terminal) asks; a run with every stream redirected (``< in 2> log``, a test
    harness, a service started from a shell) does not, even if the process still has a controlling terminal.
    """
    if not any(is_tty(stream) for stream in (streams if streams is not None else (sys.stdin, sys.stderr))):
        return None
    probe = open_tty(path)
    if probe is None:
        return None
    probe.close()

    def ask(tool: Tool, call: ToolCall) -> PersonAnswer:
        tty = open_tty(path, scrub)
        if tty is None:
            raise NoPerson("the terminal is gone")
        with tty:
            return _ask_on(tty, tool, call)

    return ask


def _ask_on(tty: Tty, tool: Tool, call: ToolCall) -> PersonAnswer:
    text, view = describe(tool, call, tty.scrub, _screen_size(tty.fd))
    tty.write("\n" + text + "\n")
    repeat = footer(_label(tool), view, SEE_ALL) if view.needs_footer else ""
    discard_typed_ahead(tty.fd)
    while True:
        if repeat:
            tty.write(repeat + "\n")
        tty.write(f"Run it? {CHOICES}: ")
        tty.flush()
        line = tty.readline()
        if not line:  # Ctrl-D: no
            tty.write("\n")
            return PersonAnswer("n")
        choice = line.strip().lower()[:1]
        if choice in ("y", "n", "a"):
            return PersonAnswer(choice)
        if choice == "e":
            edited = _edit(tty, call)
            if edited is not None:
                return PersonAnswer("e", edited)  # as typed (see tools.masked_args)


def discard_typed_ahead(fd: int) -> None:
    """Drop what was typed on the terminal before the question was shown (while the answer streamed): a ``y``
    typed for something else must not approve a call the person has not seen."""
    with contextlib.suppress(OSError, ValueError, ImportError):
        import termios

        termios.tcflush(fd, termios.TCIFLUSH)


def _screen_size(fd: int) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return 80, 24
    return (size.columns or 80), (size.lines or 24)


def _edit(tty: Tty, call: ToolCall) -> dict[str, object] | None:
    """New arguments as one line of JSON (an object); an empty line goes back to the question."""
    tty.write("Current arguments: " + visible_json(masked_arguments(call.input, tty.scrub)) + "\n")
    while True:
        tty.write("New arguments as JSON on one line (empty: back): ")
        tty.flush()
        line = tty.readline()
        if not line or not line.strip():
            return None
        try:
            value = json.loads(line)
        except ValueError as exc:
            tty.write(f"not valid JSON ({exc}); try again\n")
            continue
        if not isinstance(value, dict):
            tty.write("the arguments must be a JSON object {...}; try again\n")
            continue
        return value
