"""``batch run`` with tool flags: each line is one tool loop (``claudecli.call.tool_loop``), non-interactively.

Lines run one at a time, in input order: a loop's steps depend on each other, and local tools follow the
non-interactive approval rules (nothing asks; a tool runs only if ``auto``, ``--approve NAME`` or, for ``ask``
tools, ``--yes``), so their declines and traces read in order on stderr. Every step is booked by the loop as
it happens (``command = "batch-run"``, with the line's custom_id, ``loop_id`` and ``step``).

A line that reaches ``--max-steps`` gets an ``errored`` line of type ``max_steps`` (kept, so a rerun skips it)
and the run exits 12; a request the API refuses (4xx) gets an ``errored`` line, except a rejected key (401) or
an account that cannot pay (402), which stops the run; any other failure leaves no
line, so a rerun retries it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text

from claudecli.batch.output import LineWriter, ResultLine, Tally
from claudecli.batch.retry import is_account_failure
from claudecli.batch.runner_calls import COMMAND
from claudecli.call.stream import CallSpec
from claudecli.call.tool_loop import LoopEvents, LoopFailed, LoopOutcome, run_tool_loop
from claudecli.call.tool_setup import max_steps, toolbox_for
from claudecli.core.errors import (
    BillingError,
    BudgetExceeded,
    ClaudeCliError,
    Interrupted,
    MaxStepsReached,
    Terminated,
    TerminatedError,
)
from claudecli.render.tool_trace import print_lines, server_tool_lines, tool_event_line

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.tools.box import Toolbox, ToolEvent
    from claudecli.tools.options import ToolOptions


class RunReport(Protocol):
    """What this module fills in of ``run_plan.RunReport`` (a protocol, as the runner imports this module)."""

    sent: int
    unfinished: int
    tally: Tally
    first_error: ClaudeCliError | None
    elapsed_s: float
    max_steps_lines: int


class RunOptions(Protocol):
    @property
    def force(self) -> bool: ...

    @property
    def input(self) -> _Input: ...


class _Input(Protocol):
    @property
    def tools(self) -> ToolOptions: ...


# Errors the API will give again however often the line is sent: written as an errored line.
PERMANENT_ERRORS = frozenset(
    {"invalid_request_error", "not_found_error", "permission_error", "request_too_large"}
)


def is_account_error(error: ClaudeCliError) -> bool:
    """A rejected key (401) or an account that cannot pay (402): every line would fail alike, so the run stops
    and writes no errored line for it (the rerun, once fixed, sends it). The status decides, as it does for
    ``batch run`` without tools (``retry.is_account_failure``): a gateway's 401 carries no API error type."""
    cause = error.__cause__
    if cause is not None and is_account_failure(cause):
        return True
    return isinstance(error, BillingError) or error.error_type == "authentication_error"


def run_tool_lines(
    app_ctx: AppContext,
    options: RunOptions,
    items: Iterator[tuple[int, dict[str, Any]]],
    report: RunReport,
    writer: LineWriter,
    handle: Any,
    fallback: str | None,
) -> None:
    """Run each line's tool loop and write its result line; Ctrl-C stops after booking what was sent."""
    toolbox = toolbox_for(app_ctx, options.input.tools, interactive=False)
    steps = max_steps(app_ctx, options.input.tools)
    started = time.perf_counter()
    try:
        for _, request in items:
            custom_id = request["custom_id"]
            spec = CallSpec(
                command=COMMAND,
                params=request["params"],
                custom_id=custom_id,
                fallback_model=fallback,
                force=options.force,
            )
            line = _run_line(app_ctx, spec, toolbox, steps, report, _events(app_ctx, custom_id))
            report.sent += 1
            if line is None:
                report.unfinished += 1
                continue
            writer.write(line)
            report.tally.add(line)
            handle.flush()
    finally:
        report.elapsed_s = time.perf_counter() - started
        if toolbox is not None:
            toolbox.close()


def check_max_steps(app_ctx: AppContext, options: RunOptions, report: RunReport) -> None:
    """Exit 12 when any line stopped at --max-steps (after every line was run and written)."""
    if report.max_steps_lines:
        raise MaxStepsReached(
            f"{report.max_steps_lines} line(s) stopped at --max-steps "
            f"{max_steps(app_ctx, options.input.tools)} with the model still asking for tools",
            hint="raise --max-steps (or max_tool_steps); their errored lines are in the output",
        )


def _run_line(
    app_ctx: AppContext,
    spec: CallSpec,
    toolbox: Toolbox | None,
    steps: int,
    report: RunReport,
    events: LoopEvents,
) -> ResultLine | None:
    custom_id = spec.custom_id or ""
    try:
        loop = run_tool_loop(app_ctx, spec, toolbox, max_steps=steps, events=events)
    except LoopFailed as failure:
        error = failure.error
        if isinstance(error, TerminatedError):
            raise Terminated() from None
        if isinstance(error, Interrupted):
            raise KeyboardInterrupt from None
        if isinstance(error, BudgetExceeded) or is_account_error(error):
            raise error from None
        if isinstance(error, MaxStepsReached):
            report.max_steps_lines += 1
        elif error.error_type not in PERMANENT_ERRORS:
            report.first_error = report.first_error or error
            return None
        return ResultLine(custom_id, "errored", error_type=error.error_type, error_message=error.message)
    return _succeeded(custom_id, loop)


def _succeeded(custom_id: str, loop: LoopOutcome) -> ResultLine:
    final = loop.final
    return ResultLine(
        custom_id=custom_id,
        status="succeeded",
        text=final.text,
        model=final.model,
        stop_reason=final.stop_reason,
        usage=loop.usage,
        cost_usd=loop.cost_usd,
    )


def _events(app_ctx: AppContext, custom_id: str) -> LoopEvents:
    """Traces on stderr, each prefixed by the line's id (``-q`` keeps only declines, which name a flag)."""
    prefix = f"{custom_id}: "

    def on_tool(event: ToolEvent) -> None:
        line = tool_event_line(event)
        if line is not None and (event.kind == "declined" or not app_ctx.quiet):
            print_lines(app_ctx.stderr, [Text(prefix) + line])

    def on_server_tool(block: dict[str, Any]) -> None:
        if not app_ctx.quiet:
            print_lines(app_ctx.stderr, [Text(prefix) + line for line in server_tool_lines(block)])

    return LoopEvents(on_text=lambda _chunk: None, on_tool=on_tool, on_server_tool=on_server_tool)
