"""Schema of the batch journal (``batches.db``), as forward-only named migrations (see ``claudecli.core.db``).

Rules: append new migrations at the end; never edit, rename, reorder or delete a released one (a journal in
the wild may already have it). What the tables mean is described in ``journal``.
"""

from __future__ import annotations

from claudecli.core.db import Migration

JOURNAL_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "j001_submissions",
        """
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            name TEXT,
            input_path TEXT NOT NULL,
            input_sha256 TEXT NOT NULL,
            options_json TEXT NOT NULL,
            request_count INTEGER NOT NULL,
            skipped_count INTEGER NOT NULL DEFAULT 0,
            estimated_cost_usd REAL,
            created_at TEXT NOT NULL,
            superseded INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX submissions_key ON submissions (key);
        CREATE INDEX submissions_name ON submissions (name);
        """,
    ),
    Migration(
        "j002_parts",
        """
        CREATE TABLE parts (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions (id),
            part INTEGER NOT NULL,
            request_count INTEGER NOT NULL,
            body_bytes INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'new',
            batch_id TEXT UNIQUE,
            create_started_at TEXT,
            processing_status TEXT,
            counts_json TEXT,
            remote_created_at TEXT,
            ended_at TEXT,
            results_path TEXT,
            booked_at TEXT,
            collected_at TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (submission_id, part)
        );
        """,
    ),
    Migration(
        "j003_submission_scope",
        """
        ALTER TABLE submissions ADD COLUMN profile TEXT;
        ALTER TABLE submissions ADD COLUMN base_url TEXT;
        """,
    ),
    # j004: ownership of a lost create can be proven. Each submission gets a random ``nonce``; its requests are
    # sent with custom_ids ``{nonce}-{seq}`` (see ``tags``) and ``request_ids`` maps each ``seq`` back to the
    # user's own custom_id. ``candidates`` holds the remote batches that could be a part's lost create, each
    # ``unverified`` until its results prove it ``ours`` or ``not_ours``. Submissions journaled before have no
    # nonce (NULL): their custom_ids were sent as written.
    Migration(
        "j004_request_tags",
        """
        ALTER TABLE submissions ADD COLUMN nonce TEXT;
        CREATE TABLE request_ids (
            submission_id INTEGER NOT NULL REFERENCES submissions (id),
            seq INTEGER NOT NULL,
            custom_id TEXT NOT NULL,
            PRIMARY KEY (submission_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE candidates (
            part_id INTEGER NOT NULL REFERENCES parts (id),
            batch_id TEXT NOT NULL,
            verdict TEXT NOT NULL DEFAULT 'unverified',
            found_at TEXT NOT NULL,
            decided_at TEXT,
            PRIMARY KEY (part_id, batch_id)
        );
        """,
    ),
    # j005: which line of its input each answer in a ``batch run -o`` file answered (``run_plan``): an id alone
    # (a line number when generated) would let a changed input, or another input, pass for a finished run.
    Migration(
        "j005_run_lines",
        """
        CREATE TABLE run_lines (
            output TEXT NOT NULL,
            custom_id TEXT NOT NULL,
            line_digest BLOB NOT NULL,
            PRIMARY KEY (output, custom_id)
        ) WITHOUT ROWID;
        """,
    ),
)
