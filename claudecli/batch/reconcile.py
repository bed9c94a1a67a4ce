"""Recover a batch whose create call reached the API but whose id never reached the journal.

That happens when a run is killed between the call and the journal update, or when the response is lost
(connection dropped, timeout). A part in state ``creating`` has ``create_started_at``, committed just before
the call. The remote list (newest first) is scanned back to a little before that moment; a batch created
after it, with the part's request count and not already journaled, is the one: its id is journaled and
nothing is sent again. If none matches, the call never created anything, and the part goes back to ``new``.

The window starts :data:`CLOCK_SLACK` before the journaled time, so a local clock running ahead of the API's
does not hide the batch. Of several candidates, the one created closest to that time wins.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.batch.journal import CREATING, Journal, Part, parse_iso

if TYPE_CHECKING:
    from claudecli.context import AppContext

CLOCK_SLACK = timedelta(minutes=10)


def reconcile_part(app_ctx: AppContext, journal: Journal, part: Part) -> str | None:
    """The batch id of a ``creating`` part if the API has it (journaled now); else None (part reset)."""
    if part.state != CREATING or part.create_started_at is None:
        return part.batch_id
    started = parse_iso(part.create_started_at)
    known = journal.known_batch_ids()
    candidates = [
        batch
        for batch in remote.created_since(app_ctx.client, started - CLOCK_SLACK)
        if batch.total == part.request_count and batch.id not in known
    ]
    if not candidates:
        journal.reset_part(part.id)
        return None
    found = min(candidates, key=lambda batch: abs((batch.created_at - started).total_seconds()))
    journal.mark_submitted(part.id, found.id, found.created_at.isoformat())
    app_ctx.note(f"recovered batch {found.id} (part {part.part}) whose create response was lost")
    return found.id


def reconcile(app_ctx: AppContext, journal: Journal, parts: list[Part]) -> None:
    """Resolve every ``creating`` part of ``parts`` to a batch id, or back to ``new``."""
    for part in parts:
        if part.state == CREATING and reconcile_part(app_ctx, journal, part) is None:
            app_ctx.note(f"part {part.part} of an interrupted submission was never created; sending it now")
