"""One streamed Messages call, measured, priced and written to the ledger, whatever way it ends.

``ask`` and each ``chat`` turn go through ``stream_message``; it is the only code that iterates an SDK stream.
Exactly one ledger row is written per call, before its request leaves (status "in_flight", see
``claudecli.ledger.write_ahead``), and completed in place when it ends: on success, on an API or transport error
(with the tokens known so far), and on Ctrl-C (status "interrupted", after the connection is closed so metering
stops). A process killed in between leaves the row in flight for a later run to settle. A call the API was too
overloaded to answer may be sent once more to the fallback model (``claudecli.call.fallback``): that is a second
call, with its own write-ahead row.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.call.attempts import AttemptRows
from claudecli.call.fallback import both_failed, clear_to_send, falls_back
from claudecli.call.outcome import CallOutcome
from claudecli.call.request import request_betas
from claudecli.core import retry_notice
from claudecli.core.errors import ClaudeCliError, Interrupted, Terminated, TerminatedError
from claudecli.core.sdk_errors import (
    answered_with_error,
    lost_mid_answer,
    no_message,
    translate,
    translate_errors,
)
from claudecli.core.tokens import filled_in, text_tokens
from claudecli.core.usage import CallMode, TokenUsage
from claudecli.ledger.store import CallRecord
from claudecli.ledger.write_ahead import IN_FLIGHT
from claudecli.money.budget import worst_case_usd

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

TextCallback = Callable[[str], None]


@dataclass
class CallSpec:
    """What to send and how to book it."""

    command: str
    params: dict[str, Any]
    prompt_text: str = ""
    tag: str | None = None
    session_id: str | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    fallback_model: str | None = None  # asked once when the model is overloaded before any text arrived
    force: bool = False  # --force: a budget refusal of the fallback call only warns
    loop_id: str | None = None  # the tool loop this call is a step of (ledger columns loop_id and step)
    step: int | None = None
    custom_id: str | None = None  # batch run: the input line's id


class CallFailed(ClaudeCliError):
    """Wraps the real error with the partial outcome, so callers keep what was streamed before it failed."""

    def __init__(self, error: ClaudeCliError, outcome: CallOutcome) -> None:
        super().__init__(
            error.message, request_id=error.request_id, hint=error.hint, error_type=error.error_type
        )
        self.exit_code = error.exit_code
        self.error = error
        self.outcome = outcome

    @property
    def interrupted(self) -> bool:
        """Cut short by Ctrl-C, SIGTERM or SIGHUP (not by an error)."""
        return isinstance(self.error, Interrupted)

    @property
    def terminated(self) -> bool:
        """Cut short by SIGTERM or SIGHUP: the caller keeps what it got, then the command must end."""
        return isinstance(self.error, TerminatedError)


class _Meter:
    """Collects what a stream has produced so far, so a failure at any point still knows it."""

    def __init__(self, model: str, max_tokens: int | None, params: dict[str, Any] | None = None) -> None:
        self.params = params or {}
        self.started = time.monotonic()
        self.first_token_at: float | None = None
        self.outcome = CallOutcome(model=model, max_tokens=max_tokens)
        self.text_parts: list[str] = []
        self.thinking_parts: list[str] = []
        self.raw_usage: Any = None
        self.began = self.ended = False  # message_start and message_stop seen: a whole message arrived

    def on_first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()

    def finish(self, status: str) -> CallOutcome:
        outcome = self.outcome
        outcome.status = status
        outcome.text = "".join(self.text_parts)
        outcome.thinking = "".join(self.thinking_parts)
        outcome.latency_ms = int((time.monotonic() - self.started) * 1000)
        if self.first_token_at is not None:
            outcome.ttft_ms = int((self.first_token_at - self.started) * 1000)
        usage = TokenUsage.from_api(self.raw_usage)
        if self.began:  # an answer came back: a usage it could not report is estimated, never $0
            usage = filled_in(usage, self.params, outcome.text + outcome.thinking)
        outcome.mode = CallMode.of(self.raw_usage, self.params)
        if status != "ok":
            usage = _with_streamed_output(usage, outcome.text, outcome.thinking)
        outcome.usage = usage
        return outcome


def _with_streamed_output(usage: TokenUsage, text: str, thinking: str) -> TokenUsage:
    """An unfinished stream reports output tokens only at its end, so estimate them from what arrived.

    Without this an interrupted or dropped call would be booked at the 1 output token of message_start,
    and the ledger (and budgets) would undercount what was actually generated and billed.
    """

    streamed = text_tokens(text) + text_tokens(thinking)
    return replace(usage, output_tokens=max(usage.output_tokens, streamed))


def _consume(stream: Any, meter: _Meter, on_text: TextCallback, on_thinking: TextCallback | None) -> None:
    for event in stream:
        kind = event.type
        if kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                meter.on_first_token()
                meter.text_parts.append(delta.text)
                on_text(delta.text)
            elif delta.type == "thinking_delta":
                meter.on_first_token()
                meter.thinking_parts.append(delta.thinking)
                if on_thinking is not None:
                    on_thinking(delta.thinking)
        elif kind == "message_start":
            meter.began = True
            meter.outcome.model = event.message.model
            meter.raw_usage = event.message.usage
        elif kind == "message_stop":
            meter.ended = True
        elif kind == "message_delta":
            meter.outcome.stop_reason = event.delta.stop_reason
            meter.raw_usage = stream.current_message_snapshot.usage


def stream_message(
    app_ctx: AppContext,
    spec: CallSpec,
    *,
    on_text: TextCallback,
    on_thinking: TextCallback | None = None,
) -> CallOutcome:
    """Stream one call, calling ``on_text`` per text delta; returns the outcome or raises ``CallFailed``/Interrupted.

    An overload before any text goes once to ``spec.fallback_model``: the outcome is then the fallback's,
    with ``fallback_from`` the failed first call.
    """
    try:
        return _stream_once(app_ctx, spec, on_text, on_thinking)
    except CallFailed as failure:
        fallback = _fallback_spec(app_ctx, spec, failure)
        if fallback is None:
            raise
        first = failure
    return _stream_fallback(app_ctx, fallback, first, on_text, on_thinking)


def _fallback_spec(app_ctx: AppContext, spec: CallSpec, failure: CallFailed) -> CallSpec | None:
    model = spec.params["model"]
    if not falls_back(failure.error, failure.outcome.text, model, spec.fallback_model):
        return None
    params = {**spec.params, "model": spec.fallback_model}
    if not clear_to_send(app_ctx, params, model, force=spec.force):
        return None
    retry_notice.report_fallback(model, params["model"])
    return replace(spec, params=params, fallback_model=None)


def _stream_fallback(
    app_ctx: AppContext,
    spec: CallSpec,
    first: CallFailed,
    on_text: TextCallback,
    on_thinking: TextCallback | None,
) -> CallOutcome:
    try:
        outcome = _stream_once(app_ctx, spec, on_text, on_thinking)
    except CallFailed as again:
        again.outcome.fallback_from = first.outcome
        if again.interrupted:  # Ctrl-C, SIGTERM or SIGHUP: the caller keeps what it got
            raise
        error = both_failed(first.outcome.model, first.error, spec.params["model"], again.error)
        raise CallFailed(error, again.outcome) from None
    outcome.fallback_from = first.outcome
    return outcome


def _stream_once(
    app_ctx: AppContext, spec: CallSpec, on_text: TextCallback, on_thinking: TextCallback | None
) -> CallOutcome:
    """One streamed call, booked whatever way it ends."""
    # A call that cannot even start (no key) is not a call: no ledger row. The client first: api_key_command,
    # which the warm-up never runs, then runs while the warm-up may still be importing the SDK.
    client = app_ctx.client
    app_ctx.join_warmup()  # the rest of what it loads is what this call needs: wait, never load it twice
    meter = _Meter(spec.params["model"], spec.params.get("max_tokens"), spec.params)
    betas = request_betas(app_ctx.settings, spec.params)
    # With betas the call goes through the SDK's beta resource, whose types keep beta-only response blocks.
    resource: Any = client.beta.messages if betas else client.messages
    beta_args: dict[str, Any] = {"betas": list(betas)} if betas else {}
    stream: Any = None
    rows = _attempt_rows(app_ctx, spec)
    try:
        rows.first()  # with Ctrl-C held back: one landing now comes after the row is known, so it is completed
        meter.started = time.monotonic()
        with translate_errors(answer_begun=lambda: stream is not None), retry_notice.booking_attempts(rows):
            manager = resource.stream(**spec.params, **beta_args, extra_body=spec.extra_body or None)
            with manager as stream:
                meter.outcome.request_id = stream.request_id
                _consume(stream, meter, on_text, on_thinking)
                _take_final(stream, meter)
    except KeyboardInterrupt as exc:
        _take_partial_usage(stream, meter)
        outcome = _book(app_ctx, spec, meter.finish("interrupted"), rows.call_id)
        # SIGTERM/SIGHUP keep the partial answer as Ctrl-C does; the caller ends the command once it is kept.
        stop = TerminatedError() if isinstance(exc, Terminated) else Interrupted("interrupted")
        raise CallFailed(stop, outcome) from None
    except ClaudeCliError as exc:
        _take_partial_usage(stream, meter)
        # An HTTP error comes before any stream exists: its id is on the error (the SDK read `request-id`).
        meter.outcome.request_id = meter.outcome.request_id or exc.request_id
        meter.outcome.unbilled = answered_with_error(exc)
        outcome = _book(app_ctx, spec, meter.finish(exc.error_type), rows.call_id)
        raise CallFailed(exc, outcome) from exc
    except BaseException:
        # Our side failed mid-stream (stdout closed by `| head`, an unencodable character): the API was
        # still paid, so the call is booked before the error goes on to the boundary.
        _take_partial_usage(stream, meter)
        _book(app_ctx, spec, meter.finish("output_error"), rows.call_id)
        raise
    return _book(app_ctx, spec, meter.finish("ok"), rows.call_id)


def _attempt_rows(app_ctx: AppContext, spec: CallSpec) -> AttemptRows:
    """The call's rows: one per attempt that may have been paid for (``call.attempts``)."""

    def book_lost(call_id: int | None, exc: BaseException, latency_ms: int) -> None:
        """Complete a lost attempt's row as its failure (no answer: nothing known to price but $0)."""
        error = translate(exc)
        meter = _Meter(spec.params["model"], spec.params.get("max_tokens"), spec.params)
        outcome = meter.finish(error.error_type if error else "connection_error")
        outcome.latency_ms = latency_ms
        _book_now(app_ctx, spec, outcome, call_id)

    return AttemptRows(lambda: _book_ahead(app_ctx, spec), book_lost, held=_sigint_deferred)


def _take_final(stream: Any, meter: _Meter) -> None:
    """The whole message's usage and content; a stream that ended without one is a connection failure."""
    if not meter.began:
        raise no_message()
    if not meter.ended:
        raise lost_mid_answer("the message ended unfinished")
    final = stream.get_final_message()
    meter.raw_usage = final.usage
    meter.outcome.stop_reason = final.stop_reason
    meter.outcome.content = [block.model_dump(exclude_none=True) for block in final.content]


def rehearse(client: Any, *, beta: bool = False) -> None:
    """Stream one reply from ``client`` (``core.client.rehearsal_client``: canned, local) through the very code
    a call uses, so the SDK's first-use builds are done before the first real call. Nothing is booked.
    ``beta``: through the beta resource, whose response types the calls will use (betas configured)."""

    def ignore(chunk: str) -> None:
        pass

    meter = _Meter("rehearsal", 1)
    params: dict[str, Any] = {
        "model": "rehearsal",
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "."}],
    }
    resource = client.beta.messages if beta else client.messages
    with resource.stream(**params) as stream:
        meter.outcome.request_id = stream.request_id
        _consume(stream, meter, ignore, ignore)
        _take_final(stream, meter)
    meter.finish("ok")


def _take_partial_usage(stream: Any, meter: _Meter) -> None:
    """After a failure, use the stream's own snapshot for the tokens known so far (if it got that far)."""
    if stream is None:
        return
    # Before message_start the snapshot does not exist (an assertion): nothing more is known then.
    with contextlib.suppress(AssertionError):
        meter.raw_usage = stream.current_message_snapshot.usage
    if meter.outcome.request_id is None:
        meter.outcome.request_id = getattr(stream, "request_id", None)


def _price(app_ctx: AppContext, outcome: CallOutcome, when: datetime) -> None:
    if outcome.unbilled:  # even for a model no source prices: nothing is not an unknown amount
        outcome.cost_usd = outcome.list_cost_usd = Decimal(0)
        return
    prices = app_ctx.prices
    mode = outcome.mode
    outcome.cost_usd = prices.cost(outcome.model, outcome.usage, batch=outcome.is_batch, when=when, mode=mode)
    outcome.list_cost_usd = prices.list_cost(outcome.model, outcome.usage, when=when, mode=mode)


_DEFERRED_SIGNALS = {
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
}


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C (and SIGTERM/SIGHUP) back while a call is booked, so a late one cannot roll back its row."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _DEFERRED_SIGNALS)


def _book_ahead(app_ctx: AppContext, spec: CallSpec) -> int | None:
    """Write the call's ``in_flight`` row before its request leaves: a kill -9 mid-call still leaves it booked."""
    record = CallRecord(
        command=spec.command,
        model=spec.params["model"],
        usage=TokenUsage(),
        status=IN_FLIGHT,
        profile=app_ctx.settings.profile,
        tag=spec.tag,
        session_id=spec.session_id,
        loop_id=spec.loop_id,
        step=spec.step,
        custom_id=spec.custom_id,
    )
    return app_ctx.ledger.begin(record, worst_case_usd(app_ctx, spec.params))


def _book(app_ctx: AppContext, spec: CallSpec, outcome: CallOutcome, call_id: int | None) -> CallOutcome:
    """Price the outcome and complete its one ledger row (with Ctrl-C held back meanwhile)."""
    with _sigint_deferred():
        return _book_now(app_ctx, spec, outcome, call_id)


def _book_now(app_ctx: AppContext, spec: CallSpec, outcome: CallOutcome, call_id: int | None) -> CallOutcome:
    now = datetime.now(UTC)
    _price(app_ctx, outcome, now)
    record = CallRecord(
        command=spec.command,
        model=outcome.model,
        usage=outcome.usage,
        status=outcome.status,
        cost_usd=outcome.cost_usd,
        list_cost_usd=outcome.list_cost_usd,
        profile=app_ctx.settings.profile,
        is_batch=outcome.is_batch,
        latency_ms=outcome.latency_ms,
        ttft_ms=outcome.ttft_ms,
        stop_reason=outcome.stop_reason,
        request_id=outcome.request_id,
        tag=spec.tag,
        session_id=spec.session_id,
        prompt_text=spec.prompt_text,
        answer_text=outcome.text,
        mode=outcome.mode,
        ts=now,
        loop_id=spec.loop_id,
        step=spec.step,
        custom_id=spec.custom_id,
    )
    app_ctx.ledger.complete_many([(call_id, record)])
    return outcome
