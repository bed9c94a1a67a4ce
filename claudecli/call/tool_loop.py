"""The one tool loop: call, run the tools the model asked for, send their results, until it stops asking.

Used by ask, chat and batch run alike. Rules:

* Each step is one ``stream_message`` call: one write-ahead ledger row, with the loop's ``loop_id`` and its
  ``step`` (1, 2, ...). A call with no tools at all (no toolbox, no server tools) is exactly today's single
  call: no loop id, nothing added to the request.
* The tool set is fixed before the first step (the toolbox's definitions, then the request's own ``tools``,
  e.g. server tools) and sent unchanged with every step, so the cached prefix holds.
* All ``tool_use`` blocks of a turn get their results in ONE user message, in the calls' order. The assistant
  turn is kept whole (thinking blocks and their signatures, server tool blocks), as the API requires.
* A turn that stopped at ``max_tokens`` in the middle of a ``tool_use`` is never run: its unfinished calls are
  dropped from the transcript and the loop stops with ``stopped = "max_tokens"``.
* ``pause_turn`` (a long server-tool turn) is continued by sending the paused turn back, within ``max_steps``;
  the continuation is merged into the same assistant message.
* Steps after the first are budget-checked like any call (the caller checks the first, as for a plain call).
* When the last allowed step still asks for tools, they are NOT run (no step is left to send their results in;
  a side effect no one sees is only a risk): they get "not run" error results and the loop raises
  ``LoopFailed(MaxStepsReached)``. An API error or Ctrl-C raises ``LoopFailed`` with the error. The partial loop
  is always kept, its messages validly paired (a turn whose tools were interrupted gets "interrupted" error
  results, each with the time its tool really ran); an interrupt (Ctrl-C, SIGTERM, SIGHUP) sets
  ``stopped = "interrupted"``.
* The loop's time (``LoopOutcome.total().latency_ms``) is the whole answer's: from the first step's request to the
  loop's end, tool runs and approval questions included; ``ttft_ms`` is the first step's first token.

Asynchronous tool sources (MCP clients) plug in behind ``Toolbox``: ``execute`` is synchronous to the loop.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.call.outcome import CallOutcome
from claudecli.call.server_tools import SERVER_RESULT_TYPES
from claudecli.call.stream import CallFailed, CallSpec, stream_message
from claudecli.core.errors import ClaudeCliError, Interrupted, MaxStepsReached, Terminated, TerminatedError
from claudecli.core.sdk_errors import cannot_read
from claudecli.core.usage import TokenUsage
from claudecli.money.budget import check_budget
from claudecli.tools.base import ToolCall, ToolResult
from claudecli.tools.box import Toolbox, ToolEvent, ToolEvents

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
    stopped: str | None = None  # None: the model finished; "max_steps", "max_tokens" or "interrupted"
    started_at: float | None = field(default=None, repr=False)  # monotonic: the first step's call began
    ended_at: float | None = field(default=None, repr=False)  # monotonic: the loop ended, however it did

    @property
    def elapsed_ms(self) -> int | None:
        """The whole answer's time, tools included; None before a step was made."""
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at) * 1000)

    @property
    def final(self) -> CallOutcome:
        return self.steps[-1].outcome

    @property
    def cost_usd(self) -> Decimal | None:
        """What every call of the loop cost (fallback calls included); None when any price is unknown."""
        total = Decimal(0)
        for outcome in self.outcomes:
            if outcome.cost_usd is None:
                return None
            total += outcome.cost_usd
        return total

    @property
    def outcomes(self) -> list[CallOutcome]:
        """Every API call of the loop, in order: each step's, preceded by the overloaded call it stood in for."""
        calls: list[CallOutcome] = []
        for step in self.steps:
            if step.outcome.fallback_from is not None:
                calls.append(step.outcome.fallback_from)
            calls.append(step.outcome)
        return calls

    @property
    def usage(self) -> TokenUsage:
        total = TokenUsage()
        for outcome in self.outcomes:
            total = total + outcome.usage
        return total

    @property
    def tool_calls(self) -> int:
        return sum(len(step.calls) for step in self.steps)

    def total(self) -> CallOutcome:
        """The whole loop as one call: the final step's answer and ending, every call's usage, cost and time."""
        final, outcomes = self.final, self.outcomes
        list_costs = [outcome.list_cost_usd for outcome in outcomes]
        return CallOutcome(
            model=final.model,
            usage=self.usage,
            cost_usd=self.cost_usd,
            list_cost_usd=None if None in list_costs else sum((c for c in list_costs if c), Decimal(0)),
            latency_ms=self.elapsed_ms
            if self.elapsed_ms is not None
            else sum(o.latency_ms or 0 for o in outcomes),
            ttft_ms=self.steps[0].outcome.ttft_ms,
            stop_reason=final.stop_reason,
            request_id=final.request_id,
            status=final.status,
            text=final.text,
            thinking=final.thinking,
            content=final.content,
            max_tokens=final.max_tokens,
            fallback_from=final.fallback_from,
        )


@dataclass
class LoopEvents:
    """Callbacks for whoever shows the loop (ask's stderr traces, chat's transcript)."""

    on_text: TextCallback
    on_thinking: TextCallback | None = None
    on_tool: ToolEvents | None = None  # a local tool call starts, is declined, or is done
    on_server_tool: Callable[[dict[str, Any]], None] | None = None  # a server tool block (search results, …)
    on_step: Callable[[int], None] | None = None  # a new step (API call) starts: 1, 2, …
    on_step_done: Callable[[Step], None] | None = None  # a step's call ended (before its tools run)


class LoopFailed(ClaudeCliError):
    """A step failed (API error, Ctrl-C, max steps): wraps the error with the partial loop, which is kept."""

    def __init__(self, error: ClaudeCliError, partial: LoopOutcome) -> None:
        super().__init__(
            error.message, request_id=error.request_id, hint=error.hint, error_type=error.error_type
        )
        self.exit_code = error.exit_code
        self.error = error
        self.partial = partial


INTERRUPTED_RESULT = "interrupted by the user before this tool finished"
NOT_RUN_RESULT = "not run: the tool loop reached --max-steps"
CUT_OFF_NOTE = "a tool call was cut off at max_tokens and not run; raise --max-tokens"


def run_tool_loop(
    app_ctx: AppContext,
    spec: CallSpec,
    toolbox: Toolbox | None,
    *,
    max_steps: int,
    events: LoopEvents,
    cancel: threading.Event | None = None,
) -> LoopOutcome:
    """Run steps until the model ends its turn; with no toolbox (and no server tools) it is one call.

    However it stops early (an API error, a budget refusal, max steps, or Ctrl-C/SIGTERM at any point once a step
    was made, between steps included), it raises ``LoopFailed`` carrying the steps so far.
    """
    tools = tool_set(spec.params, toolbox)
    loop = LoopOutcome(loop_id=uuid.uuid4().hex[:16] if tools else "")
    try:
        return _run_steps(app_ctx, spec, toolbox, tools, loop, max_steps, events, cancel or threading.Event())
    except KeyboardInterrupt as exc:
        if not loop.steps:  # nothing was made: an interrupt like any other
            raise
        raise LoopFailed(_interrupted(loop, exc), loop) from None
    finally:
        loop.ended_at = time.monotonic()


def loop_status(loop: LoopOutcome, failure: LoopFailed | None) -> str:
    """The whole answer's status, in a plain call's words: "ok"; "interrupted" (Ctrl-C, SIGTERM, SIGHUP); or the
    error type that ended it: the failed step's (an API error), else the loop's own ("max_steps", a budget
    refusal's "error"). A loop that stopped with every call complete is not "ok" unless it finished."""
    status = loop.final.status if loop.steps else "ok"
    if status == "ok" and failure is not None:
        status = failure.error.error_type or "error"
    return status


def _interrupted(loop: LoopOutcome, exc: BaseException) -> Interrupted:
    """The error an interrupt ends the loop with (130 for Ctrl-C, 143 for SIGTERM/SIGHUP); marks the loop."""
    loop.stopped = "interrupted"
    return TerminatedError() if isinstance(exc, Terminated) else Interrupted("interrupted")


def _run_steps(
    app_ctx: AppContext,
    spec: CallSpec,
    toolbox: Toolbox | None,
    tools: list[dict[str, Any]],
    loop: LoopOutcome,
    max_steps: int,
    events: LoopEvents,
    cancel: threading.Event,
) -> LoopOutcome:
    base = replace(spec, params={**spec.params, "tools": tools} if tools else dict(spec.params))
    prompt_messages = list(spec.params["messages"])
    paused = False
    while True:
        number = len(loop.steps) + 1
        if number > max_steps:  # only a paused turn gets here: a tool turn stops below, at its last step
            loop.stopped = "max_steps"
            raise LoopFailed(_max_steps_error(max_steps), loop)
        try:
            step_spec = _step_spec(app_ctx, base, loop, prompt_messages, number)
        except ClaudeCliError as refused:  # a budget refusal: the steps so far are kept
            raise LoopFailed(refused, loop) from None
        step = _call(app_ctx, step_spec, loop, events, merge=paused)
        stop = step.outcome.stop_reason
        paused = stop == "pause_turn"
        if paused:
            continue
        if stop == "max_tokens" and _drop_unfinished_calls(loop):
            loop.stopped = "max_tokens"
            return loop
        if stop != "tool_use" or not step.calls:
            return loop
        if number >= max_steps:  # no step is left to send results in: run nothing whose result no one sees
            _answer_unrun(loop, step, NOT_RUN_RESULT)
            loop.stopped = "max_steps"
            raise LoopFailed(_max_steps_error(max_steps), loop)
        _run_tools(loop, step, toolbox, cancel, events)


def tool_set(params: dict[str, Any], toolbox: Toolbox | None) -> list[dict[str, Any]]:
    """The loop's one tool list: the toolbox's definitions (unless the request already has them), then the
    request's own ``tools`` (server tools). Fixed for the whole loop."""
    own = list(params.get("tools") or [])
    names = {tool.get("name") for tool in own if isinstance(tool, dict)}
    local = [d for d in (toolbox.definitions() if toolbox is not None else []) if d["name"] not in names]
    return [*local, *own]


def _max_steps_error(max_steps: int) -> MaxStepsReached:
    return MaxStepsReached(
        f"stopped after {max_steps} step{'s' if max_steps != 1 else ''}: the model still wanted tools; "
        "raise --max-steps (or max_tool_steps) to let it go on"
    )


def _step_spec(
    app_ctx: AppContext, base: CallSpec, loop: LoopOutcome, prompt: list[dict[str, Any]], number: int
) -> CallSpec:
    params = {**base.params, "messages": [*prompt, *loop.messages]}
    if number > 1:
        check_budget(app_ctx, params, force=base.force)
    if not loop.loop_id:
        return replace(base, params=params)
    return replace(base, params=params, loop_id=loop.loop_id, step=number)


def _call(app_ctx: AppContext, spec: CallSpec, loop: LoopOutcome, events: LoopEvents, *, merge: bool) -> Step:
    """One step's call; its assistant turn joins the transcript (merged into a paused one it continues)."""
    if events.on_step is not None:
        events.on_step(len(loop.steps) + 1)
    if loop.started_at is None:
        loop.started_at = time.monotonic()
    try:
        outcome = stream_message(app_ctx, spec, on_text=events.on_text, on_thinking=events.on_thinking)
    except CallFailed as failure:
        loop.steps.append(Step(failure.outcome))
        if failure.interrupted:
            loop.stopped = "interrupted"
        raise LoopFailed(failure.error, loop) from failure
    try:
        step = Step(outcome, calls=_tool_calls(outcome))
    except ClaudeCliError as exc:  # the step is booked and kept; no tool runs on what cannot be read
        loop.steps.append(Step(outcome))
        raise LoopFailed(exc, loop) from None
    loop.steps.append(step)
    _keep_assistant_turn(loop, outcome.content, merge=merge)
    if events.on_server_tool is not None:
        for block in outcome.content:
            if block.get("type") in SERVER_RESULT_TYPES:
                events.on_server_tool(block)
    if events.on_step_done is not None:
        events.on_step_done(step)
    return step


def _tool_calls(outcome: CallOutcome) -> list[ToolCall]:
    if outcome.stop_reason != "tool_use":
        return []
    calls = []
    for block in outcome.content:
        if block.get("type") == "tool_use":
            ident, name, args = block.get("id"), block.get("name"), block.get("input") or {}
            if not (isinstance(ident, str) and isinstance(name, str) and isinstance(args, dict)):
                raise cannot_read("a tool call without an id, name or input")
            calls.append(ToolCall(ident, name, dict(args)))
    return calls


def _keep_assistant_turn(loop: LoopOutcome, content: list[dict[str, Any]], *, merge: bool) -> None:
    if merge and loop.messages and loop.messages[-1]["role"] == "assistant":
        loop.messages[-1]["content"].extend(content)
    elif content:
        loop.messages.append({"role": "assistant", "content": list(content)})


def _drop_unfinished_calls(loop: LoopOutcome) -> bool:
    """Remove tool_use blocks of a turn cut off at max_tokens (never run, never sent); True if there were any."""
    if not loop.messages or loop.messages[-1]["role"] != "assistant":
        return False
    content = loop.messages[-1]["content"]
    kept = [block for block in content if block.get("type") != "tool_use"]
    if len(kept) == len(content):
        return False
    if kept:
        loop.messages[-1]["content"] = kept
    else:
        loop.messages.pop()
    return True


def _answer_unrun(loop: LoopOutcome, step: Step, reason: str) -> None:
    """Error results for calls that did not run, so the kept transcript stays validly paired."""
    step.results = [ToolResult(call.id, reason, is_error=True, declined=True) for call in step.calls]
    loop.messages.append({"role": "user", "content": [result.block() for result in step.results]})


def _run_tools(
    loop: LoopOutcome, step: Step, toolbox: Toolbox | None, cancel: threading.Event, events: LoopEvents
) -> None:
    """Run a turn's calls and send all their results in one user message; Ctrl-C stops the loop cleanly."""
    timer = _ToolTimer(events.on_tool)
    try:
        if toolbox is None:
            results = [ToolResult(c.id, f"no tool named {c.name!r} here", is_error=True) for c in step.calls]
        else:
            results = toolbox.execute(step.calls, cancel, timer.on_tool)
    except (
        KeyboardInterrupt
    ) as exc:  # Ctrl-C (or SIGTERM/SIGHUP) while a tool ran: its process group is killed
        cancel.set()
        step.results = [
            timer.finished.get(c.id)
            or ToolResult(c.id, INTERRUPTED_RESULT, is_error=True, duration_ms=timer.ran_ms(c.id))
            for c in step.calls
        ]  # a call that had finished keeps its real result: the model (and a resumed chat) sees what it did
        loop.messages.append({"role": "user", "content": [r.block() for r in step.results]})
        raise LoopFailed(_interrupted(loop, exc), loop) from None
    step.results = results
    loop.messages.append({"role": "user", "content": [result.block() for result in results]})


class _ToolTimer:
    """Watches a turn's tool events (passing them on) for when the turn is cut short: each finished call's
    result (its own time included), and when each call that has not finished started."""

    def __init__(self, on_tool: ToolEvents | None) -> None:
        self._on_tool = on_tool
        self._started: dict[str, float] = {}
        self.finished: dict[str, ToolResult] = {}

    def on_tool(self, event: ToolEvent) -> None:
        if event.kind == "start":
            self._started[event.call.id] = time.monotonic()
        elif event.kind == "done" and event.result is not None:
            self.finished[event.call.id] = event.result
        if self._on_tool is not None:
            self._on_tool(event)

    def ran_ms(self, call_id: str) -> int:
        """How long an unfinished call has run: until now, or 0 if it never started."""
        started = self._started.get(call_id)
        return 0 if started is None else int((time.monotonic() - started) * 1000)
