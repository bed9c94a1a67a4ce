"""``batch submit``: validate, estimate, journal, create; idempotent and safe to run from cron.

Order of work (the journal is the source of truth; see ``journal`` for the part states):

1. hash the input file, the options and the scope (profile and base URL: a batch id means something only
   to the API that made it) into the submission ``key`` (cheap: no line is parsed yet);
2. under the batch lock: a live submission with that key whose parts all have batch ids → print the ids,
   exit 0 (``--resubmit`` supersedes it). Parts left ``creating`` by a killed run or an ambiguous failure are
   reconciled first (see ``reconcile``);
3. validate every line into the spool (nothing is sent unless every line passes, or ``--skip-invalid``);
4. show the count and the worst-case cost at batch prices and check it against the budgets;
5. journal the submission, its parts and its nonce (custom_ids are sent tagged with it, see ``tags``), then
   for each part: commit ``creating``, create, journal the id.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.batch.attach_paths import allowed_roots
from claudecli.batch.create import create_part
from claudecli.batch.estimate import check_budget
from claudecli.batch.inputs import (
    InputOptions,
    Validated,
    file_sha256,
    line_defaults,
    require_valid,
    validate_into,
)
from claudecli.batch.journal import Journal
from claudecli.batch.journal_rows import NEW, Part, Submission
from claudecli.batch.lock import batch_lock
from claudecli.batch.overwrite import refuse_results_not_ours
from claudecli.batch.reconcile import reconcile
from claudecli.batch.scope import scope_of
from claudecli.batch.spool import API_MAX_BYTES, API_MAX_REQUESTS, Spool
from claudecli.batch.tags import new_nonce
from claudecli.core import names
from claudecli.core.errors import UsageError
from claudecli.files.info import size_label
from claudecli.money.pricing import format_usd

if TYPE_CHECKING:
    from pathlib import Path

    from claudecli.batch.shapes import LineDefaults
    from claudecli.core.context import AppContext


@dataclass
class SubmitOptions:
    input: InputOptions
    name: str | None = None
    dry_run: bool = False
    force: bool = False  # over a budget; with --wait -o, over a file that is not this submission's results
    resubmit: bool = False  # submit again an input already submitted (never implied by force: it pays twice)
    split_requests: int = API_MAX_REQUESTS
    split_bytes: int = API_MAX_BYTES
    as_json: bool = False
    results_to: Path | None = None  # `--wait -o FILE`: checked against the journal before anything is sent


@dataclass
class SubmitResult:
    batch_ids: list[str] = field(default_factory=list)
    requests: int = 0
    skipped: int = 0
    estimated_cost_usd: Decimal | None = None
    already_submitted: bool = False
    dry_run: bool = False

    def document(self) -> dict[str, Any]:
        cost = self.estimated_cost_usd
        return {
            "batch_ids": self.batch_ids,
            "requests": self.requests,
            "skipped": self.skipped,
            "estimated_cost_usd": None if cost is None else float(cost),
            "already_submitted": self.already_submitted,
            "dry_run": self.dry_run,
        }


def check_name(name: str | None) -> None:
    """A batch name names its collected results file (``DIR/<name>.jsonl``): the one rule of ``names``."""
    if name is None:
        return
    if name.startswith("msgbatch_"):
        raise UsageError(f"--name {name!r}: a name may not start with msgbatch_ (batch ids do)")
    names.check_name("--name", name)


def _check_limits(options: SubmitOptions) -> None:
    if not 1 <= options.split_requests <= API_MAX_REQUESTS:
        raise UsageError(f"--split-requests must be between 1 and {API_MAX_REQUESTS:,}")
    if not 1_000 <= options.split_bytes <= API_MAX_BYTES:
        raise UsageError(f"--split-bytes must be between 1,000 and {API_MAX_BYTES:,}")


def fingerprint(defaults: LineDefaults, options: InputOptions) -> dict[str, Any]:
    """Everything that decides what a file's lines become (the journal's idempotency key includes it)."""

    def digest(text: str | None) -> str | None:
        return None if text is None else hashlib.sha256(text.encode()).hexdigest()

    extra: dict[str, Any] = {}
    if defaults.platform:  # only when given, as for allow_outside
        extra["platform"] = defaults.platform
    if options.allow_outside:  # only when given: keys of earlier submissions stay what they were
        extra["allow_outside"] = sorted(str(root) for root in allowed_roots(options.allow_outside))
    if defaults.tools:  # likewise: the server tools every line gets
        extra["tools"] = defaults.tools
    if options.upload_attachments:
        extra["upload_attachments"] = True
    return {
        **extra,
        "text": options.text,
        "model": defaults.model,
        "max_tokens": defaults.max_tokens,
        "system_sha256": digest(defaults.cli_system),
        "config_system_sha256": digest(defaults.config_system),
        "schema": defaults.schema,
        "thinking": defaults.thinking,
        "template": defaults.template,
        "cache": defaults.cache,
        "cache_ttl": defaults.cache_ttl,
        "skip_invalid": options.skip_invalid,
    }


def submission_key(input_sha256: str, options: dict[str, Any]) -> str:
    text = json.dumps({"input": input_sha256, "options": options}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def submit(app_ctx: AppContext, options: SubmitOptions) -> SubmitResult:
    """Submit (or find the earlier submission of) ``options.input``; return the batch ids."""
    check_name(options.name)
    _check_limits(options)
    defaults = line_defaults(app_ctx, options.input)
    input_sha = file_sha256(options.input.path)
    journal_options = {
        **fingerprint(defaults, options.input),
        "name": options.name,
        "split_requests": options.split_requests,
        "split_bytes": options.split_bytes,
    }
    legacy_key = submission_key(input_sha, journal_options)  # what the key was before scopes
    scope = scope_of(app_ctx.settings)
    journal_options.update(profile=scope.profile, base_url=scope.base_url)
    key = submission_key(input_sha, journal_options)
    if options.dry_run:
        if options.input.upload_attachments:
            app_ctx.note("--dry-run uploads nothing: the size shown is with the attachments uploaded")
            options.input.hold_uploads = True
        with _validated(app_ctx, options, defaults, new_nonce()) as validated:  # tagged: true sizes
            return _estimate(app_ctx, options, validated, dry_run=True)
    # An overlapping run waits here, then finds this submission journaled and exits without sending.
    with (
        batch_lock(app_ctx.settings.paths.data_dir, wait=None),
        Journal(app_ctx.settings.paths.batch_journal_file, scope, notify=app_ctx.store_incident) as journal,
    ):
        existing = journal.find_submission(key, legacy_key)
        return _submit_locked(app_ctx, options, defaults, journal, existing, key, input_sha, journal_options)


def _submit_locked(
    app_ctx: AppContext,
    options: SubmitOptions,
    defaults: LineDefaults,
    journal: Journal,
    existing: Submission | None,
    key: str,
    input_sha: str,
    journal_options: dict[str, Any],
) -> SubmitResult:
    if existing is not None and options.resubmit:
        journal.supersede(existing.id)
        existing = None
    if existing is not None:
        reconcile(app_ctx, journal, journal.parts_of(existing.id))
        parts = journal.parts_of(existing.id)
        if all(part.state != NEW for part in parts):
            app_ctx.note(
                f"{options.input.path}: already submitted with these options (--resubmit to submit again)"
            )
            return SubmitResult(
                batch_ids=[part.batch_id for part in parts if part.batch_id],
                requests=existing.request_count,
                skipped=existing.skipped_count,
                already_submitted=True,
            )
    if options.results_to is not None and not options.force:
        own = {part.batch_id for part in journal.parts_of(existing.id)} if existing is not None else set()
        refuse_results_not_ours(journal, options.results_to, {bid for bid in own if bid is not None})
    # A rerun spools with the journaled nonce (None: journaled before tagging, sent as written).
    nonce = existing.nonce if existing is not None else new_nonce()
    first_look = None
    if options.input.upload_attachments:  # nothing goes up before the lines are valid and within budget
        held = replace(options, input=replace(options.input, hold_uploads=True))
        with _validated(app_ctx, held, defaults, nonce, remember=True) as first_look:
            check_budget(app_ctx, first_look.estimate, batch=True, force=options.force)
    with _validated(app_ctx, options, defaults, nonce, first_look=first_look) as validated:
        result = _estimate(app_ctx, options, validated, dry_run=False, budget=first_look is None)
        if existing is None:
            existing = journal.add_submission(
                key=key,
                name=options.name,
                input_path=str(options.input.path.resolve()),
                input_sha256=input_sha,
                options=journal_options,
                request_count=validated.spool.count,
                skipped_count=validated.problem_count,
                estimated_cost_usd=None
                if result.estimated_cost_usd is None
                else float(result.estimated_cost_usd),
                parts=[(part.count, part.body_bytes) for part in validated.spool.parts],
                nonce=nonce,
                custom_ids=validated.custom_ids,
            )
        parts = _matching_parts(journal, existing, validated)
        for index, part in enumerate(parts):
            if part.state == NEW:
                create_part(app_ctx, journal, part, validated.spool.body(index))
        result.batch_ids = [part.batch_id for part in journal.parts_of(existing.id) if part.batch_id]
    return result


def _matching_parts(journal: Journal, submission: Submission, validated: Validated) -> list[Part]:
    parts = journal.parts_of(submission.id)
    layout = [(part.count, part.body_bytes) for part in validated.spool.parts]
    if [(part.request_count, part.body_bytes) for part in parts] != layout:
        raise UsageError(
            "the input's requests changed since the interrupted submission (an attachment?)",
            hint="use --resubmit to submit it as a new batch",
        )
    return parts


@contextlib.contextmanager
def _validated(
    app_ctx: AppContext,
    options: SubmitOptions,
    defaults: LineDefaults,
    nonce: str | None,
    *,
    remember: bool = False,
    first_look: Validated | None = None,
) -> Iterator[Validated]:
    spool = Spool(
        app_ctx.settings.paths.data_dir / "spool",
        max_requests=options.split_requests,
        max_bytes=options.split_bytes,
    )
    try:
        validated = validate_into(
            app_ctx, options.input, defaults, spool, nonce=nonce, remember=remember, first_look=first_look
        )
        require_valid(app_ctx, options.input, validated, first_look=first_look)
        yield validated
    finally:
        spool.remove()


def _estimate(
    app_ctx: AppContext, options: SubmitOptions, validated: Validated, *, dry_run: bool, budget: bool = True
) -> SubmitResult:
    """Say what is about to be sent and its worst case; check it against the budgets (unless done already)."""
    worst = validated.estimate.worst_case(app_ctx.prices, batch=True)
    parts = len(validated.spool.parts)
    app_ctx.note(
        f"{options.input.path}: {validated.spool.count:,} requests"
        + (f" ({validated.problem_count} invalid skipped)" if validated.problem_count else "")
        + (f" in {parts} batches" if parts > 1 else "")
        + f" · {size_label(sum(part.body_bytes for part in validated.spool.parts))} to send"
        + f" · worst case {format_usd(worst.total)} at batch prices"
    )
    if budget:
        check_budget(app_ctx, validated.estimate, batch=True, force=options.force)
    return SubmitResult(
        requests=validated.spool.count,
        skipped=validated.problem_count,
        estimated_cost_usd=worst.total,
        dry_run=dry_run,
    )
