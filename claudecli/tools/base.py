"""The shapes shared by every tool source and the one tool loop.

This is the contract between the loop (``claudecli.call.tool_loop``) and the sources (built-in toolsets, command
tools from config, ``--functions`` workers, later MCP servers): the loop sends a tool set's ``definitions()`` with
every step (identical across steps, so the cached prefix holds), and hands the ``tool_use`` blocks of a turn to
``Toolbox.execute``, which asks for approval, runs what was approved and returns one result per call, in order.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Approval(enum.StrEnum):
    """Who must agree before a tool runs. Approvals come only from flags or the user's own config."""

    AUTO = "auto"  # runs without asking (the read-only ``fs`` toolset)
    ASK = "ask"  # asks a person; off a terminal needs ``--yes`` or ``--approve NAME``
    EXPLICIT = "explicit"  # asks a person; off a terminal needs ``--approve NAME`` (``--yes`` is not enough)


@dataclass(frozen=True)
class Tool:
    """One tool as the model sees it, plus what claudecli needs to run it safely."""

    name: str  # valid for the API: ^[a-zA-Z0-9_-]{1,64}$
    description: str
    input_schema: dict[str, Any]
    approval: Approval = Approval.ASK
    read_only: bool = False  # may run concurrently with other read-only calls of the same turn
    source: str = ""  # "fs", "shell", "config", "functions", "mcp:NAME": shown in traces and /tools

    def definition(self) -> dict[str, Any]:
        """The request's ``tools`` entry."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}


@dataclass(frozen=True)
class ToolCall:
    """One ``tool_use`` block of a turn."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ToolResult:
    """What goes back to the model for one call (already scrubbed of secrets and terminal escapes)."""

    tool_use_id: str
    content: str
    is_error: bool = False
    duration_ms: int = 0
    declined: bool = False  # not run: declined by the user, or not approved off a terminal

    def block(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": self.tool_use_id,
            "content": self.content,
        }
        if self.is_error:
            block["is_error"] = True
        return block


class ToolSource(Protocol):
    """A provider of tools. ``run`` is synchronous and must return (never raise) for a tool's own failure:
    that is an ``is_error`` result. ``cancel`` is set on Ctrl-C: a running child's process group is killed."""

    def tools(self) -> list[Tool]: ...

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult: ...

    def close(self) -> None: ...


@dataclass
class Decision:
    """An approver's answer for one call: run it (perhaps with edited input) or decline it with a reason."""

    run: bool
    input: dict[str, Any] = field(default_factory=dict)
    reason: str = (
        ""  # for a decline: shown to the model (is_error) and, with the flag that would allow it, on stderr
    )
    edited: bool = False  # the person edited the arguments: run with ``input`` even when it is empty


Approver = Callable[[Tool, ToolCall], Decision]
