"""/compact: summarise the older exchanges with a small model so the conversation takes less context.

The summary replaces the folded exchanges: it is sent as part of the system prompt from then on (so no
invented user or assistant turn enters the message list), and the newest exchange stays verbatim. The call
goes through ``stream_message`` like every other, so it has a ledger row (command ``chat-compact``) and its
cost counts in the session. Older exchanges are kept in the store, marked ``compacted``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.call.outcome import CallOutcome
from claudecli.call.stream import CallFailed, CallSpec, stream_message
from claudecli.chat.conversation import Exchange
from claudecli.chat.interrupts import one_interrupt
from claudecli.core.errors import BudgetExceeded, Terminated
from claudecli.render.summary import format_usd

if TYPE_CHECKING:
    from claudecli.chat.state import ChatState

COMMAND = "chat-compact"
MODEL_ALIAS = "haiku"
KEEP_RECENT = 1  # exchanges kept verbatim after the summary
MAX_SUMMARY_TOKENS = 2048
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
        parts.append(f"Assistant{note}:\n{exchange.answer.strip()}")
    return "<conversation>\n" + "\n\n".join(parts) + "\n</conversation>\n\nSummarise this conversation."


def compact_params(model: str, transcript: str) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": MAX_SUMMARY_TOKENS,
        "system": INSTRUCTIONS,
        "messages": [{"role": "user", "content": transcript}],
    }


def compact(chat: ChatState) -> bool:
    """Fold all but the newest exchange into the summary; returns whether anything changed."""
    from claudecli.catalog.lookup import resolve_model
    from claudecli.chat.turn import error_line
    from claudecli.money.budget import check_budget
    from claudecli.render.summary import Waiting

    app_ctx = chat.app_ctx
    folded = chat.conversation.exchanges[:-KEEP_RECENT]
    if not folded:
        app_ctx.stderr.print(Text("nothing to compact yet: the newest exchange is always kept as it is"))
        return False
    before = chat.estimated_context_tokens()
    transcript = transcript_for_summary(chat.meta.summary, folded)
    params = compact_params(resolve_model(app_ctx, MODEL_ALIAS), transcript)
    try:
        check_budget(app_ctx, params)
    except BudgetExceeded as exc:
        error_line(chat, exc.one_line())
        return False
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
            return False
        guard.disarm()
        waiting.stop()
        return _apply(chat, outcome, transcript, folded, before)


def _apply(
    chat: ChatState, outcome: CallOutcome, transcript: str, folded: list[Exchange], before: int
) -> bool:
    from claudecli.chat.turn import error_line

    app_ctx = chat.app_ctx
    call = _call_exchange(outcome, transcript)
    summary = outcome.text.strip()
    if not summary:
        chat.book_failed_side_call(call)
        error_line(chat, "/compact got an empty summary; nothing changed")
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
