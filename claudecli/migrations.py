"""Schema of the usage ledger (``usage.db``), as forward-only named migrations.

Rules: append new migrations at the end; never edit, rename, reorder or delete a released one (a database
in the wild may already have it). See :func:`claudecli.db.apply_migrations`.

Conventions of the ``calls`` table:

* ``ts`` is ISO-8601 UTC with milliseconds and a ``Z`` (``2026-11-22T04:32:01.123Z``): fixed width, so text
  order is time order and ``substr(ts, 1, 10)`` is the UTC day.
* token columns follow :class:`claudecli.usage.TokenUsage` (``input_tokens`` excludes cache reads/writes).
* ``cost_usd`` is what the call cost, NULL when the price is unknown; ``list_cost_usd`` is what the same
  tokens would have cost at the standard price with no caching and no batch discount (savings report).
* ``status`` is ``ok``, ``interrupted``, or an error type such as ``rate_limit_error``.
* ``prompt_sha256`` / ``answer_sha256`` let calls be matched without keeping text; the text itself lives
  in ``bodies`` and only when the user turned ``log_bodies`` on. There is no column for credentials.
"""

from __future__ import annotations

from claudecli.db import Migration

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

LEDGER_MIGRATIONS: tuple[Migration, ...] = (M001_CALLS, M002_INDEXES, M003_BODIES)
