"""Write-ahead rows: a call is in the ledger from the moment before its request leaves.

:meth:`Ledger.begin` writes the row with status ``in_flight`` and the mark of the process sending it (pid, start
mark, host: see :mod:`claudecli.core.process`) and the call's worst-case cost; the call's end completes the same
row. A process killed with ``kill -9`` in between leaves its row ``in_flight``; the next process to open the
ledger marks it ``unknown`` once that process is provably gone (never by age: a long ``batch run`` is alive).
``cost report`` lists such calls with their worst case, and budgets count them at it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from claudecli.core.db import write_transaction
from claudecli.core.db_files import format_ts, parse_ts
from claudecli.core.process import ProcessMark, provably_gone, this_process
from claudecli.ledger.migrations import UNSETTLED_SQL
from claudecli.ledger.sql import nanos, ts_range, usd

IN_FLIGHT = "in_flight"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Unsettled:
    """A call whose outcome the ledger does not know (yet)."""

    id: int
    ts: datetime
    command: str
    model: str
    status: str  # in_flight or unknown
    worst_cost_usd: Decimal | None
    pid: int | None
    host: str | None


COLUMNS = ("pid", "pid_start", "host", "worst_cost_usd")


def in_flight_values(worst_cost_usd: float | None) -> tuple[object, ...]:
    """The values of ``COLUMNS`` for a call this process is about to send."""
    mark = this_process()
    return mark.pid, mark.start, mark.host, worst_cost_usd


def settle_orphans(conn: sqlite3.Connection) -> int:
    """Mark ``unknown`` every in-flight row whose process is provably gone; return how many."""
    rows = conn.execute(
        f"SELECT id, status, pid, pid_start, host FROM calls WHERE {UNSETTLED_SQL}"
    ).fetchall()
    orphans = [
        call_id
        for call_id, status, pid, start, host in rows
        if status == IN_FLIGHT and pid is not None and provably_gone(ProcessMark(pid, start, host or ""))
    ]
    if orphans:
        with write_transaction(conn):
            conn.executemany(
                "UPDATE calls SET status = ? WHERE id = ? AND status = ?",
                [(UNKNOWN, call_id, IN_FLIGHT) for call_id in orphans],
            )
    return len(orphans)


def unsettled_worst_case(conn: sqlite3.Connection, since: datetime) -> Decimal:
    """The worst-case cost of unsettled calls at or after ``since`` (from the partial index)."""
    (total,) = conn.execute(
        f"SELECT sum({nanos('worst_cost_usd')}) FROM calls WHERE {UNSETTLED_SQL} AND ts >= ?",
        (format_ts(since),),
    ).fetchone()
    return usd(total)


def unsettled(conn: sqlite3.Connection, since: datetime | None, until: datetime | None) -> list[Unsettled]:
    where, params = ts_range(since, until)
    where = f"{where} AND {UNSETTLED_SQL}" if where else f" WHERE {UNSETTLED_SQL}"
    rows = conn.execute(
        f"SELECT id, ts, command, model, status, worst_cost_usd, pid, host FROM calls{where} ORDER BY ts, id",
        params,
    ).fetchall()
    return [
        Unsettled(
            id=row[0],
            ts=parse_ts(row[1]),
            command=row[2],
            model=row[3],
            status=row[4],
            worst_cost_usd=None if row[5] is None else Decimal(str(row[5])),
            pid=row[6],
            host=row[7],
        )
        for row in rows
    ]
