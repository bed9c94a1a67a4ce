"""Download a batch's results: streamed line by line into the output format, priced, optionally booked.

To a file, the output is written atomically (a temp file beside it, renamed over it when complete), so a
reader or a cron job never sees half a file. Memory does not grow with the number of results. A journaled
batch sent with tagged custom_ids (see ``tags``) is written and booked with the user's own ids.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.batch.booking import Booker
from claudecli.batch.output import (
    LineWriter,
    Sink,
    Tally,
    cannot_write,
    check_target,
    from_api,
    make_writer,
)
from claudecli.batch.overwrite import Overwrite, check_after, check_before, still_through, through_links
from claudecli.batch.tags import UserIds, tag_of
from claudecli.core.errors import ServerError, UsageError
from claudecli.core.fsutil import atomic_open
from claudecli.render.visible import records_for

if TYPE_CHECKING:
    from claudecli.batch.journal import Journal
    from claudecli.batch.journal_rows import Part
    from claudecli.batch.remote import RemoteBatch
    from claudecli.core.context import AppContext


@dataclass
class Saved:
    tally: Tally
    booked: int = 0


def download(
    app_ctx: AppContext,
    batch: RemoteBatch,
    writer: LineWriter,
    tally: Tally,
    *,
    book: bool,
    ids: UserIds | None = None,
) -> int:
    """Stream one ended batch's results through ``writer``; return how many ledger rows were written.

    ``ids``: how to turn the tagged custom_ids of a journaled batch back into the user's.
    """
    prices, when = app_ctx.prices, batch.created_at  # priced as in force when the batch was created
    booker = Booker(app_ctx, batch.id, batch.ended_at or batch.created_at) if book else None
    with remote.result_lines(app_ctx.client, batch.id) as lines:
        for raw in lines:
            try:
                line = from_api(json.loads(raw))
            except (ValueError, AttributeError, TypeError, RecursionError):
                raise ServerError(f"batch {batch.id}: the API sent a malformed results line") from None
            if ids is not None:
                line.custom_id = ids.user_id(line.custom_id)
            if line.status == "succeeded" and line.model and line.usage is not None:
                line.cost_usd = prices.cost(line.model, line.usage, batch=True, when=when, mode=line.mode)
                if booker is not None:
                    booker.add(line, prices.list_cost(line.model, line.usage, when=when, mode=line.mode))
            writer.write(line)
            tally.add(line)
    if booker is None:
        return 0
    booker.flush()
    return booker.booked


def save(
    app_ctx: AppContext,
    batches: list[RemoteBatch],
    *,
    out: Path | None,
    fmt: str,
    journal: Journal,
    rule: Overwrite,
) -> Saved:
    """Results of ``batches`` (all ended) to ``out`` (atomically) or stdout, booking journaled ones once.

    An existing ``out`` is replaced only as ``rule`` and the journaled inputs of ``batches`` allow (see
    ``overwrite``): what can be told before the download is checked first, the rest before the rename.
    """
    saved = Saved(Tally())
    if out is None:
        _save_to(app_ctx, batches, records_for(app_ctx.stdout.file), fmt, journal, saved)
        app_ctx.stdout.file.flush()
        return saved
    check_target(out)
    target = through_links(out) if rule.follow_links else out  # resolved once: the file checked is written
    ids = [batch.id for batch in batches]
    rule = rule.with_inputs(*journaled_inputs(journal, ids))
    check_before(out, fmt, rule)
    where = os.path.realpath(target)
    written_there = journal.parts_written_to(
        where
    )  # ids alone cannot tell whose results these are (line-000001...)
    if not rule.force and any(part.batch_id not in ids for part in written_there):
        raise UsageError(
            f"{out}: holds another batch's results (see `batch list`); it is left as it is (--force overwrites it)"
        )
    journaled = any(part.batch_id in ids for part in written_there)

    def before_replace(written: Path) -> None:
        if rule.follow_links:
            still_through(out, target)
        check_after(out, written, fmt, rule, journaled=journaled)

    try:
        with atomic_open(target, "w", private=True, before_replace=before_replace) as handle:
            _save_to(app_ctx, batches, app_ctx.scrubbed(handle), fmt, journal, saved)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    journal.note_results_path(where, *ids)
    return saved


def _save_to(
    app_ctx: AppContext, batches: list[RemoteBatch], handle: Sink, fmt: str, journal: Journal, saved: Saved
) -> None:
    writer = make_writer(fmt, handle)
    for batch in batches:
        part = journal.part_by_batch_id(batch.id)
        book = part is not None and part.booked_at is None
        tag = tag_of(part) if part is not None else None
        ids = UserIds(journal, batch.id, tag) if tag is not None else None
        saved.booked += download(app_ctx, batch, writer, saved.tally, book=book, ids=ids)
        if book:
            journal.mark_booked(batch.id)


def _parts(journal: Journal, batch_ids: list[str]) -> list[Part]:
    """The journaled parts of these batches (a batch another tool submitted has none)."""
    parts = (journal.part_by_batch_id(batch_id) for batch_id in batch_ids)
    return [part for part in parts if part is not None]


class _Discard:
    """A sink that keeps nothing: results read only to be booked."""

    def write(self, text: str, /) -> int:
        return len(text)


def book_unbooked(app_ctx: AppContext, batch: RemoteBatch, journal: Journal) -> int:
    """Book an ended journaled batch's results if they never were (before ``batch delete`` makes them
    unreadable: deleted unbooked, the money it cost would never reach the ledger); return the rows written."""
    saved = Saved(Tally())
    _save_to(app_ctx, [batch], _Discard(), "jsonl", journal, saved)
    return saved.booked


def journaled_inputs(journal: Journal, batch_ids: list[str]) -> list[str]:
    """The input files these batches were submitted from, as journaled (results never go over them)."""
    return [part.input_path for part in _parts(journal, batch_ids)]


def needs_booking(journal: Journal, batch_ids: list[str]) -> bool:
    return any(
        (part := journal.part_by_batch_id(bid)) is not None and part.booked_at is None for bid in batch_ids
    )
