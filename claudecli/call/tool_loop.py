"""The one tool loop: call, run the tools the model asked for, send their results, until it stops asking.

CONTRACT STUB (issue 13): the loop helper implements it; chat and batch run are wired against this signature.
Each step is one ``stream_message`` call (one write-ahead ledger row, with ``loop_id`` and ``step``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.call.outcome import CallOutcome
from claudecli.call.stream import CallSpec
from claudecli.core.errors import ClaudeCliError
from claudecli.tools.base import ToolCall, ToolResult
from claudecli.tools.box import Toolbox, ToolEvents

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

TextCallback = Callable[[str], None]


@dataclass
class Step:
    """One API call of the loop and the tool calls it asked for (with their results)."""

    outcome: CallOutcome
    calls: list[ToolCall] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)


@dataclass
class LoopOutcome:
    """A whole tool-using answer. ``messages`` is what the exchange appended after the request's own messages:
    assistant turns with every block (thinking and its signature, text, tool_use, server tool blocks) and user
    turns of tool_result blocks, always validly paired, ready to store in a session and send again."""

    loop_id: str
    steps: list[Step] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None  # None: the model finished; "max_steps": the circuit breaker

    @property
    def final(self) -> CallOutcome:
        return self.steps[-1].outcome

    @property
    def cost_usd(self) -> Decimal | None: ...

    @property
    def tool_calls(self) -> int:
        return sum(len(step.calls) for step in self.steps)


@dataclass
class LoopEvents:
    """Callbacks for whoever shows the loop (ask's stderr traces, chat's transcript)."""

    on_text: TextCallback
    on_thinking: TextCallback | None = None
    on_tool: ToolEvents | None = None  # a local tool call starts, is declined, or is done
    on_server_tool: Callable[[dict[str, Any]], None] | None = None  # a server tool block (search results, …)
    on_step: Callable[[int], None] | None = None  # a new step (API call) starts: 1, 2, …


class LoopFailed(ClaudeCliError):
    """A step failed (API error, Ctrl-C, max steps): wraps the error with the partial loop, which is kept."""

    def __init__(self, error: ClaudeCliError, partial: LoopOutcome) -> None:
        super().__init__(
            error.message, request_id=error.request_id, hint=error.hint, error_type=error.error_type
        )
        self.exit_code = error.exit_code
        self.error = error
        self.partial = partial


def run_tool_loop(
    app_ctx: AppContext,
    spec: CallSpec,
    toolbox: Toolbox | None,
    *,
    max_steps: int,
    events: LoopEvents,
    cancel: threading.Event | None = None,
) -> LoopOutcome:
    """Run steps until the model ends its turn; with no toolbox (and no server tools) it is one call."""
    raise NotImplementedError
