"""The usage ledger: one SQLite row per API call (``Paths.ledger_file``, i.e. ``<data dir>/usage.db``).

It records what a call was (command, profile, model, batch ids, tag, status, timings, request id), what it
used (every token kind of :class:`~claudecli.usage.TokenUsage`) and what it cost (``cost_usd``, NULL when
the price is unknown, and ``list_cost_usd`` for the savings report). Prompt and answer are stored only as
SHA-256 hashes unless the ledger is opened with ``log_bodies=True``. It never stores credentials: there is
no field for them.

Time: every timestamp is stored as ISO-8601 UTC with milliseconds (``2026-11-22T04:32:01.123Z``). Query
bounds must be timezone-aware datetimes; ``since`` is inclusive, ``until`` exclusive; "day" is the UTC day.

Money: costs are stored as REAL; sums are computed in SQL over whole nano-dollars, so they come back as
exact :class:`~decimal.Decimal` values (to 1e-9 USD) instead of accumulating float error.

A :class:`Ledger` holds one connection and is meant for one thread; any number of processes may use the
same file at once (writes queue on SQLite's busy timeout, see :mod:`claudecli.db`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from claudecli.db import MigratedStore, write_transaction
from claudecli.migrations import LEDGER_MIGRATIONS
from claudecli.usage import TokenUsage

if TYPE_CHECKING:
    from claudecli.ledger_rollup import GroupTotals

GroupBy = Literal["model", "day", "command", "tag", "profile"]

_GROUP_KEYS: dict[str, str] = {
    "model": "model",
    "day": "substr(ts, 1, 10)",
    "command": "command",
    "tag": "tag",
    "profile": "profile",
}

# The token columns of `calls`, in TokenUsage field order (the rollup table sums the same ones).
TOKEN_COLUMNS: tuple[str, ...] = (
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "thinking_tokens",
    "web_search_requests",
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
)

_INSERT_CALL = (
    f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}) VALUES ({', '.join('?' for _ in _CALL_COLUMNS)})"
)
_SELECT_CALLS = f"SELECT id, {', '.join(_CALL_COLUMNS)} FROM calls"

_NANO = Decimal("1e-9")


def now_utc() -> datetime:
    return datetime.now(UTC)


def format_ts(moment: datetime) -> str:
    """The stored form of a timestamp: ``2026-11-22T04:32:01.123Z`` (UTC, milliseconds, truncated)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"ledger timestamps must be timezone-aware, got naive {moment!r}")
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _money_in(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _money_out(value: float | None) -> Decimal | None:
    # str() of a float is its shortest round-tripping form: 0.0123 comes back as Decimal("0.0123").
    return None if value is None else Decimal(str(value))


def _nanos_to_usd(nanos: int | None) -> Decimal:
    return (Decimal(nanos or 0) * _NANO).quantize(_NANO)


def _sum_nanos(column: str) -> str:
    """SQL summing a REAL dollar column as whole nano-dollars (exact integer arithmetic; NULLs skipped)."""
    return f"sum(CAST(round({column} * 1e9) AS INTEGER))"


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
    ts: datetime = field(default_factory=now_utc)


@dataclass(frozen=True)
class StoredCall:
    """One row of the ledger as read back (bodies are fetched separately with :meth:`Ledger.body`)."""

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


@dataclass(frozen=True)
class AggregateRow:
    """Totals of one group. Cost sums cover the calls whose cost is known; the counts give the rest."""

    key: str | None
    calls: int
    usage: TokenUsage
    cost_usd: Decimal
    list_cost_usd: Decimal
    unknown_cost_calls: int
    unknown_list_cost_calls: int


class Ledger(MigratedStore):
    """The usage ledger at ``path``. Opens (creating and migrating the database) on first use."""

    migrations = LEDGER_MIGRATIONS

    def __init__(
        self, path: Path, *, log_bodies: bool = False, scrub: Callable[[str], str] | None = None
    ) -> None:
        super().__init__(path)
        self.log_bodies = log_bodies
        self.scrub = scrub or (lambda text: text)
        """Masks secrets in every text stored (prompts and answers may quote a key)."""

    # -- writing ----------------------------------------------------------------------------------------

    def record(self, rec: CallRecord) -> int:
        """Store one call; return its row id."""
        return self.record_many([rec])[0]

    def record_many(self, recs: Iterable[CallRecord]) -> list[int]:
        """Store many calls in one transaction (all or none); return their row ids in order."""
        rows = [(self._scrubbed(self._call_row(rec)), rec) for rec in recs]
        conn = self._db()
        ids: list[int] = []
        with write_transaction(conn):
            for row, rec in rows:
                cursor = conn.execute(_INSERT_CALL, row)
                call_id = cursor.lastrowid
                assert call_id is not None
                if self.log_bodies and (rec.prompt_text is not None or rec.answer_text is not None):
                    conn.execute(
                        "INSERT INTO bodies (call_id, prompt, answer) VALUES (?, ?, ?)",
                        self._scrubbed((call_id, rec.prompt_text, rec.answer_text)),
                    )
                ids.append(call_id)
        return ids

    def _scrubbed(self, row: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(self.scrub(value) if isinstance(value, str) else value for value in row)

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
        )

    # -- reading ----------------------------------------------------------------------------------------

    def count(self) -> int:
        (total,) = self._db().execute("SELECT count(*) FROM calls").fetchone()
        return int(total)

    def iter_calls(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[StoredCall]:
        """Calls with ``since <= ts < until`` (either bound optional), oldest first."""
        where, params = _time_range(since, until)
        cursor = self._db().execute(f"{_SELECT_CALLS}{where} ORDER BY ts, id", params)
        try:
            for row in cursor:
                yield _stored_call(row)
        finally:
            cursor.close()

    def get(self, call_id: int) -> StoredCall | None:
        row = self._db().execute(f"{_SELECT_CALLS} WHERE id = ?", (call_id,)).fetchone()
        return None if row is None else _stored_call(row)

    def body(self, call_id: int) -> tuple[str | None, str | None] | None:
        """``(prompt, answer)`` stored for a call, or None when none was stored (``log_bodies`` was off)."""
        row = self._db().execute("SELECT prompt, answer FROM bodies WHERE call_id = ?", (call_id,)).fetchone()
        return None if row is None else (row[0], row[1])

    def spent_since(self, since: datetime) -> Decimal:
        """Sum of known ``cost_usd`` of calls at or after ``since`` (budgets). Answered from the ts index."""
        (nanos,) = (
            self._db()
            .execute(f"SELECT {_sum_nanos('cost_usd')} FROM calls WHERE ts >= ?", (format_ts(since),))
            .fetchone()
        )
        return _nanos_to_usd(nanos)

    def aggregate(
        self, since: datetime | None = None, until: datetime | None = None, by: GroupBy = "model"
    ) -> list[AggregateRow]:
        """Per-group totals of calls with ``since <= ts < until``, ordered by key (NULL key first)."""
        try:
            key = _GROUP_KEYS[by]
        except KeyError:
            raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(_GROUP_KEYS)}") from None
        where, params = _time_range(since, until)
        token_sums = ", ".join(f"sum({column})" for column in TOKEN_COLUMNS)
        sql = (
            f"SELECT {key} AS grp, count(*), {token_sums}, "
            f"{_sum_nanos('cost_usd')}, {_sum_nanos('list_cost_usd')}, "
            "count(*) - count(cost_usd), count(*) - count(list_cost_usd) "
            f"FROM calls{where} GROUP BY grp ORDER BY grp"
        )
        result: list[AggregateRow] = []
        for row in self._db().execute(sql, params):
            n_tokens = len(TOKEN_COLUMNS)
            tokens = row[2 : 2 + n_tokens]
            cost, list_cost, unknown, unknown_list = row[2 + n_tokens :]
            result.append(
                AggregateRow(
                    key=row[0],
                    calls=int(row[1]),
                    usage=TokenUsage(**{c: int(v or 0) for c, v in zip(TOKEN_COLUMNS, tokens, strict=True)}),
                    cost_usd=_nanos_to_usd(cost),
                    list_cost_usd=_nanos_to_usd(list_cost),
                    unknown_cost_calls=int(unknown),
                    unknown_list_cost_calls=int(unknown_list),
                )
            )
        return result

    def group_totals(
        self, since: datetime | None = None, until: datetime | None = None, by: GroupBy = "model"
    ) -> list[GroupTotals]:
        """Like :meth:`aggregate`, split by batch/non-batch and read from the daily rollup (fast at any size)."""
        from claudecli.ledger_rollup import group_totals

        return group_totals(self._db(), since, until, by)


def _time_range(since: datetime | None, until: datetime | None) -> tuple[str, tuple[str, ...]]:
    clauses: list[str] = []
    params: list[str] = []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(format_ts(since))
    if until is not None:
        clauses.append("ts < ?")
        params.append(format_ts(until))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _stored_call(row: tuple[Any, ...]) -> StoredCall:
    values: dict[str, Any] = dict(zip(("id", *_CALL_COLUMNS), row, strict=True))
    usage = TokenUsage(**{column: int(values.pop(column) or 0) for column in TOKEN_COLUMNS})
    values["ts"] = parse_ts(values["ts"])
    values["is_batch"] = bool(values["is_batch"])
    values["cost_usd"] = _money_out(values["cost_usd"])
    values["list_cost_usd"] = _money_out(values["list_cost_usd"])
    return StoredCall(usage=usage, **values)
