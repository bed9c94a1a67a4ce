"""What one ``batch run`` call produced: its output line (if any) and its ledger row."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from claudecli.batch.output import ResultLine, message_text
from claudecli.core.errors import ClaudeCliError
from claudecli.core.usage import TokenUsage
from claudecli.ledger.store import CallRecord

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


class Runner(Protocol):
    """What booking a call needs of the runner that made it."""

    app_ctx: AppContext


COMMAND = "batch-run"


@dataclass
class Outcome:
    custom_id: str
    line: ResultLine | None  # None: failed after retries; no output line, so a rerun retries it
    record: CallRecord
    error: ClaudeCliError | None = None
    booked: bool = False  # its ledger row is written
    call_id: int | None = None  # its write-ahead row, completed when it is booked


def _latency(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def message_outcome(
    runner: Runner, custom_id: str, message: dict[str, Any], request_id: str | None, started: float
) -> Outcome:
    """A reply (the Message as JSON) as an output line and a ledger row at standard prices."""
    usage = TokenUsage.from_api(message.get("usage"))
    model = message.get("model") or ""
    text = message_text(message)
    prices = runner.app_ctx.prices
    cost = prices.cost(model, usage)
    line = ResultLine(
        custom_id=custom_id,
        status="succeeded",
        text=text,
        model=model,
        stop_reason=message.get("stop_reason"),
        usage=usage,
        cost_usd=cost,
    )
    record = CallRecord(
        command=COMMAND,
        model=model,
        usage=usage,
        cost_usd=cost,
        list_cost_usd=prices.list_cost(model, usage),
        profile=runner.app_ctx.settings.profile,
        latency_ms=_latency(started),
        stop_reason=line.stop_reason,
        request_id=request_id,
        custom_id=custom_id,
        answer_text=text,
    )
    return Outcome(custom_id, line, record)


def failed_outcome(
    runner: Runner,
    custom_id: str,
    model: str,
    error: ClaudeCliError,
    started: float,
    *,
    permanent: bool,
    api_message: str | None = None,
) -> Outcome:
    """A refusal (``permanent``) is an ``errored`` line; a failure after the retries is left for a rerun."""
    record = CallRecord(
        command=COMMAND,
        model=model,
        usage=TokenUsage(),
        status=error.error_type,
        cost_usd=runner.app_ctx.prices.cost(model, TokenUsage()),
        profile=runner.app_ctx.settings.profile,
        latency_ms=_latency(started),
        request_id=error.request_id,
        custom_id=custom_id,
    )
    line = None
    if permanent:
        line = ResultLine(
            custom_id=custom_id,
            status="errored",
            error_type=error.error_type,
            error_message=api_message or error.message,
        )
    return Outcome(custom_id, line, record, error)


def book_ahead(runner: Runner, custom_id: str, params: dict[str, Any]) -> int | None:
    """The ``in_flight`` row of a request about to be sent, with its worst case at standard prices."""
    from claudecli.ledger.write_ahead import IN_FLIGHT
    from claudecli.money.budget import worst_case_usd

    app_ctx = runner.app_ctx
    record = CallRecord(
        command=COMMAND,
        model=str(params.get("model", "")),
        usage=TokenUsage(),
        status=IN_FLIGHT,
        profile=app_ctx.settings.profile,
        custom_id=custom_id,
    )
    return app_ctx.ledger.begin(record, worst_case_usd(app_ctx, params))


def interrupted_record(runner: Runner, custom_id: str, model: str) -> CallRecord:
    return CallRecord(
        command=COMMAND,
        model=model,
        usage=TokenUsage(),
        status="interrupted",
        profile=runner.app_ctx.settings.profile,
        custom_id=custom_id,
    )
