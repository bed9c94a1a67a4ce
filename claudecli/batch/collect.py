"""``batch collect`` (the cron companion) and ``submit --wait``: download ended batches and book them once.

``collect`` takes the batch lock without waiting: if another collect (or a submit) holds it, this run has
nothing to add and exits 0. For every journaled batch not yet collected it fetches the status; ended ones are
downloaded to ``DIR/<label>.jsonl`` (atomically), booked in the ledger at batch prices (once; see
``booking``) and marked collected. Running it again changes nothing.

First, parts whose create call's answer was lost have their candidates decided (see ``reconcile``): a batch
proven to be the part's own is collected in the same run; a part found never created is reported with what
to run. Only the batches of the current profile and base URL are looked at (see ``scope``). A batch the API it was
submitted to no longer knows (404) is marked ``gone`` with a warning, so it is not asked about forever; a
404 for a batch journaled before scopes were recorded only warns (it may belong to another profile).
A failure with one batch (the API, writing DIR, a malformed results line) is reported in one line and the
other batches are still collected; the run then exits with the first failure's code (each failure is
printed once, as an ``error:`` line naming its batch).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.batch.journal import Journal, open_journal
from claudecli.batch.journal_rows import GONE, Part
from claudecli.batch.lock import LockBusy, batch_lock
from claudecli.batch.output import SUFFIXES, cannot_write
from claudecli.batch.overwrite import Overwrite, record_keys, same_file
from claudecli.batch.reconcile import settle_lost_creates
from claudecli.batch.results import Saved, save
from claudecli.batch.watch import wait_until_ended
from claudecli.core.errors import ClaudeCliError, NotFoundError, ServerError
from claudecli.core.fsutil import require_parent
from claudecli.core.names import check_name

if TYPE_CHECKING:
    from claudecli.batch.remote import RemoteBatch
    from claudecli.core.context import AppContext


@dataclass
class CollectReport:
    written: list[Path] = field(default_factory=list)
    processing: int = 0
    errors: list[ClaudeCliError] = field(default_factory=list)
    busy: bool = False


def record(journal: Journal, batch: RemoteBatch) -> None:
    ended = batch.ended_at.isoformat() if batch.ended_at else None
    journal.record_remote(batch.id, batch.processing_status, batch.counts, ended)


def collect(app_ctx: AppContext, out_dir: Path, fmt: str, *, force: bool = False) -> CollectReport:
    report = CollectReport()
    rule = Overwrite(force=force, option="--out-dir", follow_links=False)
    try:
        with batch_lock(app_ctx.settings.paths.data_dir, wait=0), open_journal(app_ctx) as journal:
            for part in journal.awaiting_proof():
                try:
                    report.processing += settle_lost_creates(app_ctx, journal, [part])
                except ClaudeCliError as exc:
                    _failed(app_ctx, part, exc, report)
            for part in journal.uncollected():
                try:
                    _collect_part(app_ctx, journal, part, (out_dir, fmt, rule), report)
                except ClaudeCliError as exc:
                    _failed(app_ctx, part, exc, report)
                except OSError as exc:  # creating DIR: report it with the batch, carry on
                    _failed(app_ctx, part, cannot_write(Path(exc.filename or out_dir), exc), report)
                except ValueError as exc:
                    _failed(app_ctx, part, ServerError(f"unexpected results from the API: {exc}"), report)
    except LockBusy:
        report.busy = True
    return report


def _failed(app_ctx: AppContext, part: Part, error: ClaudeCliError, report: CollectReport) -> None:
    """Report a batch's failure once, here; the run's exit code is the first failure's."""
    app_ctx.error(f"{part.batch_id or part.label}: {error.one_line()}")
    report.errors.append(error)


def _collect_part(
    app_ctx: AppContext,
    journal: Journal,
    part: Part,
    where: tuple[Path, str, Overwrite],
    report: CollectReport,
) -> None:
    assert part.batch_id is not None
    out_dir, fmt, rule = where
    try:
        batch = remote.retrieve(app_ctx.client, part.batch_id)
    except NotFoundError:
        if part.scoped:  # the API it was submitted to says so
            journal.mark_state(part.batch_id, GONE)
            app_ctx.warn(f"{part.batch_id}: the API no longer knows this batch; it will not be collected")
        else:
            app_ctx.warn(
                f"{part.batch_id}: not found at {journal.scope.base_url if journal.scope else 'this API'}; "
                "it was journaled without its profile: collect it with the profile that submitted it"
            )
        return
    journal.adopt_scope(part)
    record(journal, batch)
    if not batch.ended:
        report.processing += 1
        return
    target = _target(journal, part, out_dir, fmt)
    saved = save(app_ctx, [batch], out=target, fmt=fmt, journal=journal, rule=rule)
    journal.mark_collected(part.batch_id, os.path.realpath(target))
    report.written.append(target)
    app_ctx.note(f"{target}: {saved.tally.summary('batch')}")


def _target(journal: Journal, part: Part, out_dir: Path, fmt: str) -> Path:
    """``DIR/<label>.jsonl``; if another batch already went to that file, it holds results the journal does
    not know, or it is the batch's own input (``collect --out-dir .`` beside ``small.jsonl``), the batch id
    joins the name.

    The name (journaled by an older claudecli, perhaps) and the batch id (the API's word) become a file name,
    so both must pass the name rule. DIR itself is created (0700) when missing, but never its parents.
    """
    assert part.batch_id is not None
    if part.name is not None:
        check_name("batch name", part.name)
    check_name("batch id", part.batch_id)
    require_parent(out_dir, "--out-dir")
    out_dir.mkdir(mode=0o700, exist_ok=True)
    out_dir = out_dir.resolve()
    target = out_dir / f"{part.label}{SUFFIXES[fmt]}"
    if (
        journal.results_path_taken(os.path.realpath(target), part.batch_id)
        or same_file(target, Path(part.input_path))
        or _unclaimed_results(journal, target, fmt)
    ):
        target = out_dir / f"{part.label}.{part.batch_id}{SUFFIXES[fmt]}"
    return target


def _unclaimed_results(journal: Journal, target: Path, fmt: str) -> bool:
    """Whether ``target`` holds claudecli results the journal knows nothing of (``batch run -o``, a redirect,
    a journal moved aside): their generated ids may be this batch's, so they are kept and the batch goes
    beside them, as it does beside another batch's results."""
    if target.is_symlink() or not target.is_file() or target.stat().st_size == 0:
        return False
    return not journal.parts_written_to(os.path.realpath(target)) and bool(record_keys(target, fmt))


def wait_and_save(
    app_ctx: AppContext,
    batch_ids: list[str],
    *,
    out: Path | None,
    fmt: str,
    interval: float,
    rule: Overwrite,
) -> Saved:
    """``submit --wait``: poll until every batch ended, then download (and book) their results."""
    with open_journal(app_ctx) as journal:
        batches = wait_until_ended(
            app_ctx, batch_ids, interval=interval, on_poll=lambda b: record(journal, b)
        )
    with (
        batch_lock(app_ctx.settings.paths.data_dir, wait=None),  # a running collect finishes first
        open_journal(app_ctx) as journal,
    ):
        saved = save(app_ctx, batches, out=out, fmt=fmt, journal=journal, rule=rule)
        if out is not None:
            for batch in batches:
                journal.mark_collected(batch.id, os.path.realpath(out))
    return saved
