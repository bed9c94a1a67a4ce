"""/compact: summarise the older exchanges with a small model so the conversation takes less context.

The summary replaces the folded exchanges: it is sent as part of the system prompt from then on (so no
invented user or assistant turn enters the message list), and the newest exchange stays verbatim. The call
goes through ``stream_message`` like every other, so it has a ledger row (command ``chat-compact``) and its
cost counts in the session. Older exchanges are kept in the store, marked ``compacted``. A summary cut off
at ``max_tokens`` is never used: it is asked for once more with four times the room, and if that is cut
off too the conversation stays as it was. So it does when the summary is no shorter than the text it would
replace (a very short chat): folding it in would make the context larger. Tool steps are summarised from
their text form (what was called and what came back, results shortened): the summary request itself carries
no tool blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.call.outcome import CallOutcome
from claudecli.call.stream import CallFailed, CallSpec, stream_message
from claudecli.catalog.lookup import model_info, resolve_model
from claudecli.chat.conversation import Exchange
from claudecli.chat.interrupts import one_interrupt
from claudecli.chat.turn import error_line
from claudecli.core.errors import BudgetExceeded, Terminated
from claudecli.core.tokens import content_tokens, text_tokens
from claudecli.money.budget import check_budget
from claudecli.render.summary import Waiting, format_usd

if TYPE_CHECKING:
    from claudecli.chat.state import ChatState

COMMAND = "chat-compact"
MODEL_ALIAS = "haiku"
KEEP_RECENT = 1  # exchanges kept verbatim after the summary
MAX_SUMMARY_TOKENS = 2048
RETRY_SUMMARY_TOKENS = 4 * MAX_SUMMARY_TOKENS  # a summary cut off at max_tokens gets one more try
INSTRUCTIONS = (
    "You compress conversations. Summarise the conversation you are given so that it can be continued "
    "without it: keep every fact, decision, name, number, file, code identifier and open question that "
    "later turns may rely on; drop pleasantries and repetition. Write the summary only, in the conversation's "
    "language, as compact Markdown notes."
)


def _user_text(exchange: Exchange) -> str:
    content = exchange.user_content
    if not isinstance(content, list):
        return exchange.prompt_text
    notes = [
        f"[attached: {block.get('title') or block.get('type')}]"
        for block in content
        if isinstance(block, dict) and block.get("type") != "text"
    ]
    return "\n".join([*notes, exchange.prompt_text])


def transcript_for_summary(previous_summary: str | None, exchanges: list[Exchange]) -> str:
    parts = []
    if previous_summary:
        parts.append(f"Summary of what came before:\n\n{previous_summary}")
    for exchange in exchanges:
        parts.append(f"User:\n{_user_text(exchange)}")
        note = " (interrupted, partial)" if exchange.partial else ""
        parts.append(f"Assistant{note}:\n{exchange.as_text()}")
    return "<conversation>\n" + "\n\n".join(parts) + "\n</conversation>\n\nSummarise this conversation."


def compact_params(model: str, transcript: str, max_tokens: int = MAX_SUMMARY_TOKENS) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": INSTRUCTIONS,
        "messages": [{"role": "user", "content": transcript}],
    }


def compact(chat: ChatState) -> bool:
    """Fold all but the newest exchange into the summary; returns whether anything changed.

    A summary cut off at ``max_tokens`` would silently lose the end of the conversation: it is asked for
    once more with room to spare (up to the model's output limit); cut off again, nothing changes.
    """

    app_ctx = chat.app_ctx
    folded = chat.conversation.exchanges[:-KEEP_RECENT]
    if not folded:
        app_ctx.stderr.print(Text("nothing to compact yet: the newest exchange is always kept as it is"))
        return False
    before = chat.estimated_context_tokens()
    transcript = transcript_for_summary(chat.meta.summary, folded)
    model = resolve_model(app_ctx, MODEL_ALIAS)
    outcome = None
    for max_tokens in _summary_budgets(chat, model):
        if outcome is not None:
            app_ctx.warn(
                f"the summary was cut off at {outcome.usage.output_tokens:,} tokens; "
                f"asking again with room for {max_tokens:,}"
            )
        outcome = _summarise(chat, compact_params(model, transcript, max_tokens), transcript)
        if outcome is None:
            return False
        if outcome.stop_reason != "max_tokens":
            return _apply(chat, outcome, transcript, folded, before)
        chat.book_failed_side_call(_call_exchange(outcome, transcript))  # it cost money: it counts

    error_line(chat, "/compact: the summary was cut off (max_tokens) even with more room; nothing changed")
    return False


def _summary_budgets(chat: ChatState, model: str) -> tuple[int, ...]:
    """``max_tokens`` for the summary, then for the one retry: four times as much, within the model's limit."""

    facts = model_info(chat.app_ctx, model)
    limit = facts.max_output_tokens if facts and facts.max_output_tokens else RETRY_SUMMARY_TOKENS
    retry = min(RETRY_SUMMARY_TOKENS, limit)
    return (MAX_SUMMARY_TOKENS, retry) if retry > MAX_SUMMARY_TOKENS else (MAX_SUMMARY_TOKENS,)


def _summarise(chat: ChatState, params: dict[str, Any], transcript: str) -> CallOutcome | None:
    """One summary call, budget-checked and booked; None when it was refused or failed (already said)."""

    app_ctx = chat.app_ctx
    try:
        check_budget(app_ctx, params)
    except BudgetExceeded as exc:
        error_line(chat, exc.one_line())
        return None
    spec = CallSpec(COMMAND, params, prompt_text=transcript, session_id=chat.meta.id)
    waiting = Waiting(app_ctx, f"compacting with {params['model']}…", app_ctx.stderr.is_terminal)
    with one_interrupt() as guard:
        try:
            outcome = stream_message(app_ctx, spec, on_text=lambda _chunk: None)
        except CallFailed as failure:
            guard.disarm()
            waiting.stop()
            chat.book_failed_side_call(_call_exchange(failure.outcome, transcript))
            if failure.terminated:
                raise Terminated() from None
            error_line(chat, f"/compact failed, nothing changed: {failure.error.one_line()}")
            return None
        guard.disarm()
        waiting.stop()
        return outcome


def _replaced_tokens(chat: ChatState, transcript: str, folded: list[Exchange]) -> int:
    """What the summary would replace: the previous summary and the folded exchanges as they are sent (an
    attachment whole, not its "[attached: …]" line in ``transcript``; tool results unshortened), or the
    transcript when that is larger."""
    tools = chat.tools.names()
    in_context = text_tokens(chat.meta.summary or "")
    for exchange in folded:
        in_context += content_tokens(exchange.user_content)
        in_context += sum(content_tokens(message["content"]) for message in exchange.reply(tools))
    return max(in_context, text_tokens(transcript))


def _apply(
    chat: ChatState, outcome: CallOutcome, transcript: str, folded: list[Exchange], before: int
) -> bool:

    app_ctx = chat.app_ctx
    call = _call_exchange(outcome, transcript)
    summary = outcome.text.strip()
    if not summary:
        chat.book_failed_side_call(call)
        error_line(chat, "/compact got an empty summary; nothing changed")
        return False
    if text_tokens(summary) >= _replaced_tokens(chat, transcript, folded):
        chat.book_failed_side_call(call)  # it cost money: it counts
        exchanges = f"{len(folded)} exchange{'s' if len(folded) != 1 else ''}"
        chat.app_ctx.stderr.print(
            Text(
                f"nothing compacted: the summary came out no shorter than the {exchanges} it would replace · "
                f"{format_usd(outcome.cost_usd)}"
            )
        )
        return False
    chat.apply_compaction(summary, folded, call)
    after = chat.estimated_context_tokens()
    app_ctx.stderr.print(
        Text(
            f"compacted {len(folded)} exchange{'s' if len(folded) != 1 else ''} into a summary: "
            f"about {before:,} → {after:,} tokens in context · {format_usd(outcome.cost_usd)}"
        )
    )
    return True


def _call_exchange(outcome: CallOutcome, transcript: str) -> Exchange:
    return Exchange.from_outcome("/compact", transcript, outcome)
