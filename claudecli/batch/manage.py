"""``batch list``, ``status``, ``results``, ``cancel``, ``delete``: addressing batches by id or by name.

A target is a batch id (``msgbatch_…``, journaled or not) or the ``--name`` of a journaled submission (the
newest one with that name; all of its parts). Only submissions of the current profile and base URL are
seen (see ``scope``): a name submitted under another profile is unknown here, and a journaled batch id of
another profile is refused with a hint rather than asked of the wrong API. ``status NAME`` first decides
what it can about parts whose create call's answer was lost (see ``reconcile``). Machine output (ids, ``--json``,
results) goes to stdout; notes and summaries to stderr.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.batch import remote
from claudecli.batch.collect import record
from claudecli.batch.journal import Journal, open_journal
from claudecli.batch.journal_rows import CREATING, DELETED, GONE, SUBMITTED, Part
from claudecli.batch.lock import LockBusy, batch_lock
from claudecli.batch.output import OUTCOMES, check_target
from claudecli.batch.overwrite import Overwrite
from claudecli.batch.reconcile import settle_lost_creates
from claudecli.batch.results import Saved, book_unbooked, needs_booking, save
from claudecli.batch.scope import describe
from claudecli.batch.watch import wait_until_ended
from claudecli.core.errors import (
    BadRequestError,
    ConnectionFailed,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UsageError,
)
from claudecli.render.emit import emit, items_document
from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.batch.remote import RemoteBatch
    from claudecli.core.context import AppContext

BATCH_ID_PREFIX = "msgbatch_"


def resolve(journal: Journal, target: str) -> list[str]:
    """The batch ids a target names (in this journal's scope)."""
    if target.startswith(BATCH_ID_PREFIX):
        part = journal.part_by_batch_id(target)
        if part is not None and not journal.in_scope(part):
            raise NotFoundError(
                f"batch {target} was submitted with {describe(part.profile, part.base_url)}",
                hint=_scope_hint(journal, part),
            )
        return [target]
    parts = journal.parts_named(target)
    if not parts:
        raise NotFoundError(
            f"no batch id or submission name {target!r} in the batch journal for this profile"
        )
    ids = [part.batch_id for part in parts if part.batch_id]
    if not ids:
        raise NotFoundError(f"submission {target!r} has no batch id yet (its create call did not complete)")
    return ids


def _scope_hint(journal: Journal, part: Part) -> str:
    if journal.scope is not None and part.profile != journal.scope.profile:
        return f"use --profile {part.profile}" if part.profile else "run it without --profile"
    return f"point base_url at {part.base_url} to reach it"


def _names(journal: Journal, batch_ids: list[str]) -> dict[str, str | None]:
    return {bid: (part.name if (part := journal.part_by_batch_id(bid)) else None) for bid in batch_ids}


def batch_document(batch: RemoteBatch, name: str | None) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "name": name,
        "processing_status": batch.processing_status,
        "request_counts": {"processing": batch.counts.get("processing", 0), **batch.counts},
        "created_at": batch.created_at.isoformat(),
        "ended_at": batch.ended_at.isoformat() if batch.ended_at else None,
        "expires_at": batch.expires_at.isoformat() if batch.expires_at else None,
    }


def _print_batches(
    app_ctx: AppContext, batches: list[RemoteBatch], names: dict[str, str | None], as_json: bool
) -> None:
    if as_json:
        emit(app_ctx, items_document(batch_document(batch, names.get(batch.id)) for batch in batches))
        return
    rows = [
        [
            batch.id,
            names.get(batch.id) or "-",
            batch.processing_status,
            f"{batch.done}/{batch.total}",
            *(str(batch.counts.get(kind, 0)) for kind in OUTCOMES),
        ]
        for batch in batches
    ]
    print_table(app_ctx, STATUS_COLUMNS, rows)


STATUS_COLUMNS = (
    Column("BATCH"),
    Column("NAME", truncate_to=16, drop_order=1),  # the batch id says it
    Column("STATUS"),
    Column("DONE"),
    *(Column(kind.upper(), numeric=True, short=kind[:3].upper()) for kind in OUTCOMES),
)


def _settle_named(app_ctx: AppContext, journal: Journal, target: str) -> None:
    """Decide the lost creates of a named submission, unless another batch command holds the lock."""
    if target.startswith(BATCH_ID_PREFIX):
        return
    parts = journal.parts_named(target)
    if any(part.state == CREATING for part in parts):
        with contextlib.suppress(LockBusy), batch_lock(app_ctx.settings.paths.data_dir, wait=0):
            settle_lost_creates(app_ctx, journal, parts)


def status(app_ctx: AppContext, target: str, *, watch: bool, interval: float, as_json: bool) -> None:
    with open_journal(app_ctx) as journal:
        _settle_named(app_ctx, journal, target)
        ids = resolve(journal, target)
        names = _names(journal, ids)
        if watch:
            batches = wait_until_ended(app_ctx, ids, interval=interval, on_poll=lambda b: _record(journal, b))
        else:
            batches = [remote.retrieve(app_ctx.client, bid) for bid in ids]
            for batch in batches:
                _record(journal, batch)
    _print_batches(app_ctx, batches, names, as_json)


def _record(journal: Journal, batch: RemoteBatch) -> None:
    part = journal.part_by_batch_id(batch.id)
    if part is not None:
        journal.adopt_scope(part)
        record(journal, batch)


def cancel(app_ctx: AppContext, target: str, *, as_json: bool) -> None:
    """Cancel every batch the target names; for a split submission, parts already ended are skipped."""
    with open_journal(app_ctx) as journal:
        ids = resolve(journal, target)
        names = _names(journal, ids)
        batches, refused = [], []
        for bid in ids:
            try:
                batches.append(remote.cancel(app_ctx.client, bid))
            except BadRequestError as exc:  # already ended
                if len(ids) == 1:
                    raise
                refused.append(exc)
                app_ctx.note(f"{bid}: {exc.one_line()}")
        if not batches and refused:
            raise refused[0]
        for batch in batches:
            _record(journal, batch)
    _print_batches(app_ctx, batches, names, as_json)


def delete(app_ctx: AppContext, target: str) -> None:
    with open_journal(app_ctx) as journal:
        for bid in resolve(journal, target):
            if needs_booking(journal, [bid]):
                _book_before_delete(app_ctx, journal, remote.retrieve(app_ctx.client, bid))
            remote.delete(app_ctx.client, bid)
            journal.mark_state(bid, DELETED)
            app_ctx.stdout.file.write(bid + "\n")


def _book_before_delete(app_ctx: AppContext, journal: Journal, batch: RemoteBatch) -> None:
    """A journaled batch never downloaded has its results booked first: after the delete they are gone, and
    so would be the ledger rows of the requests it was billed for. (One still processing: the API refuses.)"""
    if not batch.ended:
        return
    with batch_lock(app_ctx.settings.paths.data_dir, wait=None):
        booked = book_unbooked(app_ctx, batch, journal)
    app_ctx.note(f"{batch.id}: {booked} result(s) booked in the usage ledger before deleting it")


@dataclass
class ResultsOptions:
    target: str
    out: Path | None
    fmt: str
    overwrite: Overwrite = field(default_factory=Overwrite)


def results(app_ctx: AppContext, options: ResultsOptions) -> Saved:
    """Download results (all parts of a name, one after another); book journaled batches the first time."""
    if options.out is not None:
        check_target(options.out)
    with open_journal(app_ctx) as journal:
        ids = resolve(journal, options.target)
        batches = [remote.retrieve(app_ctx.client, bid) for bid in ids]
        unfinished = [batch for batch in batches if not batch.ended]
        if unfinished:
            first = unfinished[0]
            raise UsageError(
                f"batch {first.id} has not ended yet ({first.processing_status}, {first.done}/{first.total} done)",
                hint="wait with `claudecli batch status --watch`",
            )
        if needs_booking(journal, ids):
            with batch_lock(app_ctx.settings.paths.data_dir, wait=None):
                return _save(app_ctx, batches, options, journal)
        return _save(app_ctx, batches, options, journal)


def _save(
    app_ctx: AppContext, batches: list[RemoteBatch], options: ResultsOptions, journal: Journal
) -> Saved:
    return save(app_ctx, batches, out=options.out, fmt=options.fmt, journal=journal, rule=options.overwrite)


# -- list ---------------------------------------------------------------------------------------------------


def _refresh(app_ctx: AppContext, journal: Journal, part: Part) -> Part:
    """The part with its remote state brought up to date (unless it is settled: collected and ended)."""
    if part.batch_id is None or part.state != SUBMITTED:
        return part
    if part.collected_at is not None and part.processing_status == "ended":
        return part
    try:
        _record(journal, remote.retrieve(app_ctx.client, part.batch_id))
    except NotFoundError:
        if part.scoped:  # only the API it was submitted to can say it is gone
            journal.mark_state(part.batch_id, GONE)
    return journal.part_by_batch_id(part.batch_id) or part


def part_document(part: Part) -> dict[str, Any]:
    return {
        "name": part.name,
        "batch_id": part.batch_id,
        "part": part.part,
        "parts": part.parts,
        "input": part.input_path,
        "state": part.state,
        "processing_status": part.processing_status,
        "request_count": part.request_count,
        "request_counts": part.counts,
        "submitted_at": part.remote_created_at,
        "ended_at": part.ended_at,
        "booked": part.booked_at is not None,
        "collected_at": part.collected_at,
        "results_path": part.results_path,
        "unverified_candidates": part.unverified,
    }


def list_batches(app_ctx: AppContext, *, limit: int | None, as_json: bool) -> None:
    with open_journal(app_ctx) as journal:
        parts = journal.recent(limit)
        for index, part in enumerate(parts):
            try:
                parts[index] = _refresh(app_ctx, journal, part)
            except (ServerError, ConnectionFailed, RateLimitedError) as exc:
                app_ctx.warn(  # the listing is the journal's; the API's word is only fresher
                    f"cannot read the batches' state ({exc.one_line()}); "
                    f"{len(parts) - index} shown as last recorded"
                )
                break
    if as_json:
        emit(app_ctx, items_document(part_document(p) for p in parts))
        return
    if not parts:
        app_ctx.note("no batches in the journal yet (claudecli batch submit FILE)")
        return
    print_table(app_ctx, LIST_COLUMNS, [_list_row(part) for part in parts])  # cells are never markup


LIST_COLUMNS = (
    Column("NAME", truncate_to=16),  # the batch id, never cut, addresses it too
    Column("BATCH"),
    Column("STATUS"),
    Column("DONE"),
    Column("SUCCEEDED", numeric=True, short="OK", drop_order=2),
    Column("ERRORED", numeric=True, short="ERR", drop_order=4),
    Column("SUBMITTED", drop_order=1),
    Column("COLLECTED", short="COLL", drop_order=3),
)


def _state(part: Part) -> str:
    if part.state == SUBMITTED and part.processing_status:
        return part.processing_status
    return "unverified" if part.state == CREATING and part.unverified else part.state


def _list_row(part: Part) -> tuple[str, ...]:
    counts = part.counts or {}
    done = part.request_count - counts.get("processing", 0) if counts else 0
    name = part.name or "-"
    return (
        name if part.parts == 1 else f"{name} ({part.part}/{part.parts})",
        part.batch_id or "-",
        _state(part),
        f"{done}/{part.request_count}",
        str(counts.get("succeeded", 0)),
        str(counts.get("errored", 0)),
        (part.remote_created_at or "-")[:19].replace("T", " "),
        "yes" if part.collected_at else "-",
    )
