"""Schema of the usage ledger (``usage.db``), as forward-only named migrations.

Rules: append new migrations at the end; never edit, rename, reorder or delete a released one (a database
in the wild may already have it). See :func:`claudecli.core.db.apply_migrations`.

Conventions of the ``calls`` table:

* ``ts`` is ISO-8601 UTC with milliseconds and a ``Z`` (``2026-11-22T04:32:01.123Z``): fixed width, so text
  order is time order and ``substr(ts, 1, 10)`` is the UTC day.
* token columns follow :class:`claudecli.core.usage.TokenUsage` (``input_tokens`` excludes cache reads/writes).
* ``cost_usd`` is what the call cost, NULL when the price is unknown; ``list_cost_usd`` is what the same
  tokens would have cost at the standard price with no caching and no batch discount (savings report).
* ``status`` is ``ok``, ``interrupted``, or an error type such as ``rate_limit_error``; ``in_flight`` while the
  call is being made (a write-ahead row, see m005), ``unknown`` once its process died before finishing it.
* ``prompt_sha256`` / ``answer_sha256`` let calls be matched without keeping text; the text itself lives
  in ``bodies`` and only when the user turned ``log_bodies`` on. There is no column for credentials.
"""

from __future__ import annotations

from claudecli.core.db import Migration

M001_CALLS = Migration(
    "m001_calls",
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        command TEXT NOT NULL,
        profile TEXT,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        thinking_tokens INTEGER NOT NULL DEFAULT 0,
        web_search_requests INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        list_cost_usd REAL,
        is_batch INTEGER NOT NULL DEFAULT 0,
        latency_ms INTEGER,
        ttft_ms INTEGER,
        stop_reason TEXT,
        status TEXT NOT NULL DEFAULT 'ok',
        request_id TEXT,
        tag TEXT,
        session_id TEXT,
        batch_id TEXT,
        custom_id TEXT,
        prompt_sha256 TEXT,
        answer_sha256 TEXT
    );
    """,
)

# (ts, cost_usd) serves every time-range scan and answers budget sums (spent_since) from the index alone;
# (model, ts) serves per-model reports in a time range.
M002_INDEXES = Migration(
    "m002_indexes",
    """
    CREATE INDEX calls_ts ON calls (ts, cost_usd);
    CREATE INDEX calls_model_ts ON calls (model, ts);
    """,
)

M003_BODIES = Migration(
    "m003_bodies",
    """
    CREATE TABLE bodies (
        call_id INTEGER PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
        prompt TEXT,
        answer TEXT
    );
    """,
)


# --- m004: a per-day rollup of `calls`, so `cost report` reads thousands of rows instead of millions ------------
#
# One row per (UTC day, model, command, tag, profile, is_batch) with every sum a report needs. Triggers keep
# it exact whatever writes `calls` (insert, update, delete); the migration backfills it from existing rows.
# NULL tag/profile are stored as '' (primary-key columns cannot be NULL); readers map '' back to "none".
# Money is summed as whole nano-dollars (exact integers), like the ledger's own sums.

_ROLLUP_KEY = "day, model, command, tag, profile, is_batch"
_ROLLUP_SUMS = (
    "calls",
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "thinking_tokens",
    "web_search_requests",
    "cost_nanos",
    "list_cost_nanos",
    "saved_nanos",
    "unknown_cost_calls",
    "unknown_list_cost_calls",
)


def _nanos(expr: str) -> str:
    return f"CAST(round({expr} * 1e9) AS INTEGER)"


def _rollup_values(row: str) -> list[str]:
    """The rollup key and the sums contributed by one `calls` row (``NEW`` or ``OLD``), as SQL expressions."""
    return [
        f"substr({row}.ts, 1, 10)",
        f"{row}.model",
        f"{row}.command",
        f"ifnull({row}.tag, '')",
        f"ifnull({row}.profile, '')",
        f"{row}.is_batch",
        "1",
        f"{row}.input_tokens",
        f"{row}.output_tokens",
        f"{row}.cache_write_5m_tokens",
        f"{row}.cache_write_1h_tokens",
        f"{row}.cache_read_tokens",
        f"{row}.thinking_tokens",
        f"{row}.web_search_requests",
        f"ifnull({_nanos(f'{row}.cost_usd')}, 0)",
        f"ifnull({_nanos(f'{row}.list_cost_usd')}, 0)",
        f"ifnull({_nanos(f'{row}.list_cost_usd')} - {_nanos(f'{row}.cost_usd')}, 0)",
        f"{row}.cost_usd IS NULL",
        f"{row}.list_cost_usd IS NULL",
    ]


def _rollup_add(row: str) -> str:
    updates = ", ".join(f"{name} = {name} + excluded.{name}" for name in _ROLLUP_SUMS)
    return (
        f"INSERT INTO call_days ({_ROLLUP_KEY}, {', '.join(_ROLLUP_SUMS)}) VALUES ({', '.join(_rollup_values(row))}) "
        f"ON CONFLICT ({_ROLLUP_KEY}) DO UPDATE SET {updates};"
    )


def _rollup_subtract(row: str) -> str:
    """Take one row's contribution back out, and drop its group once it holds no call."""
    values = _rollup_values(row)
    contributions = dict(zip(_ROLLUP_SUMS, values[6:], strict=True))
    updates = ", ".join(f"{name} = {name} - ({value})" for name, value in contributions.items())
    where = " AND ".join(
        f"{column} = {value}" for column, value in zip(_ROLLUP_KEY.split(", "), values[:6], strict=True)
    )
    return (
        f"UPDATE call_days SET {updates} WHERE {where}; DELETE FROM call_days WHERE {where} AND calls <= 0;"
    )


M004_CALL_DAYS = Migration(
    "m004_call_days",
    f"""
    CREATE TABLE call_days (
        day TEXT NOT NULL,
        model TEXT NOT NULL,
        command TEXT NOT NULL,
        tag TEXT NOT NULL,
        profile TEXT NOT NULL,
        is_batch INTEGER NOT NULL,
        {", ".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in _ROLLUP_SUMS)},
        PRIMARY KEY ({_ROLLUP_KEY})
    ) WITHOUT ROWID;
    INSERT INTO call_days ({_ROLLUP_KEY}, {", ".join(_ROLLUP_SUMS)})
        SELECT substr(ts, 1, 10), model, command, ifnull(tag, ''), ifnull(profile, ''), is_batch, count(*),
               sum(input_tokens), sum(output_tokens), sum(cache_write_5m_tokens), sum(cache_write_1h_tokens),
               sum(cache_read_tokens), sum(thinking_tokens), sum(web_search_requests),
               ifnull(sum({_nanos("cost_usd")}), 0), ifnull(sum({_nanos("list_cost_usd")}), 0),
               ifnull(sum({_nanos("list_cost_usd")} - {_nanos("cost_usd")}), 0),
               count(*) - count(cost_usd), count(*) - count(list_cost_usd)
        FROM calls GROUP BY 1, 2, 3, 4, 5, 6;
    CREATE TRIGGER calls_rollup_insert AFTER INSERT ON calls BEGIN {_rollup_add("NEW")} END;
    CREATE TRIGGER calls_rollup_delete AFTER DELETE ON calls BEGIN {_rollup_subtract("OLD")} END;
    CREATE TRIGGER calls_rollup_update AFTER UPDATE ON calls BEGIN
        {_rollup_subtract("OLD")} {_rollup_add("NEW")}
    END;
    """,
)

# --- m005: write-ahead rows ----------------------------------------------------------------------------------
#
# A row is written (status 'in_flight') before a billable request leaves, and completed in place when the call
# ends, so a process killed in between still leaves the call in the ledger. ``pid``, ``pid_start`` (boot id and
# start time) and ``host`` name the process that made it, so a later run can prove it gone and mark the row
# 'unknown'; ``worst_cost_usd`` is what the call could have cost at most (input estimate + max_tokens output).
# The partial index holds only unsettled rows: finding them is free however large the ledger grows.

M005_WRITE_AHEAD = Migration(
    "m005_write_ahead",
    """
    ALTER TABLE calls ADD COLUMN pid INTEGER;
    ALTER TABLE calls ADD COLUMN pid_start TEXT;
    ALTER TABLE calls ADD COLUMN host TEXT;
    ALTER TABLE calls ADD COLUMN worst_cost_usd REAL;
    CREATE INDEX calls_unsettled ON calls (status, ts) WHERE status IN ('in_flight', 'unknown');
    """,
)

# --- m006: tool loops --------------------------------------------------------------------------------------
#
# A tool-using answer is several API calls: each row names its loop (``loop_id``, NULL for a plain call) and its
# ``step`` (1, 2, ...), so ``cost report --by loop`` can total a whole answer. ``web_fetch_requests`` counts the
# web fetch server tool's uses (not billed beyond tokens, kept for the record). The partial index holds only rows
# of loops, so grouping by loop never scans plain calls' index entries.

M006_TOOL_LOOPS = Migration(
    "m006_tool_loops",
    """
    ALTER TABLE calls ADD COLUMN web_fetch_requests INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE calls ADD COLUMN loop_id TEXT;
    ALTER TABLE calls ADD COLUMN step INTEGER;
    CREATE INDEX calls_loop ON calls (loop_id, ts) WHERE loop_id IS NOT NULL;
    """,
)

UNSETTLED_SQL = "status IN ('in_flight', 'unknown')"  # exactly the partial index's WHERE, so it is used

# --- m007: how a call was served ------------------------------------------------------------------------------
#
# ``speed`` ("fast"), ``service_tier`` ("priority") and ``inference_geo`` (a region other than global), each
# NULL when standard: they change the price, and ``cost report --by speed|tier|geo`` groups on them.

M007_CALL_MODE = Migration(
    "m007_call_mode",
    """
    ALTER TABLE calls ADD COLUMN speed TEXT;
    ALTER TABLE calls ADD COLUMN service_tier TEXT;
    ALTER TABLE calls ADD COLUMN inference_geo TEXT;
    """,
)

LEDGER_MIGRATIONS: tuple[Migration, ...] = (
    M001_CALLS,
    M002_INDEXES,
    M003_BODIES,
    M004_CALL_DAYS,
    M005_WRITE_AHEAD,
    M006_TOOL_LOOPS,
    M007_CALL_MODE,
)
