"""One chat turn: check it fits and is affordable, stream the answer, book it, print the summary.

``run_turn`` never raises for what can go wrong with a call: a budget refusal, a context overflow, an API
error or Ctrl-C while streaming each print one line and leave the REPL at its prompt. What was streamed
before a failure is kept as the (partial) answer. When nothing usable came back, the prompt text is
returned so the REPL can put it back on the input line.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.call.outcome import CallOutcome
from claudecli.call.request import user_content
from claudecli.call.stream import CallFailed, CallSpec, stream_message
from claudecli.chat.conversation import Exchange, message_problems
from claudecli.chat.interrupts import StreamGuard, one_interrupt
from claudecli.chat.limits import ContextCheck
from claudecli.core.errors import BudgetExceeded, ClaudeCliError, Terminated
from claudecli.core.tokens import estimate_input_tokens
from claudecli.money.budget import check_budget
from claudecli.render.stream import AnswerSink, make_sink
from claudecli.render.summary import Waiting, print_summary

if TYPE_CHECKING:
    from claudecli.chat.state import Attachment, ChatState

COMMAND = "chat"


@dataclass
class TurnResult:
    exchange: Exchange | None = None  # None when nothing was sent
    restore_prompt: str | None = None  # give the prompt back to the input line
    restore_attachments: list[Attachment] = field(default_factory=list)

    @property
    def sent(self) -> bool:
        return self.exchange is not None


def error_line(chat: ChatState, message: str) -> None:
    """One red line on stderr: plain text (never rich markup), scrubbed of secrets (API and gateway errors
    may echo what they received)."""
    line = chat.app_ctx.scrub(" ".join(message.split()))
    chat.app_ctx.stderr.print(Text.assemble(("error: ", "bold red"), line))


def unexpected_error(chat: ChatState, exc: BaseException, after: str) -> None:
    """A bug (an exception that is not a ClaudeCliError): one line, no traceback; the chat goes on."""
    detail = str(exc) or "no detail"
    error_line(chat, f"unexpected {type(exc).__name__}: {detail} ({after})")


def run_turn(
    chat: ChatState,
    prompt_text: str,
    attachments: list[Attachment] | None = None,
    *,
    replacing: Exchange | None = None,
) -> TurnResult:
    """Send ``prompt_text`` (after ``attachments``) as the next user turn, or re-ask ``replacing`` (/retry).

    Whatever stops the turn before the request goes out (an invalid setting, a refused budget, Ctrl-C while
    the warm-up or the models list loads, a bug) prints one line and gives the prompt back: nothing was sent
    or paid.
    """
    attachments = list(attachments or [])
    refused = TurnResult(restore_prompt=prompt_text, restore_attachments=attachments)
    try:
        _join_warmup(chat)
        prepared = _prepare(chat, prompt_text, attachments, replacing)
    except Terminated:
        raise
    except KeyboardInterrupt:
        chat.app_ctx.stderr.print(Text("interrupted: nothing was sent", style="yellow"))
        return refused
    except ClaudeCliError as exc:
        error_line(chat, f"{exc.one_line()} (nothing was sent)")
        return refused
    except Exception as exc:
        unexpected_error(chat, exc, "nothing was sent")
        return refused
    if prepared is None:
        return refused
    content, spec = prepared
    with one_interrupt() as guard:
        return _send(chat, spec, prompt_text, content, attachments, replacing, guard)


def _join_warmup(chat: ChatState) -> None:
    """Enter before the warm-up is done: wait for it rather than load anything twice, with the spinner the
    call itself shows (so the wait looks like what it is, the start of the answer)."""
    app_ctx = chat.app_ctx
    if not app_ctx.warming_up:
        return
    from claudecli.render.summary import Waiting

    waiting = Waiting(app_ctx, f"{chat.meta.model}…", not app_ctx.quiet and app_ctx.stderr.is_terminal)
    try:
        app_ctx.join_warmup()
    finally:
        waiting.stop()


def _prepare(
    chat: ChatState, prompt_text: str, attachments: list[Attachment], replacing: Exchange | None
) -> tuple[Any, CallSpec] | None:
    """The request for this turn, or None when it must not be sent (the reason is printed)."""
    if replacing is not None:
        content: Any = replacing.user_content
    else:
        content = user_content(prompt_text, [a.block for a in attachments], cache=False, ttl=chat.cache_ttl)
    messages = chat.conversation.messages(content, cache=chat.cache, ttl=chat.cache_ttl, exclude=replacing)
    params = chat.build_params(messages)
    problems = message_problems(messages, params.get("system"))
    if problems:  # a bug if it ever happens: say so instead of sending a request the API would refuse
        error_line(chat, f"internal error, not sent: {'; '.join(problems)}")
        return None
    if not _fits(chat, params):
        return None
    try:
        check_budget(chat.app_ctx, params)
    except BudgetExceeded as exc:
        error_line(chat, exc.one_line())
        return None
    spec = CallSpec(COMMAND, params, prompt_text, session_id=chat.meta.id, fallback_model=chat.fallback_model)
    return content, spec


def _send(
    chat: ChatState,
    spec: CallSpec,
    prompt_text: str,
    content: Any,
    attachments: list[Attachment],
    replacing: Exchange | None,
    guard: StreamGuard,
) -> TurnResult:
    sink = make_sink(chat.app_ctx.stdout, markdown=chat.app_ctx.markdown)
    outcome, failure = _stream(chat, spec, sink)
    guard.disarm()  # the answer is in (or cut off): from here on a Ctrl-C must not lose it
    if outcome.fallback_from is not None:  # the overloaded first call: no answer, but in the session's cost
        chat.record(Exchange.from_outcome(prompt_text, content, outcome.fallback_from))
    exchange = Exchange.from_outcome(prompt_text, content, outcome)
    chat.record(exchange, replacing=replacing)
    _close_sink(chat, sink, failure)
    print_summary(chat.app_ctx.stderr, outcome, quiet=chat.app_ctx.quiet, session_total=chat.totals.cost_usd)
    if failure is not None:
        _explain_failure(chat, failure, kept=exchange.has_answer, retry=replacing is not None)
        if failure.terminated:  # SIGTERM/SIGHUP: the turn is kept like a Ctrl-C one, then the chat ends
            raise Terminated()
    if exchange.has_answer:
        return TurnResult(exchange=exchange)
    return TurnResult(
        exchange=exchange,
        restore_prompt=None if replacing is not None else prompt_text,
        restore_attachments=attachments,
    )


def _fits(chat: ChatState, params: dict[str, Any]) -> bool:
    """Refuse a turn over the model's context window; warn from 80 % of it."""
    window = chat.context_window()
    if window is None:
        return True

    check = ContextCheck(estimate_input_tokens(params), window)
    message = check.message()
    if check.over:
        error_line(chat, message or "")
        return False
    if message:
        chat.app_ctx.warn(message)
    return True


def _stream(chat: ChatState, spec: CallSpec, sink: AnswerSink) -> tuple[CallOutcome, CallFailed | None]:
    """Stream the answer into ``sink`` (the same renderer as ``ask``); a failure keeps what arrived."""

    app_ctx = chat.app_ctx
    spinner = not app_ctx.quiet and app_ctx.stderr.is_terminal
    waiting = Waiting(app_ctx, f"{spec.params['model']}…", spinner)

    def on_text(chunk: str) -> None:
        waiting.stop()
        sink.feed(chunk)

    try:
        return stream_message(app_ctx, spec, on_text=on_text), None
    except CallFailed as failure:
        return failure.outcome, failure
    finally:
        waiting.stop()


def _close_sink(chat: ChatState, sink: AnswerSink, failure: CallFailed | None) -> None:
    """Finish the rendering; a Ctrl-C during a long final render only cuts the display short."""
    app_ctx = chat.app_ctx
    if failure is None:
        try:
            sink.finish()
        except KeyboardInterrupt:
            app_ctx.stderr.print(Text("display interrupted; the whole answer is kept", style="yellow"))
        return
    interrupted = failure.interrupted
    note = "[interrupted]" if interrupted else "[answer incomplete]"
    with contextlib.suppress(KeyboardInterrupt):
        sink.abort(note if app_ctx.markdown and failure.outcome.text else None)  # nothing arrived: no mark
    if failure.outcome.text and not app_ctx.markdown:
        app_ctx.stderr.print(Text(note, style="yellow"))


def _explain_failure(chat: ChatState, failure: CallFailed, *, kept: bool, retry: bool) -> None:
    error: ClaudeCliError = failure.error
    interrupted = failure.interrupted
    if kept:
        after = "the partial answer is kept in the conversation"
    elif retry:
        after = "no new answer; the previous one is kept"
    else:
        after = "no answer; your prompt is back on the input line"
    if interrupted:
        chat.app_ctx.stderr.print(Text(f"interrupted: {after}", style="yellow"))
    else:
        error_line(chat, f"{error.one_line()} ({after})")
