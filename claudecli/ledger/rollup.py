"""Report totals from the usage ledger, fast at any size: whole UTC days come from the ``call_days`` rollup
(migration m004, kept exact by triggers), only the partial days at the edges of a range from ``calls``.

A year of a million calls is a few thousand rollup rows, so ``cost report`` stays well under a second.
Rows are split by ``is_batch`` so the report can say what batching saved apart from what caching saved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from claudecli.core.usage import TokenUsage
from claudecli.ledger.sql import (
    CALLS_KEYS,
    GROUPINGS,
    ROLLUP_KEYS,
    TOKEN_COLUMNS,
    in_range,
    nanos,
    ts_range,
    usd,
)

_ROLLUP_SELECT = (
    "sum(calls), "
    + ", ".join(f"sum({name})" for name in TOKEN_COLUMNS)
    + ", sum(cost_nanos), sum(list_cost_nanos), sum(saved_nanos), "
    "sum(unknown_cost_calls), sum(unknown_list_cost_calls)"
)
_CALLS_SELECT = (
    "count(*), "
    + ", ".join(f"sum({name})" for name in TOKEN_COLUMNS)
    + f", sum({nanos('cost_usd')}), sum({nanos('list_cost_usd')}), "
    f"sum({nanos('list_cost_usd')} - {nanos('cost_usd')}), "
    "count(*) - count(cost_usd), count(*) - count(list_cost_usd)"
)


@dataclass(frozen=True)
class GroupTotals:
    """Totals of one group and one kind of call (batch or not).

    ``cost_usd`` and ``list_cost_usd`` sum the calls whose price is known; ``saved_usd`` is list minus cost
    over the calls where both are known; the ``unknown_*`` counts say how many calls had no price.
    """

    key: str | None
    is_batch: bool
    calls: int
    usage: TokenUsage
    cost_usd: Decimal
    list_cost_usd: Decimal
    saved_usd: Decimal
    unknown_cost_calls: int
    unknown_list_cost_calls: int


def _next_midnight(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == utc else midnight + timedelta(days=1)


def _midnight(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def group_totals(
    conn: sqlite3.Connection, since: datetime | None, until: datetime | None, by: str
) -> list[GroupTotals]:
    """Per-(group, is_batch) totals of calls with ``since <= ts < until``, ordered by key (none first)."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    if since is not None and until is not None and until <= since:
        return []
    if by not in ROLLUP_KEYS:  # speed, tier, geo, loop: the rollup has no such column, so read the calls
        return _merge(_from_calls(conn, by, since, until))
    first_day = _next_midnight(since) if since is not None else None
    last_day = _midnight(until) if until is not None else None
    parts: list[tuple] = []
    if first_day is not None and last_day is not None and first_day >= last_day:
        parts += _from_calls(conn, by, since, until)  # the range lies within one day
    else:
        parts += _from_rollup(conn, by, first_day, last_day)
        if since is not None and first_day is not None and since < first_day:
            parts += _from_calls(conn, by, since, first_day)
        if until is not None and last_day is not None and last_day < until:
            parts += _from_calls(conn, by, last_day, until)
    return _merge(parts)


def _from_rollup(
    conn: sqlite3.Connection, by: str, first_day: datetime | None, last_day: datetime | None
) -> list[tuple]:
    where, params = in_range(
        "day",
        None if first_day is None else f"{first_day:%Y-%m-%d}",
        None if last_day is None else f"{last_day:%Y-%m-%d}",
    )
    sql = f"SELECT {ROLLUP_KEYS[by]}, is_batch, {_ROLLUP_SELECT} FROM call_days{where} GROUP BY 1, 2"
    return conn.execute(sql, params).fetchall()


def _from_calls(
    conn: sqlite3.Connection, by: str, start: datetime | None, end: datetime | None
) -> list[tuple]:
    where, params = ts_range(start, end)
    sql = f"SELECT {CALLS_KEYS[by]}, is_batch, {_CALLS_SELECT} FROM calls{where} GROUP BY 1, 2"
    return conn.execute(sql, params).fetchall()


def _merge(parts: Iterable[tuple]) -> list[GroupTotals]:
    """Add up rows of the same (key, is_batch) from the rollup and the edge days."""
    sums: dict[tuple[str | None, bool], list[int]] = {}
    for row in parts:
        group = (row[0] or None, bool(row[1]))
        values = [int(value or 0) for value in row[2:]]
        if group in sums:
            sums[group] = [a + b for a, b in zip(sums[group], values, strict=True)]
        else:
            sums[group] = values
    result = []
    for (key, is_batch), values in sorted(sums.items(), key=lambda item: (item[0][0] is not None, item[0])):
        calls, *rest = values
        tokens, (cost, list_cost, saved, unknown, unknown_list) = (
            rest[: len(TOKEN_COLUMNS)],
            rest[len(TOKEN_COLUMNS) :],
        )
        if calls <= 0:
            continue
        result.append(
            GroupTotals(
                key=key,
                is_batch=is_batch,
                calls=calls,
                usage=TokenUsage(**dict(zip(TOKEN_COLUMNS, tokens, strict=True))),
                cost_usd=usd(cost),
                list_cost_usd=usd(list_cost),
                saved_usd=usd(saved),
                unknown_cost_calls=unknown,
                unknown_list_cost_calls=unknown_list,
            )
        )
    return result
