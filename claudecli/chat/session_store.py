"""Chat sessions in SQLite (``sessions.db``): written as they happen, so a crash loses at most the turn in flight.

Two tables. ``sessions``: one row per chat (id, unique name, model, system prompt, thinking, the /compact
summary, timestamps). ``turns``: one row per API call the chat made, in order (``seq``): the prompt as typed,
the user content as sent (JSON, attachments included), the answer text, how the call ended, its tokens and
cost. A turn's ``state`` says whether it is still in the conversation (see ``conversation``'s constants), so
/undo, /retry and /compact never delete history and the session's cost is always the sum of its rows.

Every change is one ``BEGIN IMMEDIATE`` transaction (``claudecli.core.db``): a process killed at any point leaves
the file with whole turns only. Schema changes are named, forward-only migrations (``MIGRATIONS``).

Names are unique, and two terminals may race for one (both ran ``chat --session work`` and found nothing):
each write checks the name inside its transaction, and a session whose name another one took meanwhile
becomes ``work-2`` instead of failing the write (and losing the answer it was booking).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from claudecli.chat.conversation import ACTIVE, Exchange
from claudecli.core.db import Migration, apply_migrations, connect, write_transaction
from claudecli.core.errors import UsageError
from claudecli.core.usage import TokenUsage
from claudecli.ledger.sql import format_ts, parse_ts

MIGRATIONS = [
    Migration(
        "chat_m001_sessions",
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            profile TEXT,
            model TEXT NOT NULL,
            system TEXT,
            thinking TEXT,
            summary TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX sessions_updated ON sessions (updated_at);
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            prompt_text TEXT NOT NULL,
            user_content TEXT NOT NULL,
            answer TEXT NOT NULL,
            status TEXT NOT NULL,
            model TEXT NOT NULL,
            usage TEXT NOT NULL,
            cost_nanos INTEGER,
            list_cost_nanos INTEGER,
            created_at TEXT NOT NULL,
            UNIQUE (session_id, seq)
        );
        """,
    ),
]

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


@dataclass
class SessionTotals:
    """Everything a session's calls used and cost (every call, including undone and failed ones)."""

    calls: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal = Decimal(0)
    list_cost_usd: Decimal = Decimal(0)
    unpriced_calls: int = 0

    def add(self, exchange: Exchange) -> None:
        self.calls += 1
        self.usage = self.usage + exchange.usage
        if exchange.cost_usd is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd += exchange.cost_usd
        if exchange.list_cost_usd is not None:
            self.list_cost_usd += exchange.list_cost_usd


@dataclass
class SessionListing:
    """One line of ``chat --list``."""

    meta: SessionMeta
    turns: int
    cost_usd: Decimal
    unpriced_calls: int


def _to_nanos(value: Decimal | None) -> int | None:
    return None if value is None else int((value * _NANOS).to_integral_value())


def _from_nanos(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / _NANOS


def slug(text: str, *, max_words: int = 6, max_chars: int = 40) -> str:
    """A session name from a prompt, without an API call: its first words, lower-case, joined by dashes."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:max_words]
    name = "-".join(words)[:max_chars].strip("-")
    return name or "chat"


class SessionStore:
    """The sessions database. One connection; cheap to open (migrations run only when pending)."""

    def __init__(self, path: Path, *, scrub: Callable[[str], str] | None = None) -> None:
        self.path = Path(path)
        self._conn = connect(self.path)
        apply_migrations(self._conn, MIGRATIONS)
        self._scrub = scrub or (lambda text: text)
        """Masks secrets in every text written (a prompt or an answer may quote a key)."""

    def _scrubbed(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self._scrub(value) if isinstance(value, str) else value for value in row)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------------

    def save_meta(self, meta: SessionMeta, *, exclusive_name: bool = False) -> None:
        """Create the session or update its settings (name, model, system, thinking, summary).

        With ``exclusive_name`` (the user chose the name: /save) a name another session holds is refused with
        a UsageError; every other write renames the session instead (see ``_claim_name``).
        """
        with write_transaction(self._conn):
            self._upsert(meta, exclusive_name=exclusive_name)

    def record(self, meta: SessionMeta, exchange: Exchange, *, replaces: int | None = None) -> int:
        """Add one call's exchange (creating the session on its first turn); returns its ``seq``.

        ``replaces`` is the seq of an exchange this one regenerates (/retry): it leaves the conversation in
        the same transaction.
        """
        with write_transaction(self._conn):
            self._upsert(meta)
            if replaces is not None:
                self._set_state(meta.id, [replaces], "replaced")
            return self._insert(meta.id, exchange)

    def set_state(self, session_id: str, seqs: list[int], state: str) -> None:
        with write_transaction(self._conn):
            self._set_state(session_id, seqs, state)

    def compact(self, meta: SessionMeta, seqs: list[int], call: Exchange) -> int:
        """Fold exchanges into ``meta.summary``: the new summary, their state and the call, all at once."""
        with write_transaction(self._conn):
            self._upsert(meta)
            self._set_state(meta.id, seqs, "compacted")
            return self._insert(meta.id, call)

    def _claim_name(self, meta: SessionMeta, *, exclusive: bool) -> None:
        """Make ``meta.name`` free for this session; call inside the write transaction (no race).

        A name another session holds becomes the first free ``name-N`` (``meta.name`` changes, which the
        caller can see and report), or, when ``exclusive``, is refused.
        """
        if not self.name_taken(meta.name, by_other_than=meta.id):
            return
        if exclusive:
            raise UsageError(f"a session named '{meta.name}' already exists", hint="choose another name")
        meta.name = self.unique_name(meta.name, for_session=meta.id)

    def _upsert(self, meta: SessionMeta, *, exclusive_name: bool = False) -> None:
        self._claim_name(meta, exclusive=exclusive_name)
        meta.updated_at = datetime.now(UTC)
        self._conn.execute(
            """
            INSERT INTO sessions (id, name, profile, model, system, thinking, summary, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, model = excluded.model,
                system = excluded.system, thinking = excluded.thinking, summary = excluded.summary,
                updated_at = excluded.updated_at
            """,
            self._scrubbed(
                (
                    meta.id,
                    meta.name,
                    meta.profile,
                    meta.model,
                    meta.system,
                    meta.thinking,
                    meta.summary,
                    format_ts(meta.created_at),
                    format_ts(meta.updated_at),
                )
            ),
        )

    def _set_state(self, session_id: str, seqs: list[int], state: str) -> None:
        self._conn.executemany(
            "UPDATE turns SET state = ? WHERE session_id = ? AND seq = ?",
            [(state, session_id, seq) for seq in seqs],
        )

    def _insert(self, session_id: str, exchange: Exchange) -> int:
        (last,) = self._conn.execute(
            "SELECT coalesce(max(seq), 0) FROM turns WHERE session_id = ?", (session_id,)
        ).fetchone()
        exchange.seq = int(last) + 1
        self._conn.execute(
            """
            INSERT INTO turns (session_id, seq, kind, state, prompt_text, user_content, answer, status, model,
                               usage, cost_nanos, list_cost_nanos, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            self._scrubbed(
                (
                    session_id,
                    exchange.seq,
                    exchange.kind,
                    exchange.state,
                    exchange.prompt_text,
                    json.dumps(exchange.user_content, ensure_ascii=False),
                    exchange.answer,
                    exchange.status,
                    exchange.model,
                    json.dumps(exchange.usage.as_dict()),
                    _to_nanos(exchange.cost_usd),
                    _to_nanos(exchange.list_cost_usd),
                    format_ts(exchange.created_at),
                )
            ),
        )
        return exchange.seq

    # -- reading -------------------------------------------------------------------------------------

    def get(self, session_id: str) -> SessionMeta | None:
        row = self._conn.execute(
            f"SELECT {_META_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        return _meta(row) if row else None

    def find(self, ref: str) -> SessionMeta | None:
        """A session by exact name, exact id, or an id prefix that matches only one session."""
        row = self._conn.execute(
            f"SELECT {_META_COLUMNS} FROM sessions WHERE name = ? OR id = ?", (ref, ref)
        ).fetchone()
        if row:
            return _meta(row)
        if len(ref) < 4:
            return None
        rows = self._conn.execute(
            f"SELECT {_META_COLUMNS} FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
            (ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
        ).fetchall()
        return _meta(rows[0]) if len(rows) == 1 else None

    def latest(self, profile: str | None = None) -> SessionMeta | None:
        row = self._conn.execute(
            f"SELECT {_META_COLUMNS} FROM sessions WHERE profile IS ? ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            (profile,),
        ).fetchone()
        return _meta(row) if row else None

    def name_taken(self, name: str, *, by_other_than: str | None = None) -> bool:
        row = self._conn.execute("SELECT id FROM sessions WHERE name = ?", (name,)).fetchone()
        return row is not None and row[0] != by_other_than

    def unique_name(self, base: str, *, for_session: str | None = None) -> str:
        """``base``, or ``base-2``, ``base-3``, ... whichever is free (or already ``for_session``'s)."""
        name, number = base, 1
        while self.name_taken(name, by_other_than=for_session):
            number += 1
            name = f"{base}-{number}"
        return name

    def exchanges(self, session_id: str, *, everything: bool = False) -> list[Exchange]:
        """The session's exchanges in order: those in the conversation, or every recorded call."""
        where = "" if everything else f" AND kind = 'chat' AND state = '{ACTIVE}'"
        rows = self._conn.execute(
            f"SELECT {_TURN_COLUMNS} FROM turns WHERE session_id = ?{where} ORDER BY seq", (session_id,)
        ).fetchall()
        return [_exchange(row) for row in rows]

    def totals(self, session_id: str) -> SessionTotals:
        totals = SessionTotals()
        for exchange in self.exchanges(session_id, everything=True):
            totals.add(exchange)
        return totals

    def list_sessions(self, limit: int | None = None) -> list[SessionListing]:
        """Sessions, most recently used first, with their turn count and cost."""
        rows = self._conn.execute(
            f"""
            SELECT {_META_COLUMNS},
                   (SELECT count(*) FROM turns t
                     WHERE t.session_id = s.id AND t.kind = 'chat' AND t.state = '{ACTIVE}'),
                   (SELECT coalesce(sum(cost_nanos), 0) FROM turns t WHERE t.session_id = s.id),
                   (SELECT count(*) FROM turns t WHERE t.session_id = s.id AND t.cost_nanos IS NULL)
            FROM sessions s ORDER BY updated_at DESC, rowid DESC LIMIT ?
            """,
            (-1 if limit is None else limit,),
        ).fetchall()
        return [
            SessionListing(_meta(row[:9]), int(row[9]), _from_nanos(row[10]) or Decimal(0), int(row[11]))
            for row in rows
        ]


_META_COLUMNS = "id, name, profile, model, system, thinking, summary, created_at, updated_at"
_TURN_COLUMNS = (
    "seq, kind, state, prompt_text, user_content, answer, status, model, usage, cost_nanos, list_cost_nanos, "
    "created_at"
)


def _meta(row: sqlite3.Row | tuple[Any, ...]) -> SessionMeta:
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


def _usage(stored: dict[str, Any]) -> TokenUsage:
    known = {f.name for f in fields(TokenUsage)}
    return TokenUsage(**{name: int(value) for name, value in stored.items() if name in known})


def _exchange(row: tuple[Any, ...]) -> Exchange:
    return Exchange(
        seq=row[0],
        kind=row[1],
        state=row[2],
        prompt_text=row[3],
        user_content=json.loads(row[4]),
        answer=row[5],
        status=row[6],
        model=row[7],
        usage=_usage(json.loads(row[8])),
        cost_usd=_from_nanos(row[9]),
        list_cost_usd=_from_nanos(row[10]),
        created_at=parse_ts(row[11]),
    )
