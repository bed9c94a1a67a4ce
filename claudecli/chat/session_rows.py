"""How a chat session's rows are stored and spooled: the settings row, turn rows, and their JSON forms.

Costs are stored as whole nano-dollars (exact integers); times as the ledger stores them (``ledger.sql``).
The JSON forms are what :class:`~claudecli.chat.session_store.SessionStore` keeps in its side spool when the
database cannot take a turn (see ``claudecli.core.db``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from claudecli.chat.conversation import Exchange
from claudecli.core.db_files import format_ts, parse_ts
from claudecli.core.usage import TokenUsage

_NANOS = Decimal(1_000_000_000)


@dataclass
class SessionMeta:
    """A session's settings and identity (what ``sessions`` holds)."""

    id: str
    name: str
    model: str
    system: str | None = None
    thinking: str | None = None
    summary: str | None = None
    profile: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def to_nanos(value: Decimal | None) -> int | None:
    return None if value is None else int((value * _NANOS).to_integral_value())


def from_nanos(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / _NANOS


META_COLUMNS = "id, name, profile, model, system, thinking, summary, created_at, updated_at"
TURN_COLUMNS = (
    "seq, kind, state, prompt_text, user_content, answer, status, model, usage, cost_nanos, list_cost_nanos, "
    "created_at, steps, calls"
)
# Values the API issued that must come back byte for byte (a changed signature is refused): never scrubbed.
OPAQUE_KEYS = frozenset(
    {"signature", "data", "encrypted_content", "encrypted_index", "id", "tool_use_id", "type"}
)


def scrubbed_steps(
    steps: list[dict[str, Any]] | None, scrub: Callable[[str], str]
) -> list[dict[str, Any]] | None:
    """Tool steps with every text scrubbed of secrets, opaque values left alone.

    A thinking block whose text holds a secret cannot be stored masked (its signature would no longer match,
    and the API refuses the whole request): it is left out. The API needs the thinking blocks only of a tool
    loop still running, never of a finished exchange.
    """
    if steps is None:
        return None
    kept = []
    for message in steps:
        content = message.get("content")
        if isinstance(content, list):
            content = [_scrubbed_block(block, scrub) for block in content]
            content = [block for block in content if block is not None]
        kept.append({**message, "content": _scrubbed_value(content, scrub)})
    return kept


def _scrubbed_block(block: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(block, dict) and block.get("type") == "thinking":
        text = str(block.get("thinking", ""))
        return block if scrub(text) == text else None
    return _scrubbed_value(block, scrub)


def _scrubbed_value(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            key: item if key in OPAQUE_KEYS else _scrubbed_value(item, scrub) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrubbed_value(item, scrub) for item in value]
    return value


def meta_document(meta: SessionMeta) -> dict[str, Any]:
    """A session's settings as JSON, for the side spool."""
    return {
        **{
            name: getattr(meta, name)
            for name in ("id", "name", "model", "system", "thinking", "summary", "profile")
        },
        "created_at": format_ts(meta.created_at),
        "updated_at": format_ts(meta.updated_at),
    }


def meta_from_document(document: dict[str, Any]) -> SessionMeta:
    return SessionMeta(
        **{
            **document,
            "created_at": parse_ts(document["created_at"]),
            "updated_at": parse_ts(document["updated_at"]),
        }
    )


def exchange_document(exchange: Exchange) -> dict[str, Any]:
    """An exchange as JSON, for the side spool (what ``_insert`` writes)."""
    return {
        "prompt_text": exchange.prompt_text,
        "user_content": exchange.user_content,
        "answer": exchange.answer,
        "status": exchange.status,
        "model": exchange.model,
        "usage": exchange.usage.as_dict(),
        "cost_nanos": to_nanos(exchange.cost_usd),
        "list_cost_nanos": to_nanos(exchange.list_cost_usd),
        "kind": exchange.kind,
        "state": exchange.state,
        "created_at": format_ts(exchange.created_at),
        "steps": exchange.steps,
        "calls": exchange.calls,
    }


def exchange_from_document(document: dict[str, Any]) -> Exchange:
    return Exchange(
        prompt_text=document["prompt_text"],
        user_content=document["user_content"],
        answer=document["answer"],
        status=document["status"],
        model=document["model"],
        usage=stored_usage(document["usage"]),
        cost_usd=from_nanos(document["cost_nanos"]),
        list_cost_usd=from_nanos(document["list_cost_nanos"]),
        kind=document["kind"],
        state=document["state"],
        created_at=parse_ts(document["created_at"]),
        steps=document.get("steps"),  # spooled before tool steps were stored: none
        calls=int(document.get("calls") or 1),
    )


def meta_row(row: sqlite3.Row | tuple[Any, ...]) -> SessionMeta:
    return SessionMeta(
        id=row[0],
        name=row[1],
        profile=row[2],
        model=row[3],
        system=row[4],
        thinking=row[5],
        summary=row[6],
        created_at=parse_ts(row[7]),
        updated_at=parse_ts(row[8]),
    )


def stored_usage(stored: dict[str, Any]) -> TokenUsage:
    known = {f.name for f in fields(TokenUsage)}
    return TokenUsage(**{name: int(value) for name, value in stored.items() if name in known})


def exchange_row(row: tuple[Any, ...]) -> Exchange:
    return Exchange(
        seq=row[0],
        kind=row[1],
        state=row[2],
        prompt_text=row[3],
        user_content=json.loads(row[4]),
        answer=row[5],
        status=row[6],
        model=row[7],
        usage=stored_usage(json.loads(row[8])),
        cost_usd=from_nanos(row[9]),
        list_cost_usd=from_nanos(row[10]),
        created_at=parse_ts(row[11]),
        steps=json.loads(row[12]) if row[12] is not None else None,
        calls=int(row[13]),
    )
