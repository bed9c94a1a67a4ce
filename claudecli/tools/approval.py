"""Who says yes: the approval rules for local tool calls.

In order, for each call:

1. an ``auto`` tool runs (the read-only ``fs`` tools; a config tool that says ``approval = "auto"``);
2. a tool named by ``--approve NAME`` runs, whatever its level;
3. a tool the person answered ``a`` (always) for earlier in this run runs;
4. an ``ask`` tool runs with ``--yes``; an ``explicit`` one (``run_command``) never does;
5. a person, if there is one, is asked: ``y`` runs it, ``n`` declines it, ``a`` runs it and every later call of
   that tool in this run, ``e`` runs it with arguments the person edited;
6. with nobody to ask (no controlling terminal: cron, CI) the call is declined, and the reason names the flag
   that would allow it.

Approvals come only from flags and the user's own config.toml: never from a ``.env``, a project file or the
model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from claudecli.tools.base import Approval, Approver, Decision, Tool, ToolCall
from claudecli.tools.options import ToolOptions

DECLINED_BY_USER = "declined by the user"


@dataclass(frozen=True)
class PersonAnswer:
    """What the person said: ``y``, ``n``, ``a`` (always this tool, this run) or ``e`` (with ``input``)."""

    choice: str
    input: dict[str, Any] | None = None


AskPerson = Callable[[Tool, ToolCall], PersonAnswer]
"""Asks the person at the terminal about one call. Raises OSError when the terminal is gone (no person)."""


class NoPerson(OSError):
    """The terminal went away: decline as if nobody had been there."""


def unapproved_reason(tool: Tool) -> str:
    """Why a call was not run off a terminal, naming the flag that would allow it (for the model and stderr)."""
    if tool.approval is Approval.EXPLICIT:
        allow = f"--approve {tool.name} (--yes is not enough for it)"
    else:
        allow = f"--approve {tool.name} or --yes"
    return f"not run: tool {tool.name!r} needs approval and there is no terminal to ask on; allow it with {allow}"


def make_approver(options: ToolOptions, ask_person: AskPerson | None) -> Approver:
    """The approver for one run (one ``ask``, one chat session, one ``batch run``): it remembers ``a`` answers."""
    approved = set(options.approve)
    always: set[str] = set()
    lock = threading.Lock()  # one question at a time

    def approve(tool: Tool, call: ToolCall) -> Decision:
        if tool.approval is Approval.AUTO or tool.name in approved or tool.name in always:
            return Decision(True, call.input)
        if tool.approval is Approval.ASK and options.yes:
            return Decision(True, call.input)
        if ask_person is None:
            return Decision(False, reason=unapproved_reason(tool))
        with lock:
            try:
                answer = ask_person(tool, call)
            except OSError:
                return Decision(False, reason=unapproved_reason(tool))
        return _decision(answer, tool, call, always)

    return approve


def _decision(answer: PersonAnswer, tool: Tool, call: ToolCall, always: set[str]) -> Decision:
    if answer.choice == "a":
        always.add(tool.name)
        return Decision(True, call.input)
    if answer.choice == "y":
        return Decision(True, call.input)
    if answer.choice == "e" and isinstance(answer.input, dict):
        return Decision(True, answer.input, edited=True)
    return Decision(False, reason=DECLINED_BY_USER)
