"""One chat turn: check it fits and is affordable, run it (the tool loop), book it, print the summary.

A turn goes through ``run_tool_loop``: with no tools it is one streamed call, as before; with tools it is as
many steps as the model needs (up to ``--max-steps``), each budget-checked and booked, the tool calls shown in
the transcript and stored with the exchange. ``run_turn`` never raises for what can go wrong: a budget
refusal, a context overflow, an API error, the step limit or Ctrl-C each print one line and leave the REPL at
its prompt. What arrived before a failure is kept: the (partial) answer, and the tool steps so far (a tool that
ran had its effect; the model must know). When nothing usable came back, the prompt text is returned so the
REPL can put it back on the input line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.call.request import user_content
from claudecli.call.stream import CallSpec
from claudecli.call.tool_loop import LoopFailed, LoopOutcome, run_tool_loop
from claudecli.chat.conversation import Exchange, message_problems
from claudecli.chat.interrupts import StreamGuard, one_interrupt
from claudecli.chat.limits import ContextCheck
from claudecli.chat.loop_record import last_context_tokens, loop_exchange, loop_outcomes
from claudecli.chat.turn_view import TurnView
from claudecli.core.controls import visible
from claudecli.core.errors import (
    BudgetExceeded,
    ClaudeCliError,
    Interrupted,
    StdoutFailed,
    Terminated,
    TerminatedError,
)
from claudecli.core.tokens import estimate_input_tokens
from claudecli.money.budget import check_budget
from claudecli.render.summary import print_summary, summary_text
from claudecli.render.terminal import EchoHold, ctrl_c_echoed

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
    may echo what they received), its controls shown as ``\\x1b`` (it may quote what the user typed)."""
    line = visible(chat.app_ctx.scrub(" ".join(message.split())))
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
    echo = EchoHold()  # hidden from Enter to the summary (no gap between two live areas), but when asking
    try:
        echo.take()  # inside the try: a Ctrl-C landing just after it still gives it back
        return _turn(chat, prompt_text, attachments, replacing, echo)
    finally:
        echo.close()


def _turn(
    chat: ChatState,
    prompt_text: str,
    attachments: list[Attachment],
    replacing: Exchange | None,
    echo: EchoHold,
) -> TurnResult:
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
        return _send(chat, spec, prompt_text, content, attachments, replacing, guard, echo)


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
    messages = chat.conversation.messages(
        content, cache=chat.cache, ttl=chat.cache_ttl, exclude=replacing, tool_names=chat.tools.names()
    )
    params = chat.tools.with_tools(chat.build_params(messages))
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
    echo: EchoHold,
) -> TurnResult:
    view = TurnView(chat, spec.params["model"], echo)
    chat.display_hold = view.before_asking
    try:
        loop, failure = _run_loop(chat, spec, view)
    finally:
        chat.display_hold = None
    guard.disarm()  # the answer is in (or cut off): from here on a Ctrl-C must not lose it
    if not loop.steps:  # refused before its first call: nothing was sent or paid
        view.close(failed=True, interrupted=False)
        error = failure.error.one_line() if failure is not None else "no call was made"
        error_line(chat, f"{error} (nothing was sent)")
        return TurnResult(restore_prompt=prompt_text, restore_attachments=attachments)
    for outcome in loop_outcomes(loop):
        if outcome.fallback_from is not None:  # an overloaded call: no answer, but in the session's cost
            chat.record(Exchange.from_outcome(prompt_text, content, outcome.fallback_from))
    exchange = loop_exchange(prompt_text, content, loop, failure)
    chat.record(exchange, replacing=replacing, context_tokens=last_context_tokens(loop))
    interrupted = failure is not None and isinstance(failure.error, Interrupted)
    if failure is not None and isinstance(failure.error, StdoutFailed):
        raise failure.error  # the answer is kept in the session; the chat ends with the error (repl._evaluate)
    view.close(failed=failure is not None and _last_step_failed(loop), interrupted=interrupted)
    _summary(chat, loop)
    if failure is not None:
        _explain_failure(chat, failure.error, exchange, retry=replacing is not None)
        if isinstance(failure.error, TerminatedError):  # SIGTERM/SIGHUP: kept like Ctrl-C, then it ends
            raise Terminated()
    if exchange.in_context:
        return TurnResult(exchange=exchange)
    return TurnResult(
        exchange=exchange,
        restore_prompt=None if replacing is not None else prompt_text,
        restore_attachments=attachments,
    )


def _run_loop(chat: ChatState, spec: CallSpec, view: TurnView) -> tuple[LoopOutcome, LoopFailed | None]:
    """The turn's tool loop (one call when the chat has no tools); a failure keeps the partial loop."""
    tools = chat.tools
    try:
        loop = run_tool_loop(
            chat.app_ctx, spec, tools.toolbox, max_steps=tools.max_steps, events=view.events()
        )
        return loop, None
    except LoopFailed as failure:
        echoed = ctrl_c_echoed(chat.app_ctx.stderr.file, failure.error) and not view.fed  # text ends its line
        view.stop_waiting()
        if echoed:
            chat.app_ctx.stderr.print()
        return failure.partial, failure
    finally:
        view.stop_waiting()


def _last_step_failed(loop: LoopOutcome) -> bool:
    return bool(loop.steps) and loop.final.status != "ok"


def _summary(chat: ChatState, loop: LoopOutcome) -> None:
    """The summary line: the call's, or the whole loop's with its steps and tool calls (costs summed)."""
    if not loop.steps:
        return
    stderr, quiet = chat.app_ctx.stderr, chat.app_ctx.quiet
    total = loop.total()
    if len(loop.steps) == 1 and not loop.tool_calls:
        print_summary(stderr, total, quiet=quiet, session_total=chat.totals.cost_usd)
        return
    if not quiet:
        steps, calls = len(loop.steps), loop.tool_calls
        extra = f" · {steps} step{'s' * (steps != 1)} · {calls} tool call{'s' * (calls != 1)}"
        line = summary_text(total, session_total=chat.totals.cost_usd) + extra
        stderr.print(Text(line, style="dim"), highlight=False)
    print_summary(stderr, total, quiet=True)  # only its warnings (cut off, refusal)


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


def _explain_failure(chat: ChatState, error: ClaudeCliError, exchange: Exchange, *, retry: bool) -> None:
    if exchange.in_context and exchange.used_tools:
        after = "the steps so far are kept in the conversation"
    elif exchange.in_context:
        after = "the partial answer is kept in the conversation"
    elif retry:
        after = "no new answer; the previous one is kept"
    else:
        after = "no answer; your prompt is back on the input line"
    if isinstance(error, Interrupted):
        chat.app_ctx.stderr.print(Text(f"interrupted: {after}", style="yellow"))
    else:
        error_line(chat, f"{error.one_line()} ({after})")
