"""The chat's warm-up: while the person types the first message, everything that message needs is loaded.

Started by the REPL once the first prompt is drawn (never before: it must not delay the prompt), joined by
the first turn (``chat.turn.run_turn``), which waits for it rather than loading anything a second time. The
mechanism, and how failures reach the user, is :mod:`claudecli.core.warmup`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudecli.call.warm import call_steps, open_connection, paused, warm_booking
from claudecli.chat.session_store import slug
from claudecli.render.stream import rehearse_rendering

if TYPE_CHECKING:
    from claudecli.chat.state import ChatState
    from claudecli.core.warmup import Step


def chat_steps(chat: ChatState) -> list[Step]:
    """In order: the SDK and the client (the long part), the SDK's response models, the model's facts from the
    models list (refreshed if due), the answer renderer, then pricing, budgets and the ledger, what names a new
    session, and last the HTTP connection the first turn will use (on a thread nothing waits for)."""
    app_ctx = chat.app_ctx
    model = chat.meta.model
    color_system = app_ctx.stdout.color_system if app_ctx.markdown else None
    return [
        *call_steps(app_ctx),
        chat.context_window,
        paused(lambda: rehearse_rendering(color_system, f"{model}…")),
        paused(lambda: warm_booking(app_ctx, model)),
        lambda: slug("a new chat is named from its first prompt"),  # compiles the expression it uses
        lambda: open_connection(app_ctx, model),
    ]


def start_warmup(chat: ChatState) -> None:
    """Start the warm-up (once per chat; later calls, one per redraw of the prompt, do nothing)."""
    if not chat.app_ctx.warmup_started:
        chat.app_ctx.warm_up(chat_steps(chat))
