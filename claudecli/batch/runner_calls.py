"""What one ``batch run`` call produced: its output line (if any) and its ledger row."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from claudecli.batch.output import ResultLine, message_text
from claudecli.batch.retry import status_of
from claudecli.call.fallback import both_failed, clear_to_send, falls_back
from claudecli.core.errors import ClaudeCliError
from claudecli.core.sdk_errors import cannot_read, no_message
from claudecli.core.tokens import filled_in
from claudecli.core.usage import CallMode, TokenUsage
from claudecli.ledger.store import CallRecord
from claudecli.ledger.write_ahead import IN_FLIGHT
from claudecli.money.budget import worst_case_usd

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


class _Forcing(Protocol):
    @property
    def force(self) -> bool: ...


class Runner(Protocol):
    """What booking a call (and its fallback) needs of the runner that made it."""

    app_ctx: AppContext
    ahead: AheadBooker

    @property
    def fallback_model(self) -> str | None: ...

    @property
    def options(self) -> _Forcing: ...


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


def message_of(response: Any) -> dict[str, Any]:
    """The reply's Message as JSON. Anything else under a 200 (a captive portal's page, a gateway's JSON) is
    ``no_message``: retried like a broken connection, and never written as a result. A message whose content is
    not a list of blocks cannot be read: an errored line (it was "unexpected AttributeError", exit 1)."""
    try:
        message = response.http_response.json()
    except ValueError:  # not JSON (json.JSONDecodeError, UnicodeDecodeError)
        message = None
    if not isinstance(message, dict) or message.get("type") != "message":
        raise no_message()
    content = message.get("content")
    if not isinstance(content, list) or not all(isinstance(block, dict) for block in content):
        raise cannot_read("a message without a list of blocks")
    return message


def message_outcome(
    runner: Runner,
    request: tuple[str, dict[str, Any]],  # its custom_id and params
    message: dict[str, Any],
    request_id: str | None,
    started: float,
) -> Outcome:
    """A reply (the Message as JSON) as an output line and a ledger row at standard prices."""
    custom_id, params = request
    mode = CallMode.of(message.get("usage"))
    model = message.get("model") or ""
    text = message_text(message)
    usage = filled_in(TokenUsage.from_api(message.get("usage")), params, text)  # never $0 for an answer
    prices = runner.app_ctx.prices
    cost = prices.cost(model, usage, mode=mode)
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
        list_cost_usd=prices.list_cost(model, usage, mode=mode),
        profile=runner.app_ctx.settings.profile,
        latency_ms=_latency(started),
        stop_reason=line.stop_reason,
        request_id=request_id,
        custom_id=custom_id,
        answer_text=text,
        mode=mode,
    )
    return Outcome(custom_id, line, record)


async def lost_attempt(
    runner: Runner,
    index: int,
    call_id: int | None,
    request: tuple[str, dict[str, Any], float],  # custom_id, params, when the first attempt started
    exc: BaseException,
    error: ClaudeCliError,
) -> int | None:
    """Before a retry: the row the next attempt is booked on. An attempt that got no answer (it timed out, its
    connection broke) may have reached the API, and been paid for, all the same: its write-ahead row is
    completed as that failure, and the next attempt gets a write-ahead row of its own - every request that
    left has a row. An error status is an answer, unbilled: such a retry goes on in the same row."""
    if status_of(exc) is not None:
        return call_id
    custom_id, params, started = request
    lost = failed_outcome(runner, custom_id, str(params.get("model", "")), error, started, permanent=False)
    runner.app_ctx.ledger.complete_many([(call_id, lost.record)])  # None: a row of its own, as at the end
    return await runner.ahead.book(index, custom_id, params)


def failed_outcome(
    runner: Runner,
    custom_id: str,
    model: str,
    error: ClaudeCliError,
    started: float,
    *,
    permanent: bool,
    api_message: str | None = None,
    unbilled: bool = False,
) -> Outcome:
    """A refusal (``permanent``) is an ``errored`` line; a failure after the retries is left for a rerun.
    ``unbilled``: the API answered with an error status (``core.client.answered_with_error``): it costs $0."""
    record = CallRecord(
        command=COMMAND,
        model=model,
        usage=TokenUsage(),
        status=error.error_type,
        cost_usd=Decimal(0) if unbilled else runner.app_ctx.prices.cost(model, TokenUsage()),
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


class AheadBooker:
    """Writes the ``in_flight`` rows of requests about to be sent, with a group commit.

    Every worker that asks in the same turn of the event loop is booked in one transaction, and each waits for
    its row before its request leaves: one commit per wave of workers instead of one per request keeps the
    loop (which serves every connection) from stalling on the ledger.
    """

    def __init__(self, runner: Runner, on_booked: Callable[[int, int | None], None]) -> None:
        self.app_ctx = runner.app_ctx
        self.on_booked = on_booked  # told each (key, row id) in the same step as the commit
        self.waiting: list[tuple[int, CallRecord, Decimal | None, asyncio.Future[int | None]]] = []

    async def book(self, key: int, custom_id: str, params: dict[str, Any]) -> int | None:
        """The id of the request's write-ahead row (None: the ledger could not take it)."""
        app_ctx = self.app_ctx
        record = CallRecord(
            command=COMMAND,
            model=str(params.get("model", "")),
            usage=TokenUsage(),
            status=IN_FLIGHT,
            profile=app_ctx.settings.profile,
            custom_id=custom_id,
        )
        loop = asyncio.get_running_loop()
        booked: asyncio.Future[int | None] = loop.create_future()
        if not self.waiting:
            loop.call_soon(self._write)  # after every worker ready in this turn has asked
        self.waiting.append((key, record, worst_case_usd(app_ctx, params), booked))
        return await booked

    def _write(self) -> None:
        waiting, self.waiting = self.waiting, []
        try:
            ids = self.app_ctx.ledger.begin_many([(record, worst) for _, record, worst, _ in waiting])
        except BaseException as exc:  # a bug, or Ctrl-C mid-write: every waiting worker sees it
            for *_, booked in waiting:
                if not booked.done():
                    booked.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (key, *_, booked), call_id in zip(waiting, ids, strict=True):
            self.on_booked(key, call_id)  # known to the runner even if its worker is cancelled now
            if not booked.done():
                booked.set_result(call_id)


def interrupted_record(runner: Runner, custom_id: str, model: str) -> CallRecord:
    return CallRecord(
        command=COMMAND,
        model=model,
        usage=TokenUsage(),
        status="interrupted",
        profile=runner.app_ctx.settings.profile,
        custom_id=custom_id,
    )


def fallback_request(runner: Runner, outcome: Outcome, params: dict[str, Any]) -> dict[str, Any] | None:
    """The request again for the fallback model, when ``outcome`` is an overload after the retries and the
    fallback may be sent (budget); else None."""
    model = params.get("model", "")
    error = outcome.error
    if error is None or outcome.line is not None or not falls_back(error, "", model, runner.fallback_model):
        return None
    fallback = {**params, "model": runner.fallback_model}
    if not clear_to_send(runner.app_ctx, fallback, model, force=runner.options.force, what=outcome.custom_id):
        return None
    return fallback


def after_fallback(first: Outcome, second: Outcome) -> Outcome:
    """The fallback's outcome; if it failed too (in any way), no line, so a rerun retries the request, and
    one error naming both failures (exit 6)."""
    if second.error is None or first.error is None:
        return second
    error = both_failed(first.record.model, first.error, second.record.model, second.error)
    return Outcome(second.custom_id, None, second.record, error, call_id=second.call_id)
