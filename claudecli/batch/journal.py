"""The batch journal (``batches.db`` in the data dir): every submission, before and after its create call.

A *submission* is one ``batch submit`` of one input file with one set of options (its ``key`` is a hash of
both). It is split into one or more *parts*, each one Message Batch. A part moves through these states:

* ``new`` — journaled, not yet sent;
* ``creating`` — ``create_started_at`` is written and committed *before* the create call, so a run killed
  between the call and the journal update (or a lost response) leaves a trace that is reconciled against the
  remote list instead of submitting twice (see ``reconcile``): the batches that could be the lost create are
  its ``candidates``, each ``unverified`` until its results prove it ``ours`` or ``not_ours`` (see ``tags``);
* ``submitted`` — the batch id is known; ``processing_status``/``counts`` cache the last remote view;
* ``deleted`` (by ``batch delete``) or ``gone`` (the API no longer knows it).

A submission's ``nonce`` tags the custom_ids it sends, and ``request_ids`` maps them back to the user's own
(see ``tags``); submissions journaled before tagging have none.

``booked_at`` and ``collected_at`` record that the results were written to the usage ledger (never twice)
and downloaded by ``batch collect`` (to ``results_path``).

Each submission also records its scope (``profile``, ``base_url``; see ``scope``). A journal opened with a
scope shows only that scope's submissions (and those journaled before scopes were recorded) to
:meth:`Journal.parts_named`, :meth:`Journal.uncollected` and :meth:`Journal.recent`.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.batch.journal_rows import (
    CREATING,
    NEW,
    NOT_OURS,
    OURS,
    PART_SELECT,
    SUBMISSION_SELECT,
    SUBMITTED,
    UNVERIFIED,
    Part,
    Submission,
    part_from_row,
)
from claudecli.batch.journal_schema import JOURNAL_MIGRATIONS
from claudecli.batch.scope import SCOPE_SQL, Scope, scope_of
from claudecli.core.db import write_transaction
from claudecli.core.db_files import format_ts, now_ts
from claudecli.core.store import MigratedStore, Notify

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


class Journal(MigratedStore):
    """The journal at ``path`` (created and migrated on first use). One connection, one thread.

    ``scope``: the profile and API of this run; new submissions are journaled with it and the listing
    methods see only its submissions (None: no filter, and new submissions without a scope).
    """

    migrations = JOURNAL_MIGRATIONS
    label = "batch journal"

    def __init__(self, path: Path, scope: Scope | None = None, *, notify: Notify | None = None) -> None:
        super().__init__(path, notify=notify)
        self.scope = scope

    def _scoped(self, where: str, params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        """``where`` (conditions on ``p`` and ``s``) narrowed to this journal's scope."""
        if self.scope is None:
            return where, params
        return f"({where}) AND {SCOPE_SQL}", (*params, *self.scope.params)

    def in_scope(self, part: Part) -> bool:
        if self.scope is None or not part.scoped:
            return True
        return (part.profile, part.base_url) == self.scope.params

    def adopt_scope(self, part: Part) -> None:
        """A batch journaled before scopes were recorded was found through this scope's API: record it."""
        if self.scope is None or part.scoped:
            return
        with write_transaction(self._db()) as conn:
            conn.execute(
                "UPDATE submissions SET profile = ?, base_url = ? WHERE id = ? AND profile IS NULL",
                (*self.scope.params, part.submission_id),
            )

    # -- submissions ------------------------------------------------------------------------------------

    def find_submission(self, key: str, legacy_key: str | None = None) -> Submission | None:
        """The live (not superseded) submission with this key, newest first.

        ``legacy_key``: the key the same submission had before scopes were part of it; it matches only
        submissions journaled without a scope.
        """
        where, params = self._scoped(
            "s.superseded = 0 AND (s.key = ? OR (s.key = ? AND s.profile IS NULL))", (key, legacy_key)
        )
        row = (
            self._db()
            .execute(f"{SUBMISSION_SELECT} s WHERE {where} ORDER BY s.id DESC LIMIT 1", params)
            .fetchone()
        )
        return None if row is None else Submission(*row)

    def supersede(self, submission_id: int) -> None:
        with write_transaction(self._db()) as conn:
            conn.execute("UPDATE submissions SET superseded = 1 WHERE id = ?", (submission_id,))

    def add_submission(
        self,
        *,
        key: str,
        name: str | None,
        input_path: str,
        input_sha256: str,
        options: dict[str, Any],
        request_count: int,
        skipped_count: int,
        estimated_cost_usd: float | None,
        parts: list[tuple[int, int]],
        nonce: str | None = None,
        custom_ids: list[str] | None = None,
    ) -> Submission:
        """Journal a submission and its parts (``(request_count, body_bytes)`` each), all ``new``.

        ``nonce``: the tag of its custom_ids; ``custom_ids``: the user's id of each tagged request, in order.
        """
        created = now_ts()
        with write_transaction(self._db()) as conn:
            cursor = conn.execute(
                "INSERT INTO submissions (key, name, input_path, input_sha256, options_json, request_count, "
                "skipped_count, estimated_cost_usd, created_at, profile, base_url, nonce) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    name,
                    input_path,
                    input_sha256,
                    json.dumps(options, sort_keys=True),
                    request_count,
                    skipped_count,
                    estimated_cost_usd,
                    created,
                    *(self.scope.params if self.scope else (None, None)),
                    nonce,
                ),
            )
            submission_id = cursor.lastrowid
            assert submission_id is not None
            conn.executemany(
                "INSERT INTO parts (submission_id, part, request_count, body_bytes, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(submission_id, i, count, size, created) for i, (count, size) in enumerate(parts, 1)],
            )
            conn.executemany(
                "INSERT INTO request_ids (submission_id, seq, custom_id) VALUES (?, ?, ?)",
                ((submission_id, seq, custom_id) for seq, custom_id in enumerate(custom_ids or ())),
            )
        found = self._db().execute(f"{SUBMISSION_SELECT} WHERE id = ?", (submission_id,)).fetchone()
        return Submission(*found)

    # -- parts ------------------------------------------------------------------------------------------

    def parts_of(self, submission_id: int) -> list[Part]:
        rows = self._db().execute(
            f"{PART_SELECT} WHERE p.submission_id = ? ORDER BY p.part", (submission_id,)
        )
        return [part_from_row(row) for row in rows]

    def part(self, part_id: int) -> Part:
        return part_from_row(self._db().execute(f"{PART_SELECT} WHERE p.id = ?", (part_id,)).fetchone())

    def part_by_batch_id(self, batch_id: str) -> Part | None:
        row = self._db().execute(f"{PART_SELECT} WHERE p.batch_id = ?", (batch_id,)).fetchone()
        return None if row is None else part_from_row(row)

    def parts_named(self, name: str) -> list[Part]:
        """The parts of the newest live submission of this scope called ``name``."""
        where, params = self._scoped("s.name = ?", (name,))
        row = (
            self._db()
            .execute(
                f"SELECT s.id FROM submissions s WHERE {where} ORDER BY s.superseded, s.id DESC LIMIT 1",
                params,
            )
            .fetchone()
        )
        return [] if row is None else self.parts_of(row[0])

    def uncollected(self) -> list[Part]:
        """Submitted parts of this scope whose results ``batch collect`` has not downloaded yet, oldest first."""
        where, params = self._scoped("p.state = ? AND p.collected_at IS NULL", (SUBMITTED,))
        rows = self._db().execute(f"{PART_SELECT} WHERE {where} ORDER BY p.id", params)
        return [part_from_row(row) for row in rows]

    def recent(self, limit: int | None) -> list[Part]:
        """Parts of this scope, newest submission first."""
        where, params = self._scoped("1", ())
        sql = f"{PART_SELECT} WHERE {where} ORDER BY p.submission_id DESC, p.part"
        if limit:
            sql, params = sql + " LIMIT ?", (*params, min(limit, 2**63 - 1))  # SQLite's largest integer
        rows = self._db().execute(sql, params)
        return [part_from_row(row) for row in rows]

    def awaiting_proof(self) -> list[Part]:
        """Tagged parts of this scope whose create call's answer was lost (``creating``): their candidates can
        be proven. A superseded submission's part counts only while it has candidates to check."""
        where, params = self._scoped(
            "p.state = ? AND s.nonce IS NOT NULL AND (s.superseded = 0 OR EXISTS "
            "(SELECT 1 FROM candidates c WHERE c.part_id = p.id AND c.verdict = ?))",
            (CREATING, UNVERIFIED),
        )
        rows = self._db().execute(f"{PART_SELECT} WHERE {where} ORDER BY p.id", params)
        return [part_from_row(row) for row in rows]

    def known_batch_ids(self) -> set[str]:
        return {bid for (bid,) in self._db().execute("SELECT batch_id FROM parts WHERE batch_id IS NOT NULL")}

    def _update(self, part_id: int, **values: Any) -> None:
        columns = ", ".join(f"{column} = ?" for column in values)
        with write_transaction(self._db()) as conn:
            conn.execute(
                f"UPDATE parts SET {columns}, updated_at = ? WHERE id = ?",
                (*values.values(), now_ts(), part_id),
            )

    def mark_creating(self, part_id: int) -> str:
        """Record (and commit) that a create call is about to be made; return the time written."""
        started = now_ts()
        self._update(part_id, state=CREATING, create_started_at=started)
        return started

    def mark_submitted(self, part_id: int, batch_id: str, remote_created_at: str | None) -> None:
        self._update(part_id, state=SUBMITTED, batch_id=batch_id, remote_created_at=remote_created_at)

    def reset_part(self, part_id: int) -> None:
        """The create call certainly did not create a batch: back to ``new``."""
        self._update(part_id, state=NEW, create_started_at=None)

    # -- ownership (see ``tags``) ---------------------------------------------------------------------------

    def user_custom_id(self, submission_id: int, seq: int) -> str | None:
        query = "SELECT custom_id FROM request_ids WHERE submission_id = ? AND seq = ?"
        row = self._db().execute(query, (submission_id, seq)).fetchone()
        return None if row is None else row[0]

    def add_candidates(self, part_id: int, batch_ids: list[str]) -> None:
        """Record batches that could be the part's lost create (a verdict already reached stays)."""
        found = now_ts()
        with write_transaction(self._db()) as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO candidates (part_id, batch_id, found_at) VALUES (?, ?, ?)",
                [(part_id, batch_id, found) for batch_id in batch_ids],
            )

    def candidates(self, part_id: int) -> list[str]:
        """The part's candidates still waiting for proof, oldest first."""
        rows = self._db().execute(
            "SELECT batch_id FROM candidates WHERE part_id = ? AND verdict = ? ORDER BY rowid",
            (part_id, UNVERIFIED),
        )
        return [batch_id for (batch_id,) in rows]

    def release_candidate(self, part_id: int, batch_id: str) -> None:
        with write_transaction(self._db()) as conn:
            conn.execute(
                "UPDATE candidates SET verdict = ?, decided_at = ? WHERE part_id = ? AND batch_id = ?",
                (NOT_OURS, now_ts(), part_id, batch_id),
            )

    def adopt_candidate(self, part_id: int, batch_id: str, remote_created_at: str | None) -> None:
        """Proven: the batch is the part's own; its other candidates are not (one create, one batch)."""
        decided = now_ts()
        with write_transaction(self._db()) as conn:
            conn.execute(
                "UPDATE candidates SET verdict = CASE batch_id WHEN ? THEN ? ELSE ? END, decided_at = ? "
                "WHERE part_id = ? AND verdict = ?",
                (batch_id, OURS, NOT_OURS, decided, part_id, UNVERIFIED),
            )
            conn.execute(
                "UPDATE parts SET state = ?, batch_id = ?, remote_created_at = ?, updated_at = ? WHERE id = ?",
                (SUBMITTED, batch_id, remote_created_at, decided, part_id),
            )

    def record_remote(
        self, batch_id: str, processing_status: str, counts: dict[str, int], ended_at: str | None
    ) -> None:
        with write_transaction(self._db()) as conn:
            conn.execute(
                "UPDATE parts SET processing_status = ?, counts_json = ?, ended_at = ?, updated_at = ? "
                "WHERE batch_id = ?",
                (processing_status, json.dumps(counts), ended_at, now_ts(), batch_id),
            )

    def _update_batch(self, batch_id: str, **values: Any) -> None:
        part = self.part_by_batch_id(batch_id)
        if part is not None:
            self._update(part.id, **values)

    def mark_booked(self, batch_id: str) -> None:
        self._update_batch(batch_id, booked_at=now_ts())

    def mark_collected(self, batch_id: str, results_path: str) -> None:
        self._update_batch(batch_id, collected_at=now_ts(), results_path=results_path)

    def mark_state(self, batch_id: str, state: str) -> None:
        self._update_batch(batch_id, state=state)

    def note_results_path(self, results_path: str, *batch_ids: str) -> None:
        """Where ``results -o`` (or ``submit --wait -o``) last wrote these batches' results. The file now holds
        theirs alone: a batch whose results it held before (replaced under ``--force``) no longer claims it,
        or that stale word would refuse the next rerun as "another batch's results"."""
        marks = ", ".join("?" for _ in batch_ids)
        with write_transaction(self._db()) as conn:
            conn.execute(
                f"UPDATE parts SET results_path = NULL, updated_at = ? WHERE results_path = ? "
                f"AND (batch_id IS NULL OR batch_id NOT IN ({marks}))",
                (now_ts(), results_path, *batch_ids),
            )
        for batch_id in batch_ids:
            self._update_batch(batch_id, results_path=results_path)

    def results_path_taken(self, path: str, *batch_ids: str) -> bool:
        """Whether the results of a batch other than ``batch_ids`` were already written to ``path``."""
        return any(part.batch_id not in batch_ids for part in self.parts_written_to(path))

    def parts_written_to(self, path: str) -> list[Part]:
        """The parts (of any profile) whose results were last written to ``path``."""
        return [
            part_from_row(row)
            for row in self._db().execute(PART_SELECT + " WHERE p.results_path = ?", (path,))
        ]

    def run_lines(self, output: str) -> dict[str, bytes]:
        """The digest of the input line each custom_id answered in a ``batch run -o`` file (its real path)."""
        rows = self._db().execute("SELECT custom_id, line_digest FROM run_lines WHERE output = ?", (output,))
        return {custom_id: bytes(digest) for custom_id, digest in rows}

    def note_run_lines(self, output: str, digests: dict[str, bytes], *, fresh: bool) -> None:
        """Record the lines a run of ``output`` answers; ``fresh``: the file holds no answer, forget older ones."""
        with write_transaction(self._db()) as conn:
            if fresh:
                conn.execute("DELETE FROM run_lines WHERE output = ?", (output,))
            conn.executemany(
                "INSERT OR REPLACE INTO run_lines (output, custom_id, line_digest) VALUES (?, ?, ?)",
                ((output, custom_id, digest) for custom_id, digest in digests.items()),
            )


def pending_batch_cost(app_ctx: AppContext, since: datetime) -> Decimal | None:
    """The worst case of this machine's batches (every profile's) created since ``since`` whose results are not
    booked yet: each created part's share of its submission's estimate. Budgets add it to the ledger's spend,
    so two nightly submits cannot each pass a daily budget before either is collected. Read-only: a journal
    that is missing, damaged or busy counts nothing here (its own commands deal with it)."""
    path = app_ctx.settings.paths.batch_journal_file
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            (total,) = conn.execute(_PENDING_SQL, (format_ts(since),)).fetchone()
    except sqlite3.Error:
        return None
    return Decimal(str(total)) if total else None


_PENDING_SQL = (
    "SELECT sum(s.estimated_cost_usd * p.request_count / s.request_count) FROM parts p "
    "JOIN submissions s ON s.id = p.submission_id WHERE p.batch_id IS NOT NULL AND p.booked_at IS NULL "
    "AND s.created_at >= ? AND s.estimated_cost_usd IS NOT NULL AND s.request_count > 0"
)


def open_journal(app_ctx: AppContext) -> Journal:
    """The batch journal, seen from this run's scope."""
    return Journal(
        app_ctx.settings.paths.batch_journal_file, scope_of(app_ctx.settings), notify=app_ctx.store_incident
    )
