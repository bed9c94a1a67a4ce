"""Recover a batch whose create call reached the API but whose id never reached the journal.

That happens when a run is killed between the call and the journal update, or when the response is lost
(connection dropped, timeout, a 5xx after the API may have acted). A part in state ``creating`` has
``create_started_at``, committed just before the call. The remote list (newest first) is searched for a
batch created inside the window the call could have created it in:

    [create_started_at - CLOCK_SLACK,  create_started_at + client timeout + CLOCK_SLACK]

(the slack covers a local clock that differs from the API's), with the part's request count and not
already journaled. Exactly one → it is the one: its id is journaled and nothing is sent again. Several →
none is adopted (it could be someone else's batch): a warning names them and the run stops; ``--force``
submits the input again as a new submission. None → the part goes back to ``new``, but only once the
call can no longer produce a batch (``create_started_at + timeout + SETTLE`` has passed on the local
clock); until then the run stops and says when to try again. So a submit that failed ambiguously is
reconciled by the next run, never re-sent blindly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.batch.journal import CREATING, Journal, Part, parse_iso
from claudecli.core.errors import ConnectionFailed, UsageError

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

CLOCK_SLACK = timedelta(minutes=10)
SETTLE = timedelta(minutes=1)


def _timeout(app_ctx: AppContext) -> timedelta:
    return timedelta(seconds=float(app_ctx.settings.timeout or 0))


def find_created(app_ctx: AppContext, journal: Journal, part: Part) -> str | None:
    """The batch a ``creating`` part's call created, if the API shows exactly one (journaled now).

    Raises :class:`UsageError` when several batches fit: adopting the wrong one would lose a batch.
    """
    assert part.create_started_at is not None
    started = parse_iso(part.create_started_at)
    latest = started + _timeout(app_ctx) + CLOCK_SLACK
    known = journal.known_batch_ids()
    candidates = [
        batch
        for batch in remote.created_since(app_ctx.client, started - CLOCK_SLACK)
        if batch.created_at <= latest and batch.total == part.request_count and batch.id not in known
    ]
    if len(candidates) > 1:
        ids = ", ".join(batch.id for batch in candidates)
        app_ctx.warn(f"part {part.part}: {len(candidates)} remote batches could be its lost create: {ids}")
        raise UsageError(
            f"part {part.part} of {part.input_path}: cannot tell which of {len(candidates)} batches "
            "its interrupted create call made; none was adopted",
            hint="check them (claudecli batch status ID); --force submits the input again as a new batch",
        )
    if not candidates:
        return None
    (found,) = candidates
    journal.mark_submitted(part.id, found.id, found.created_at.isoformat())
    app_ctx.note(f"recovered batch {found.id} (part {part.part}) whose create response was lost")
    return found.id


def reconcile_part(app_ctx: AppContext, journal: Journal, part: Part) -> str | None:
    """The batch id of a ``creating`` part if the API has it (journaled now); else None (part reset).

    Raises :class:`ConnectionFailed` while the call could still produce a batch (see the module doc).
    """
    if part.state != CREATING or part.create_started_at is None:
        return part.batch_id
    found = find_created(app_ctx, journal, part)
    if found is not None:
        return found
    settled = parse_iso(part.create_started_at) + _timeout(app_ctx) + SETTLE
    if datetime.now(UTC) < settled:
        raise ConnectionFailed(
            f"part {part.part} of {part.input_path}: its create call failed without an answer and no batch "
            "has shown up yet",
            hint=f"run again after {settled:%H:%M:%S} UTC to reconcile it (it is never re-sent blindly), "
            "or use --force to submit the input again",
            error_type="reconcile_pending",
        )
    journal.reset_part(part.id)
    return None


def reconcile(app_ctx: AppContext, journal: Journal, parts: list[Part]) -> None:
    """Resolve every ``creating`` part of ``parts`` to a batch id, or back to ``new``."""
    for part in parts:
        if part.state == CREATING and reconcile_part(app_ctx, journal, part) is None:
            app_ctx.note(f"part {part.part} of an interrupted submission was never created; sending it now")
