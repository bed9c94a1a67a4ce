"""What the ledger's store and its rollups both speak: stored timestamps, token columns, money, ranges, groups.

Timestamps are stored as ISO-8601 UTC with milliseconds (``2026-11-22T04:32:01.123Z``): fixed width, so text
order is time order and the first ten characters are the UTC day. Costs are stored as REAL; sums are taken in
SQL over whole nano-dollars, so they come back as exact :class:`~decimal.Decimal` values (to 1e-9 USD)
instead of accumulating float error.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, get_args

from claudecli.core.db_files import format_ts

GroupBy = Literal["model", "day", "command", "tag", "profile", "speed", "tier", "geo", "loop"]
GROUPINGS: tuple[GroupBy, ...] = get_args(GroupBy)

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

# Columns of `calls` after the shared ones (m006): web fetch uses, and the tool loop a call was a step of.
LOOP_COLUMNS: tuple[str, ...] = ("web_fetch_requests", "loop_id", "step")

# The group key of each grouping, in the `call_days` rollup and in `calls`. '' and NULL both mean "none".
ROLLUP_KEYS: dict[str, str] = {
    "model": "model",
    "day": "day",
    "command": "command",
    "tag": "nullif(tag, '')",
    "profile": "nullif(profile, '')",
}
# Keys the rollup has no column for exist only in `calls`: a report by them reads calls ("none" for NULL).
CALLS_KEYS: dict[str, str] = {
    **ROLLUP_KEYS,
    "day": "substr(ts, 1, 10)",
    "speed": "speed",
    "tier": "service_tier",
    "geo": "inference_geo",
    "loop": "loop_id",
}

_NANO = Decimal("1e-9")


def nanos(column: str) -> str:
    """SQL for a REAL dollar column as whole nano-dollars (sum these: exact integer arithmetic, NULLs skipped)."""
    return f"CAST(round({column} * 1e9) AS INTEGER)"


def usd(total_nanos: int | None) -> Decimal:
    """A sum of nano-dollars back in USD (no rows: zero)."""
    return (Decimal(total_nanos or 0) * _NANO).quantize(_NANO)


def in_range(column: str, low: str | None, high: str | None) -> tuple[str, list[str]]:
    """``" WHERE column >= low AND column < high"`` (either bound optional; none: "") and its parameters."""
    clauses: list[str] = []
    params: list[str] = []
    if low is not None:
        clauses.append(f"{column} >= ?")
        params.append(low)
    if high is not None:
        clauses.append(f"{column} < ?")
        params.append(high)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def ts_range(since: datetime | None, until: datetime | None) -> tuple[str, list[str]]:
    """The WHERE clause of calls with ``since <= ts < until``."""
    return in_range(
        "ts", None if since is None else format_ts(since), None if until is None else format_ts(until)
    )
