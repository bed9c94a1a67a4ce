"""``ask`` with tools: the tool loop, traces on stderr, only the final answer on stdout.

Each step's text is held until the step ends: a step that asked for tools is narration (shown dimmed on stderr
with the traces), the step that ends the turn is the answer (stdout, or ``text`` in ``--json``). So
``claudecli ask --tools fs "…" | next`` gets the answer alone, whatever the model said on the way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.call.server_tools import CODE_EXECUTION_NOTE, SERVER_RESULT_TYPES, uses_code_execution
from claudecli.call.tool_loop import (
    CUT_OFF_NOTE,
    LoopEvents,
    LoopFailed,
    LoopOutcome,
    Step,
    loop_status,
    run_tool_loop,
)
from claudecli.core.context import OutputMode
from claudecli.core.errors import ExitCode, Interrupted
from claudecli.render.emit import emit
from claudecli.render.summary import print_summary, summary_text
from claudecli.render.terminal import ctrl_c_echoed
from claudecli.render.tool_trace import print_lines, result_bytes, server_tool_lines, short, tool_event_line

if TYPE_CHECKING:
    from collections.abc import Callable

    from claudecli.call.stream import CallSpec
    from claudecli.core.context import AppContext
    from claudecli.tools.box import Toolbox, ToolEvent


class _Shown:
    """Where the loop's output goes: the answer to the sink, everything else to stderr (unless -q)."""

    def __init__(self, app_ctx: AppContext, sink: Any, stop_waiting: Callable[[], None]) -> None:
        self.app_ctx = app_ctx
        self.sink = sink
        self.stop_waiting = stop_waiting
        self.traces = not app_ctx.quiet

    def text(self, chunk: str) -> None:
        self.stop_waiting()

    def step_done(self, step: Step) -> None:
        self.stop_waiting()
        outcome = step.outcome
        if step.calls or outcome.stop_reason == "pause_turn":
            if self.traces and outcome.text.strip():
                self.app_ctx.stderr.print(Text(short(outcome.text, 200), style="dim"), highlight=False)
            return
        self.sink.feed(outcome.text)

    def tool(self, event: ToolEvent) -> None:
        self.stop_waiting()
        line = tool_event_line(event)
        if line is None:
            return
        if event.kind == "declined" or self.traces:  # a decline says which flag would allow it: always shown
            print_lines(self.app_ctx.stderr, [line])

    def server_tool(self, block: dict[str, Any]) -> None:
        self.stop_waiting()
        if self.traces:
            print_lines(self.app_ctx.stderr, server_tool_lines(block))


def run_loop(
    app_ctx: AppContext,
    spec: CallSpec,
    toolbox: Toolbox | None,
    *,
    max_steps: int,
    sink: Any,
    stop_waiting: Callable[[], None],
    on_thinking: Callable[[str], None] | None,
    document: Callable[..., dict[str, Any]],
    keep: Callable[[LoopOutcome, LoopFailed | None], None] | None = None,
) -> int:
    """Run the loop for ``ask``; returns the exit code, or raises the error for the boundary to print.

    ``keep`` stores the loop, finished or cut off, in the conversation an ``ask --session`` continues.
    """
    shown = _Shown(app_ctx, sink, stop_waiting)
    events = LoopEvents(
        on_text=shown.text,
        on_thinking=on_thinking,
        on_tool=shown.tool,
        on_server_tool=shown.server_tool,
        on_step_done=shown.step_done,
    )
    try:
        loop = run_tool_loop(app_ctx, spec, toolbox, max_steps=max_steps, events=events)
    except LoopFailed as failure:
        echoed = ctrl_c_echoed(app_ctx.stderr.file, failure.error)
        stop_waiting()
        if echoed:
            app_ctx.stderr.print()
        if keep is not None:
            keep(failure.partial, failure)
        _finish(app_ctx, spec, failure.partial, sink, document, error=failure)
        raise failure.error from None
    finally:
        if toolbox is not None:
            toolbox.close()
    stop_waiting()
    if keep is not None:
        keep(loop, None)
    _finish(app_ctx, spec, loop, sink, document)
    return ExitCode.OK


def _finish(
    app_ctx: AppContext,
    spec: CallSpec,
    loop: LoopOutcome,
    sink: Any,
    document: Callable[..., dict[str, Any]],
    *,
    error: LoopFailed | None = None,
) -> None:
    if error is None:
        sink.finish()
    else:
        cut = loop.final if loop.steps and not loop.final.complete else None
        if cut is not None and cut.text:  # the step that failed streamed part of an answer: keep it, marked
            sink.feed(cut.text)
        note = "[interrupted]" if isinstance(error.error, Interrupted) else "[answer incomplete]"
        sink.abort(note if app_ctx.markdown and cut is not None and cut.text else None)
    if app_ctx.mode is OutputMode.JSON:
        emit(app_ctx, loop_document(loop, document, failure=error))
    _summary(app_ctx, spec, loop)


def _summary(app_ctx: AppContext, spec: CallSpec, loop: LoopOutcome) -> None:
    stderr = app_ctx.stderr
    if not loop.steps:
        return
    total = loop.total()
    if not app_ctx.quiet:
        steps = len(loop.steps)
        extra = (
            f" · {steps} step{'s' * (steps != 1)} · {loop.tool_calls} tool call{'s' * (loop.tool_calls != 1)}"
        )
        if searches := total.usage.web_search_requests:
            extra += f" · {searches} web search{'es' * (searches != 1)}"
        stderr.print(Text(summary_text(total) + extra, style="dim"), highlight=False)
    if loop.stopped == "max_tokens":
        stderr.print(Text.assemble(("warning: ", "yellow"), CUT_OFF_NOTE))
    else:
        print_summary(stderr, total, quiet=True)  # only its warnings (cut off, refusal)
    if uses_code_execution(spec.params):
        stderr.print(Text.assemble(("note: ", "yellow"), CODE_EXECUTION_NOTE))


def loop_document(
    loop: LoopOutcome, document: Callable[..., dict[str, Any]], *, failure: LoopFailed | None = None
) -> dict[str, Any]:
    """``ask --json`` for a tool loop: the usual document for the whole answer (usage, cost and time are
    totals; ``status`` and ``error`` as a plain call's, see :func:`loop_status`), plus ``loop_id``,
    ``tool_calls``, ``steps`` and, when it stopped early, ``stopped``."""
    base = document(loop.total(), error=None if failure is None else failure.error.one_line())
    base["status"] = loop_status(loop, failure)
    base["loop_id"] = loop.loop_id
    base["tool_calls"] = loop.tool_calls
    base["steps"] = [_step_document(number, step) for number, step in enumerate(loop.steps, 1)]
    if loop.stopped is not None:
        base["stopped"] = loop.stopped
    return base


def _step_document(number: int, step: Step) -> dict[str, Any]:
    outcome = step.outcome
    results = {result.tool_use_id: result for result in step.results}
    calls = []
    for call in step.calls:
        result = results.get(call.id)
        calls.append(
            {
                "id": call.id,
                "name": call.name,
                "input": call.input,
                "result_bytes": None if result is None else result_bytes(result.content),
                "is_error": None if result is None else result.is_error,
                "declined": None if result is None else result.declined,
                "duration_ms": None if result is None else result.duration_ms,
            }
        )
    return {
        "step": number,
        "status": outcome.status,
        "stop_reason": outcome.stop_reason,
        "model": outcome.model,
        "usage": outcome.usage.as_dict(),
        "cost_usd": float(outcome.cost_usd) if outcome.cost_usd is not None else None,
        "request_id": outcome.request_id,
        "tool_calls": calls,
        "server_tools": [b for b in outcome.content if b.get("type") in _SERVER_BLOCKS],
    }


_SERVER_BLOCKS = SERVER_RESULT_TYPES | {"server_tool_use"}
