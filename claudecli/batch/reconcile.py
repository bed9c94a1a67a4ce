"""Recover a batch whose create call reached the API but whose id never reached the journal, by proof only.

That happens when a run is killed between the call and the journal update, or when the response is lost
(connection dropped, timeout, a 5xx after the API may have acted). A part in state ``creating`` has
``create_started_at``, committed just before the call. The remote list (newest first) is searched for
batches created inside the window the call could have created one in:

    [create_started_at - CLOCK_SLACK,  create_started_at + client timeout + CLOCK_SLACK]

(the slack covers a local clock that differs from the API's), with the part's request count and not
journaled. Count and time prove nothing: another user, profile or machine on the same workspace may have
submitted a batch just like it. So a match is never adopted on sight; it is recorded as an *unverified
candidate* of the part, and decided once it has ended, by its results (see ``tags``): if they carry the
part's tagged custom_ids it is the part's batch (journaled; nothing is sent again), otherwise it is
released. Candidates are decided wherever the part is reconciled: the next ``batch submit``, ``batch
collect`` and ``batch status NAME``.

With no candidate left undecided, the part goes back to ``new`` (``submit`` sends it) only once the call can
no longer produce a batch (``create_started_at + timeout + SETTLE`` has passed on the local clock); until
then it waits. So a submit that failed ambiguously is never re-sent blindly and never takes another's batch.
A part journaled before custom_ids were tagged can prove nothing: a match is refused (``--resubmit`` submits
the input again), and no match once the window has closed resets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.batch.journal import Journal
from claudecli.batch.journal_rows import CREATING, Part
from claudecli.batch.tags import PartTag, results_carry, tag_of
from claudecli.core.db_files import parse_ts
from claudecli.core.errors import ClaudeCliError, ConnectionFailed, NotFoundError, UsageError

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

CLOCK_SLACK = timedelta(minutes=10)
SETTLE = timedelta(minutes=1)


@dataclass
class Reconciled:
    """What is known about a ``creating`` part's lost create (at most one field is set)."""

    batch_id: str | None = None  # proven the part's own (journaled)
    unsent: bool = False  # it certainly made no batch: the part is ``new`` again
    waiting: list[str] = field(default_factory=list)  # candidates that have not ended yet
    settles_at: datetime | None = None  # nothing to check, but the call could still produce a batch
    unprovable: list[str] = field(default_factory=list)  # an untagged part's matches: none can be proven


def _timeout(app_ctx: AppContext) -> timedelta:
    return timedelta(seconds=float(app_ctx.settings.timeout or 0))


def _window_matches(app_ctx: AppContext, journal: Journal, part: Part) -> list[str]:
    """Unjournaled remote batches the part's create call could have made (by time and request count)."""
    assert part.create_started_at is not None
    started = parse_ts(part.create_started_at)
    latest = started + _timeout(app_ctx) + CLOCK_SLACK
    known = journal.known_batch_ids()
    return [
        batch.id
        for batch in remote.created_since(app_ctx.client, started - CLOCK_SLACK)
        if batch.created_at <= latest and batch.total == part.request_count and batch.id not in known
    ]


def _decide(app_ctx: AppContext, journal: Journal, part: Part, tag: PartTag, batch_id: str) -> bool | None:
    """Whether candidate ``batch_id`` is the part's own (journaled as such), or None until it has ended."""
    try:
        batch = remote.retrieve(app_ctx.client, batch_id)
    except NotFoundError:
        app_ctx.warn(f"{batch_id}: no longer known to the API, so it cannot be part {part.part}'s; released")
        journal.release_candidate(part.id, batch_id)
        return False
    if not batch.ended:
        return None
    if results_carry(app_ctx, batch_id, tag):
        journal.adopt_candidate(part.id, batch_id, batch.created_at.isoformat())
        app_ctx.note(
            f"recovered batch {batch_id} (part {part.part}) whose create response was lost: "
            "its results carry this submission's tagged custom_ids"
        )
        return True
    journal.release_candidate(part.id, batch_id)
    app_ctx.note(
        f"{batch_id} is not part {part.part}'s batch (its results are another submission's); released"
    )
    return False


def reconcile_part(app_ctx: AppContext, journal: Journal, part: Part) -> Reconciled:
    """Decide what can be decided about a ``creating`` part (see the module doc); other parts pass through."""
    if part.state != CREATING or part.create_started_at is None:
        return Reconciled(batch_id=part.batch_id)
    matches = _window_matches(app_ctx, journal, part)
    tag = tag_of(part)
    if tag is None:
        if matches:
            return Reconciled(unprovable=matches)
    else:
        journal.add_candidates(part.id, matches)
        waiting = []
        for batch_id in journal.candidates(part.id):
            verdict = _decide(app_ctx, journal, part, tag, batch_id)
            if verdict:
                return Reconciled(batch_id=batch_id)
            if verdict is None:
                waiting.append(batch_id)
        if waiting:
            return Reconciled(waiting=waiting)
    settles_at = parse_ts(part.create_started_at) + _timeout(app_ctx) + SETTLE
    if datetime.now(UTC) < settles_at:
        return Reconciled(settles_at=settles_at)
    journal.reset_part(part.id)
    return Reconciled(unsent=True)


def reconcile(app_ctx: AppContext, journal: Journal, parts: list[Part]) -> None:
    """``batch submit``: resolve every ``creating`` part of ``parts`` to its batch, or back to ``new``.

    Raises when that cannot be decided yet (nothing is sent then).
    """
    for part in parts:
        if part.state != CREATING:
            continue
        outcome = reconcile_part(app_ctx, journal, part)
        if outcome.unsent:
            app_ctx.note(f"part {part.part} of an interrupted submission was never created; sending it now")
        elif outcome.batch_id is None:
            raise undecided(part, outcome)


def undecided(part: Part, outcome: Reconciled) -> ClaudeCliError:
    """The error a ``submit`` stops with while a part's lost create is undecided."""
    where = f"part {part.part} of {part.input_path}"
    if outcome.unprovable:
        return UsageError(
            f"{where}: {', '.join(outcome.unprovable)} could be what its interrupted create call made, but it "
            "was journaled before claudecli tagged its requests, so none can be proven to be it; none was adopted",
            hint="check them (claudecli batch status ID); --resubmit submits the input again as a new batch",
        )
    if outcome.waiting:
        return ConnectionFailed(
            f"{where}: its create call's answer was lost; {', '.join(outcome.waiting)} could be the batch it "
            "made (same size, same time), so it is recorded unverified, not adopted",
            hint="it is checked when it ends (claudecli batch collect, batch status NAME, or this command "
            "again): adopted if its results carry this submission's tagged ids, else released and the part "
            "sent; never sent twice",
            error_type="reconcile_pending",
        )
    assert outcome.settles_at is not None
    return ConnectionFailed(
        f"{where}: its create call failed without an answer and no batch has shown up yet",
        hint=f"run again after {outcome.settles_at:%H:%M:%S} UTC to reconcile it (it is never re-sent "
        "blindly), or use --resubmit to submit the input again as a new batch",
        error_type="reconcile_pending",
    )


def settle_lost_creates(app_ctx: AppContext, journal: Journal, parts: list[Part]) -> int:
    """``collect`` / ``status``: decide the tagged ``creating`` parts among ``parts``; return how many wait.

    Callers hold the batch lock. A part found never created is not sent from here: the user is told how.
    """
    waiting = 0
    for part in parts:
        if part.state != CREATING or part.nonce is None:
            continue
        outcome = reconcile_part(app_ctx, journal, part)
        if outcome.unsent:
            label = f" (--name {part.name})" if part.name else ""
            app_ctx.warn(
                f"part {part.part} of {part.input_path}{label}: its lost create made no batch, so its "
                "requests were never sent; run the same `claudecli batch submit` again to send them "
                "(the journal sends them once)"
            )
        elif outcome.waiting:
            waiting += 1
            app_ctx.note(
                f"part {part.part} of {part.input_path}: {', '.join(outcome.waiting)} not ended yet; "
                "whether it is this submission's is checked when it ends"
            )
    return waiting
