"""The usage ledger: one SQLite row per API call (``Paths.ledger_file``, i.e. ``<data dir>/usage.db``).

It records what a call was (command, profile, model, batch ids, tag, status, timings, request id), what it
used (every token kind of :class:`~claudecli.core.usage.TokenUsage`) and what it cost (``cost_usd``, NULL when
the price is unknown, and ``list_cost_usd`` for the savings report). Prompt and answer are stored only as
SHA-256 hashes unless the ledger is opened with ``log_bodies=True``. It never stores credentials: there is
no field for them.

Time and money are stored as :mod:`claudecli.ledger.sql` describes. Query bounds must be timezone-aware
datetimes; ``since`` is inclusive, ``until`` exclusive; "day" is the UTC day.

A :class:`Ledger` holds one connection and is meant for one thread; any number of processes may use the
same file at once (writes queue on SQLite's busy timeout, see :mod:`claudecli.core.db`).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from claudecli.core.db import write_transaction
from claudecli.core.db_files import format_ts, parse_ts, set_aside_copies
from claudecli.core.errors import StoreError
from claudecli.core.process import this_process
from claudecli.core.store import MigratedStore, Notify
from claudecli.core.usage import CallMode, TokenUsage
from claudecli.ledger import write_ahead
from claudecli.ledger.migrations import LEDGER_MIGRATIONS
from claudecli.ledger.rollup import GroupTotals, group_totals
from claudecli.ledger.sql import (
    LOOP_COLUMNS,
    TOKEN_COLUMNS,
    GroupBy,
    nanos,
    ts_range,
    usd,
)

_CALL_COLUMNS: tuple[str, ...] = (
    "ts",
    "command",
    "profile",
    "model",
    *TOKEN_COLUMNS,
    "cost_usd",
    "list_cost_usd",
    "is_batch",
    "latency_ms",
    "ttft_ms",
    "stop_reason",
    "status",
    "request_id",
    "tag",
    "session_id",
    "batch_id",
    "custom_id",
    "prompt_sha256",
    "answer_sha256",
    *LOOP_COLUMNS,
    "speed",
    "service_tier",
    "inference_geo",
)
_OLD_ROW_LENGTH = len(_CALL_COLUMNS) - len(LOOP_COLUMNS) - 3  # a row spooled before m006 (and m007)

_INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}) VALUES ({', '.join('?' for _ in _CALL_COLUMNS)})"
)
_INSERT_IN_FLIGHT = (
    f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}, {', '.join(write_ahead.COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in (*_CALL_COLUMNS, *write_ahead.COLUMNS))})"
)
# Only this process's own row still in flight: after the ledger was replaced, the same id may be another call.
_COMPLETE_CALL = (
    f"UPDATE calls SET {', '.join(f'{column} = ?' for column in _CALL_COLUMNS)} "
    "WHERE id = ? AND status = 'in_flight' AND pid = ? AND host = ?"
)
_SELECT_CALLS = f"SELECT id, {', '.join(_CALL_COLUMNS)} FROM calls"


def now_utc() -> datetime:
    return datetime.now(UTC)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _money_in(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _money_out(value: float | None) -> Decimal | None:
    # str() of a float is its shortest round-tripping form: 0.0123 comes back as Decimal("0.0123").
    return None if value is None else Decimal(str(value))


@dataclass
class CallRecord:
    """One API call, as handed to :meth:`Ledger.record`."""

    command: str
    model: str
    usage: TokenUsage
    status: str = "ok"
    cost_usd: Decimal | float | None = None
    list_cost_usd: Decimal | float | None = None
    profile: str | None = None
    is_batch: bool = False
    latency_ms: int | None = None
    ttft_ms: int | None = None
    stop_reason: str | None = None
    request_id: str | None = None
    tag: str | None = None
    session_id: str | None = None
    batch_id: str | None = None
    custom_id: str | None = None
    prompt_text: str | None = None
    answer_text: str | None = None
    mode: CallMode | None = None  # speed, service tier, region (None: standard, or not known)
    ts: datetime = field(default_factory=now_utc)
    loop_id: str | None = None  # the tool loop this call was a step of
    step: int | None = None


@dataclass(frozen=True)
class StoredCall:
    """One row of the ledger as read back (prompt and answer bodies, when kept, are in the ``bodies`` table)."""

    id: int
    ts: datetime
    command: str
    profile: str | None
    model: str
    usage: TokenUsage
    cost_usd: Decimal | None
    list_cost_usd: Decimal | None
    is_batch: bool
    latency_ms: int | None
    ttft_ms: int | None
    stop_reason: str | None
    status: str
    request_id: str | None
    tag: str | None
    session_id: str | None
    batch_id: str | None
    custom_id: str | None
    prompt_sha256: str | None
    answer_sha256: str | None
    loop_id: str | None = None
    step: int | None = None
    speed: str | None = None
    service_tier: str | None = None
    inference_geo: str | None = None


class Ledger(MigratedStore):
    """The usage ledger at ``path``. Opens (creating and migrating the database) on first use.

    Writes never raise for the ledger's own trouble (they book money already spent): a damaged file is moved
    aside, rows it cannot take are spooled beside it (see :class:`claudecli.core.store.MigratedStore`).
    """

    migrations = LEDGER_MIGRATIONS
    label = "usage ledger"

    def __init__(
        self,
        path: Path,
        *,
        log_bodies: bool = False,
        scrub: Callable[[str], str] | None = None,
        notify: Notify | None = None,
    ) -> None:
        super().__init__(path, notify=notify)
        self.log_bodies = log_bodies
        self.scrub = scrub or (lambda text: text)
        """Masks secrets in every text stored (prompts and answers may quote a key)."""

    def _opened(self, conn: sqlite3.Connection) -> None:
        """Once per process: rows left in flight by a process that has provably died become ``unknown``."""
        with contextlib.suppress(sqlite3.OperationalError):  # housekeeping never stops a command
            write_ahead.settle_orphans(conn)

    # -- writing ----------------------------------------------------------------------------------------

    def record(self, rec: CallRecord) -> int | None:
        """Store one call; return its row id (None: kept in the spool instead)."""
        ids = self.record_many([rec])
        return ids[0] if ids else None

    def record_many(self, recs: Iterable[CallRecord]) -> list[int]:
        """Store many calls in one transaction (all or none); return their row ids in order (none if spooled)."""
        return self.complete_many([(None, rec) for rec in recs])

    def begin(self, rec: CallRecord, worst_cost_usd: Decimal | None = None) -> int | None:
        """Write the ``in_flight`` row of a call about to be sent (see ``write_ahead``); return its id.

        None when the ledger cannot take it: the call is then booked (or spooled) only when it ends.
        """
        return self.begin_many([(rec, worst_cost_usd)])[0]

    def begin_many(self, calls: list[tuple[CallRecord, Decimal | None]]) -> list[int | None]:
        """:meth:`begin` for several calls at once, in one transaction (one commit: ``batch run``'s workers)."""
        rows = [
            (*self._scrubbed(self._call_row(rec)), *write_ahead.in_flight_values(_money_in(worst)))
            for rec, worst in calls
        ]

        def write(conn: sqlite3.Connection) -> list[int | None]:
            with write_transaction(conn):
                return [conn.execute(_INSERT_IN_FLIGHT, row).lastrowid for row in rows]

        if self._broken is None:
            try:
                return self._write_recovering(write)
            except (sqlite3.Error, OSError, StoreError):
                pass  # each call's end books (or spools) it, and says so
        return [None] * len(rows)

    def complete_many(self, calls: Iterable[tuple[int | None, CallRecord]]) -> list[int]:
        """Write finished calls in one transaction: each over its write-ahead row (an id), else as a new row.

        A write-ahead row that is gone (the ledger was replaced meanwhile) is written anew. Returns the row
        ids, or [] when the ledger could not take them and they were spooled.
        """
        rows = [
            (call_id, list(self._scrubbed(self._call_row(rec))), *self._bodies(rec)) for call_id, rec in calls
        ]
        written = self._guarded(
            lambda conn: self._write_rows(conn, rows),
            {"calls": [[None, *rest] for _, *rest in rows]},  # a spooled row never completes one here
        )
        return written or []

    def _bodies(self, rec: CallRecord) -> tuple[str | None, str | None]:
        """The prompt and answer kept with the row: only with ``log_bodies`` (never in the spool otherwise)."""
        if not self.log_bodies:
            return None, None
        return self._scrubbed_text(rec.prompt_text), self._scrubbed_text(rec.answer_text)

    def _scrubbed_text(self, text: str | None) -> str | None:
        return None if text is None else self.scrub(text)

    @staticmethod
    def _write_rows(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[int]:
        me = this_process()
        owner = (me.pid, me.host)
        ids: list[int] = []
        with write_transaction(conn):
            for call_id, row, prompt, answer in rows:
                if call_id is None or conn.execute(_COMPLETE_CALL, (*row, call_id, *owner)).rowcount != 1:
                    call_id = conn.execute(_INSERT_CALL, row).lastrowid
                    assert call_id is not None
                if prompt is not None or answer is not None:
                    conn.execute(
                        "INSERT OR REPLACE INTO bodies (call_id, prompt, answer) VALUES (?, ?, ?)",
                        (call_id, prompt, answer),
                    )
                ids.append(call_id)
        return ids

    def _rehearsed_writes(self, conn: sqlite3.Connection) -> None:
        """A call's two writes, its write-ahead row and then its completion, as :meth:`begin_many` and
        :meth:`complete_many` make them (rolled back by the caller)."""
        row = self._scrubbed(
            self._call_row(CallRecord(command="rehearsal", model="rehearsal", usage=TokenUsage()))
        )
        call_id = conn.execute(_INSERT_IN_FLIGHT, (*row, *write_ahead.in_flight_values(None))).lastrowid
        self._write_rows(conn, [(call_id, list(row), None, None)])

    def _scrubbed(self, row: tuple[object, ...]) -> tuple[object, ...]:
        """Every text of ``row`` with secrets masked (written rows and spooled rows alike)."""
        return tuple(self.scrub(value) if isinstance(value, str) else value for value in row)

    def _import_record(self, conn: sqlite3.Connection, record: dict[str, Any]) -> None:
        rows = [(None, _padded(list(row)), prompt, answer) for _, row, prompt, answer in record["calls"]]
        if any(len(row) != len(_CALL_COLUMNS) for _, row, _, _ in rows):
            raise ValueError("spooled row of another shape")
        self._write_rows(conn, rows)

    @staticmethod
    def _call_row(rec: CallRecord) -> tuple[object, ...]:
        usage = rec.usage
        return (
            format_ts(rec.ts),
            rec.command,
            rec.profile,
            rec.model,
            *(int(getattr(usage, column)) for column in TOKEN_COLUMNS),
            _money_in(rec.cost_usd),
            _money_in(rec.list_cost_usd),
            1 if rec.is_batch else 0,
            rec.latency_ms,
            rec.ttft_ms,
            rec.stop_reason,
            rec.status,
            rec.request_id,
            rec.tag,
            rec.session_id,
            rec.batch_id,
            rec.custom_id,
            None if rec.prompt_text is None else sha256_hex(rec.prompt_text),
            None if rec.answer_text is None else sha256_hex(rec.answer_text),
            rec.usage.web_fetch_requests,
            rec.loop_id,
            rec.step,
            *_mode_values(rec.mode),
        )

    # -- reading ----------------------------------------------------------------------------------------

    def iter_calls(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[StoredCall]:
        """Calls with ``since <= ts < until`` (either bound optional), oldest first."""
        where, params = ts_range(since, until)
        cursor = self._db().execute(f"{_SELECT_CALLS}{where} ORDER BY ts, id", params)
        try:
            for row in cursor:
                yield _stored_call(row)
        finally:
            cursor.close()

    def set_aside_since(self, since: datetime) -> list[tuple[datetime, Path]]:
        """Damaged copies of this ledger set aside after ``since`` (``core.db_files.move_aside``): the calls
        they hold are not counted from ``since`` up to the moment each was set aside."""
        return set_aside_copies(self.path, since)

    def spent_since(self, since: datetime) -> Decimal:
        """Sum of known ``cost_usd`` of calls at or after ``since`` (budgets). Answered from the ts index.

        Calls still in flight, or whose process died before they finished, count at their worst case.
        """
        conn = self._db()
        (total,) = conn.execute(
            f"SELECT sum({nanos('cost_usd')}) FROM calls WHERE ts >= ?", (format_ts(since),)
        ).fetchone()
        return usd(total) + write_ahead.unsettled_worst_case(conn, since)

    def unsettled(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[write_ahead.Unsettled]:
        """Calls in flight or of unknown outcome with ``since <= ts < until``, oldest first."""
        return write_ahead.unsettled(self._db(), since, until)

    def group_totals(
        self, since: datetime | None = None, until: datetime | None = None, by: GroupBy = "model"
    ) -> list[GroupTotals]:
        """Per-(group, batch or not) totals of calls with ``since <= ts < until``, read from the daily rollup."""
        return group_totals(self._db(), since, until, by)


def _mode_values(mode: CallMode | None) -> tuple[str | None, str | None, str | None]:
    """The mode columns: NULL for what is standard, so a report groups standard calls together as "none"."""
    if mode is None:
        return None, None, None
    return (
        None if mode.speed == "standard" else mode.speed,
        None if mode.service_tier in ("standard", "batch") else mode.service_tier,
        mode.region,
    )


def _padded(row: list[Any]) -> list[Any]:
    """A spooled row written by an older version lacks the columns added since: they were none then."""
    if len(row) == _OLD_ROW_LENGTH:
        return [*row, 0, None, None, None, None, None]
    if len(row) == _OLD_ROW_LENGTH + len(LOOP_COLUMNS):
        return [*row, None, None, None]
    return row


def _stored_call(row: tuple[Any, ...]) -> StoredCall:
    values: dict[str, Any] = dict(zip(("id", *_CALL_COLUMNS), row, strict=True))
    counts = {column: int(values.pop(column) or 0) for column in (*TOKEN_COLUMNS, "web_fetch_requests")}
    usage = TokenUsage(**counts)
    values["ts"] = parse_ts(values["ts"])
    values["is_batch"] = bool(values["is_batch"])
    values["cost_usd"] = _money_out(values["cost_usd"])
    values["list_cost_usd"] = _money_out(values["list_cost_usd"])
    return StoredCall(usage=usage, **values)
