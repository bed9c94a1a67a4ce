"""What the chat shows besides answers: resumed turns, the sessions table, /cost, the session line.

Names, models and prompts are the user's (or the API's) text: they reach rich only as ``Text`` objects, never
as strings rich would parse as markup (``[wip] x`` would lose its brackets, ``[/x]`` would raise).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from claudecli.chat.tool_display import print_lines, step_lines
from claudecli.render.stream import make_sink
from claudecli.render.summary import format_usd
from claudecli.render.table import Column
from claudecli.render.visible import for_stream

if TYPE_CHECKING:
    from claudecli.chat.session_store import SessionListing
    from claudecli.chat.state import ChatState

RESUME_SHOWN = 3  # exchanges re-rendered when a session is resumed


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def session_line(chat: ChatState) -> str:
    turns = len(chat.conversation)
    return (
        f"session '{chat.label}' ({chat.meta.id}) · {chat.meta.model} · "
        f"{turns} turn{'s' if turns != 1 else ''} · {format_usd(chat.totals.cost_usd)}"
    )


def show_resumed(chat: ChatState, shown: int = RESUME_SHOWN) -> None:
    """Re-render the last few exchanges of a resumed session, so the user sees where it left off."""

    app_ctx = chat.app_ctx
    app_ctx.stderr.print(Text(f"resumed {session_line(chat)}", style="bold"))
    exchanges = chat.conversation.exchanges
    hidden = len(exchanges) - shown
    if chat.meta.summary:
        app_ctx.stderr.print(Text("(older turns are summarised: /compact)", style="dim"))
    if hidden > 0:
        app_ctx.stderr.print(Text(f"… {hidden} earlier exchange{'s' if hidden != 1 else ''}", style="dim"))
    for exchange in exchanges[-shown:]:
        prompt = for_stream(exchange.prompt_text, app_ctx.stdout.file)  # a prompt may be a piped file
        app_ctx.stdout.print(Text("you: ", style="bold cyan") + Text(prompt))
        if exchange.used_tools:  # what the tools did, collapsed, before the answer they led to
            print_lines(app_ctx.stderr, step_lines(exchange.steps))
        sink = make_sink(app_ctx.stdout, markdown=app_ctx.markdown)
        sink.feed(exchange.answer)
        if exchange.partial:
            sink.abort("[interrupted]" if exchange.status == "interrupted" else "[answer incomplete]")
        else:
            sink.finish()


SESSION_COLUMNS = (
    Column("name", truncate_to=20),  # the id, never cut, addresses the session too
    Column("turns", numeric=True, drop_order=2),
    Column("last used", drop_order=3),
    Column("cost", numeric=True),
    Column("model", drop_order=1),
    Column("id"),
)


def session_rows(listings: list[SessionListing]) -> list[list[str]]:
    """The cells of ``chat --list`` and ``/sessions``, one row per session."""
    rows = []
    for listing in listings:
        meta = listing.meta
        cost = format_usd(listing.cost_usd) + ("+?" if listing.unpriced_calls else "")
        rows.append([meta.name, str(listing.turns), local_time(meta.updated_at), cost, meta.model, meta.id])
    return rows


def listing_document(listing: SessionListing) -> dict[str, Any]:
    """One element of ``chat --list --json``."""
    meta = listing.meta
    return {
        "id": meta.id,
        "name": meta.name,
        "model": meta.model,
        "profile": meta.profile,
        "turns": listing.turns,
        "created_at": meta.created_at.isoformat(),
        "last_used": meta.updated_at.isoformat(),
        "cost_usd": float(listing.cost_usd),
        "cost_complete": listing.unpriced_calls == 0,
    }


def print_cost(chat: ChatState, console: Console) -> None:
    """/cost: what this session's calls used and cost, and what caching saved."""
    totals = chat.totals
    usage = totals.usage
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="dim")
    table.add_column(justify="right")
    rows: list[tuple[str, str]] = [
        ("session", f"{chat.label} ({chat.meta.id})"),
        ("calls", f"{totals.calls:,} ({len(chat.conversation):,} in the conversation)"),
        ("input", f"{usage.input_tokens:,}"),
        ("cache write", f"{usage.cache_write_tokens:,}"),
        ("cache read", f"{usage.cache_read_tokens:,}"),
        ("output", f"{usage.output_tokens:,}"),
        ("cost", format_usd(totals.cost_usd)),
        ("at list price", format_usd(totals.list_cost_usd)),
        ("saved by caching", _savings(totals.list_cost_usd, totals.cost_usd)),
    ]
    if totals.unpriced_calls:
        rows.append(("unpriced calls", f"{totals.unpriced_calls} (model price unknown; not in the cost)"))
    for name, value in rows:
        table.add_row(Text(name), Text(value))
    console.print(table)


def _savings(list_cost: Decimal, cost: Decimal) -> str:
    saved = list_cost - cost
    if list_cost <= 0:
        return format_usd(Decimal(0))
    return f"{format_usd(saved)} ({saved * 100 / list_cost:.0f} %)"
