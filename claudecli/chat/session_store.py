"""Chat sessions in SQLite (``sessions.db``): written as they happen, so a crash loses at most the turn in flight.

Two tables. ``sessions``: one row per chat (id, unique name, model, system prompt, thinking, the /compact
summary, timestamps). ``turns``: one row per exchange (or /compact call), in order (``seq``): the prompt as
typed, the user content as sent (JSON, attachments included), the answer text, how it ended, its tokens and
cost. A tool-using exchange is one row too: ``steps`` holds the tool loop's messages (assistant turns with
every block, user turns of tool results) and ``calls`` its API calls, whose tokens and cost the row sums; so
/undo and /retry remove a whole exchange, tool steps included. A turn's ``state`` says whether it is still in the conversation (see ``conversation``'s constants), so
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from claudecli.chat.conversation import ACTIVE, Exchange
from claudecli.chat.session_rows import (
    META_COLUMNS,
    TURN_COLUMNS,
    SessionMeta,
    exchange_document,
    exchange_from_document,
    exchange_row,
    from_nanos,
    meta_document,
    meta_from_document,
    meta_row,
    scrubbed_steps,
    to_nanos,
)
from claudecli.core.db import Migration, write_transaction
from claudecli.core.db_files import format_ts
from claudecli.core.errors import UsageError
from claudecli.core.store import MigratedStore, Notify
from claudecli.core.usage import TokenUsage

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
    Migration(
        "chat_m002_turn_steps",
        # steps: the tool loop's messages after the prompt (JSON; NULL for a turn stored before, or text only);
        # calls: API calls the turn made (a tool loop makes one per step).
        """
        ALTER TABLE turns ADD COLUMN steps TEXT;
        ALTER TABLE turns ADD COLUMN calls INTEGER NOT NULL DEFAULT 1;
        """,
    ),
]


def _steps_json(steps: list[dict[str, Any]] | None, scrub: Callable[[str], str]) -> str | None:
    scrubbed = scrubbed_steps(steps, scrub)
    return None if scrubbed is None else json.dumps(scrubbed, ensure_ascii=False)


@dataclass
class SessionTotals:
    """Everything a session's calls used and cost (every call, including undone and failed ones)."""

    calls: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal = Decimal(0)
    list_cost_usd: Decimal = Decimal(0)
    unpriced_calls: int = 0

    def add(self, exchange: Exchange) -> None:
        self.calls += exchange.calls
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


def slug(text: str, *, max_words: int = 6, max_chars: int = 40) -> str:
    """A session name from a prompt, without an API call: its first words, lower-case, joined by dashes."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:max_words]
    name = "-".join(words)[:max_chars].strip("-")
    return name or "chat"


class SessionStore(MigratedStore):
    """The sessions database. One connection; cheap to open (migrations run only when pending).

    A turn is booked even when the store cannot take it (a damaged file is moved aside, a refused row is
    spooled beside it: see :class:`claudecli.core.store.MigratedStore`). Every text written, to the store or to
    its spool, has secrets masked first (a prompt or an answer may quote a key).
    """

    migrations = MIGRATIONS
    label = "chat session store"

    def __init__(
        self, path: Path, *, scrub: Callable[[str], str] | None = None, notify: Notify | None = None
    ) -> None:
        super().__init__(path, notify=notify)
        self._scrub = scrub or (lambda text: text)
        self._db()  # opened now: a chat needs it at once

    def _scrubbed(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self._scrub(value) if isinstance(value, str) else value for value in row)

    def _scrubbed_document(self, document: Any, keep: tuple[str, ...] = ()) -> Any:
        """``document`` (a spooled record: JSON values) with every text scrubbed (``keep``: keys already done)."""
        if isinstance(document, str):
            return self._scrub(document)
        if isinstance(document, dict):
            return {
                key: value if key in keep else self._scrubbed_document(value)
                for key, value in document.items()
            }
        if isinstance(document, list):
            return [self._scrubbed_document(value) for value in document]
        return document

    # -- writing -------------------------------------------------------------------------------------

    def save_meta(self, meta: SessionMeta, *, exclusive_name: bool = False) -> None:
        """Create the session or update its settings (name, model, system, thinking, summary).

        With ``exclusive_name`` (the user chose the name: /save) a name another session holds is refused with
        a UsageError; every other write renames the session instead (see ``_claim_name``).
        """
        with write_transaction(self._db()):
            self._upsert(meta, exclusive_name=exclusive_name)

    def record(self, meta: SessionMeta, exchange: Exchange, *, replaces: int | None = None) -> int | None:
        """Add one call's exchange (creating the session on its first turn); returns its ``seq`` (None: spooled).

        ``replaces`` is the seq of an exchange this one regenerates (/retry): it leaves the conversation in
        the same transaction.
        """

        def write(conn: sqlite3.Connection) -> int:
            with write_transaction(conn):
                self._upsert(meta)
                if replaces is not None:
                    self._set_state(meta.id, [replaces], "replaced")
                return self._insert(meta.id, exchange)

        spooled = {
            "meta": self._scrubbed_document(meta_document(meta)),
            "exchange": self._scrubbed_document(
                {**exchange_document(exchange), "steps": scrubbed_steps(exchange.steps, self._scrub)},
                keep=("steps",),
            ),
            "replaces": replaces,
        }
        return self._guarded(write, spooled)

    def _import_record(self, conn: sqlite3.Connection, record: dict[str, Any]) -> None:
        meta = meta_from_document(record["meta"])
        self._upsert(meta)
        if record.get("replaces") is not None:
            self._set_state(meta.id, [int(record["replaces"])], "replaced")
        self._insert(meta.id, exchange_from_document(record["exchange"]))

    def set_state(self, session_id: str, seqs: list[int], state: str) -> None:
        with write_transaction(self._db()):
            self._set_state(session_id, seqs, state)

    def compact(self, meta: SessionMeta, seqs: list[int], call: Exchange) -> int:
        """Fold exchanges into ``meta.summary``: the new summary, their state and the call, all at once."""
        with write_transaction(self._db()):
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
        self._db().execute(
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
        self._db().executemany(
            "UPDATE turns SET state = ? WHERE session_id = ? AND seq = ?",
            [(state, session_id, seq) for seq in seqs],
        )

    def _insert(self, session_id: str, exchange: Exchange) -> int:
        (last,) = (
            self._db()
            .execute("SELECT coalesce(max(seq), 0) FROM turns WHERE session_id = ?", (session_id,))
            .fetchone()
        )
        exchange.seq = int(last) + 1
        self._db().execute(
            """
            INSERT INTO turns (session_id, seq, kind, state, prompt_text, user_content, answer, status, model,
                               usage, cost_nanos, list_cost_nanos, created_at, steps, calls)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                *self._scrubbed(
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
                        to_nanos(exchange.cost_usd),
                        to_nanos(exchange.list_cost_usd),
                        format_ts(exchange.created_at),
                    )
                ),
                _steps_json(exchange.steps, self._scrub),
                exchange.calls,
            ),
        )
        return exchange.seq

    # -- reading -------------------------------------------------------------------------------------

    def get(self, session_id: str) -> SessionMeta | None:
        row = (
            self._db().execute(f"SELECT {META_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        )
        return meta_row(row) if row else None

    def find(self, ref: str) -> SessionMeta | None:
        """A session by exact name, exact id, or an id prefix that matches only one session."""
        row = (
            self._db()
            .execute(f"SELECT {META_COLUMNS} FROM sessions WHERE name = ? OR id = ?", (ref, ref))
            .fetchone()
        )
        if row:
            return meta_row(row)
        if len(ref) < 4:
            return None
        rows = (
            self._db()
            .execute(
                f"SELECT {META_COLUMNS} FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                (ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
            )
            .fetchall()
        )
        return meta_row(rows[0]) if len(rows) == 1 else None

    def latest(self, profile: str | None = None) -> SessionMeta | None:
        row = (
            self._db()
            .execute(
                f"SELECT {META_COLUMNS} FROM sessions WHERE profile IS ? ORDER BY updated_at DESC, rowid DESC LIMIT 1",
                (profile,),
            )
            .fetchone()
        )
        return meta_row(row) if row else None

    def name_taken(self, name: str, *, by_other_than: str | None = None) -> bool:
        row = self._db().execute("SELECT id FROM sessions WHERE name = ?", (name,)).fetchone()
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
        rows = (
            self._db()
            .execute(
                f"SELECT {TURN_COLUMNS} FROM turns WHERE session_id = ?{where} ORDER BY seq", (session_id,)
            )
            .fetchall()
        )
        return [exchange_row(row) for row in rows]

    def totals(self, session_id: str) -> SessionTotals:
        totals = SessionTotals()
        for exchange in self.exchanges(session_id, everything=True):
            totals.add(exchange)
        return totals

    def list_sessions(self, limit: int | None = None) -> list[SessionListing]:
        """Sessions, most recently used first, with their turn count and cost."""
        rows = (
            self._db()
            .execute(
                f"""
            SELECT {META_COLUMNS},
                   (SELECT count(*) FROM turns t
                     WHERE t.session_id = s.id AND t.kind = 'chat' AND t.state = '{ACTIVE}'),
                   (SELECT coalesce(sum(cost_nanos), 0) FROM turns t WHERE t.session_id = s.id),
                   (SELECT count(*) FROM turns t WHERE t.session_id = s.id AND t.cost_nanos IS NULL)
            FROM sessions s ORDER BY updated_at DESC, rowid DESC LIMIT ?
            """,
                (-1 if limit is None else limit,),
            )
            .fetchall()
        )
        return [
            SessionListing(meta_row(row[:9]), int(row[9]), from_nanos(row[10]) or Decimal(0), int(row[11]))
            for row in rows
        ]
