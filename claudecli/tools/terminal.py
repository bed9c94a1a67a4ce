"""Asking the person at the controlling terminal, through ``/dev/tty``.

stdin may be a pipe of untrusted text (``git diff | claudecli ask --tools shell ...``): the question is asked
and answered on ``/dev/tty``, never on stdin, so piped text can never answer it. Without a controlling terminal
(cron, CI, a daemon) ``/dev/tty`` cannot be opened and there is nobody to ask: :func:`terminal_ask_person`
returns None and the approval rules decline what needs a person.

The tool's name and arguments are shown with terminal escapes and control characters stripped, so a model's
arguments cannot redraw the question.
"""

from __future__ import annotations

import json
import os
import sys

from claudecli.tools.approval import AskPerson, NoPerson, PersonAnswer
from claudecli.tools.base import Tool, ToolCall
from claudecli.tools.sanitize import strip_escapes

TTY = "/dev/tty"
CHOICES = "[y]es / [n]o / [a]lways this tool this run / [e]dit args"


class Tty:
    """The controlling terminal: text written, lines read (a tty cannot be opened "r+" as one buffered file)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._reader = open(fd, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115

    def write(self, text: str) -> None:
        data = text.encode("utf-8", errors="replace")
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


def open_tty(path: str = TTY) -> Tty | None:
    """The controlling terminal for reading and writing, or None when there is none."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    if not os.isatty(fd):
        os.close(fd)
        return None
    return Tty(fd)


def describe(tool: Tool, call: ToolCall) -> str:
    """The question's text: who wants what, with which arguments (escapes stripped)."""
    arguments = json.dumps(call.input, indent=2, ensure_ascii=False)
    source = f" from {tool.source}" if tool.source else ""
    lines = [
        f"Claude wants to run the tool {tool.name}{source} ({tool.approval.value} approval) with:",
        *("  " + line for line in arguments.splitlines()),
    ]
    return strip_escapes("\n".join(lines))


def terminal_ask_person(path: str = TTY, streams: tuple[object, ...] | None = None) -> AskPerson | None:
    """An ``AskPerson`` on the controlling terminal, or None when nobody is there (then nobody is asked).

    A person is there when ``/dev/tty`` opens and stdin or stderr (``streams``) is a terminal: ``git diff |
    claudecli ask`` (stderr on the terminal) asks; a run with every stream redirected (``< in 2> log``, a test
    harness, a service started from a shell) does not, even if the process still has a controlling terminal.
    """
    if not any(_isatty(stream) for stream in (streams if streams is not None else (sys.stdin, sys.stderr))):
        return None
    probe = open_tty(path)
    if probe is None:
        return None
    probe.close()

    def ask(tool: Tool, call: ToolCall) -> PersonAnswer:
        tty = open_tty(path)
        if tty is None:
            raise NoPerson("the terminal is gone")
        with tty:
            return _ask_on(tty, tool, call)

    return ask


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed stream
        return False


def _ask_on(tty: Tty, tool: Tool, call: ToolCall) -> PersonAnswer:
    tty.write("\n" + describe(tool, call) + "\n")
    while True:
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
                return PersonAnswer("e", edited)


def _edit(tty: Tty, call: ToolCall) -> dict[str, object] | None:
    """New arguments as one line of JSON (an object); an empty line goes back to the question."""
    tty.write("Current arguments: " + strip_escapes(json.dumps(call.input, ensure_ascii=False)) + "\n")
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
