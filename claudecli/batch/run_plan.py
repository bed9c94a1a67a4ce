"""What a ``batch run`` is asked (``RunOptions``) and is about to do, settled before anything is sent; and what
it did (``RunReport``).

The input's valid requests still to run (spooled; a line the ``-o`` file already answers is skipped unbuilt, its
attachments neither read, looked up nor uploaded), and the budget check on them. With ``--upload-attachments`` the plan is made twice: first with each local attachment checked
and estimated as its upload will be, but held back (``hold_uploads``), so that no file goes up before every line
is valid, something is left to run and the budget allows it; then for real, uploading each distinct file once.

With ``-o FILE``, an answer in FILE counts for a line only if it answered that very line: the batch journal keeps
the digest of the line each custom_id of FILE answered (``run_lines``). An id alone would not do: a generated id
is a line number, so a changed input, or a run of another input into the same FILE, would have its lines skipped
and the old answers kept as this run's, exit 0 (a nightly job whose input changes daily). Such a run is refused
before anything is sent; a line fixed after being refused as invalid has no answer yet, so it simply runs.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.batch.estimate import check_budget
from claudecli.batch.inputs import InputOptions, LineDefaults, Validated, require_valid, validate_into
from claudecli.batch.journal import open_journal
from claudecli.batch.output import Tally, cannot_write
from claudecli.batch.resume import completed_ids
from claudecli.batch.spool import API_MAX_BYTES, Spool
from claudecli.core.errors import ClaudeCliError, UsageError

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


@dataclass
class RunOptions:
    input: InputOptions
    out: Path | None = None
    fmt: str = "jsonl"
    concurrency: int = 8
    retries: int = 8
    force: bool = False  # run even if a budget would refuse it


@dataclass
class RunReport:
    total: int = 0
    skipped_done: int = 0
    sent: int = 0
    tally: Tally = field(default_factory=Tally)
    unfinished: int = 0
    first_error: ClaudeCliError | None = None
    elapsed_s: float = 0.0
    interrupted: bool = False
    busy: bool = False  # another run holds the output's lock; nothing was done
    max_steps_lines: int = 0  # with tools: lines stopped by --max-steps (each has an errored line)
    stopped_by: ClaudeCliError | None = None  # a 401/402: the run sent nothing more after it

    def summary(self) -> str:
        rate = self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0
        requests = "1 request" if self.sent == 1 else f"{self.sent} requests"
        text = f"{requests} in {self.elapsed_s:.2f} s ({rate:.1f}/s) · {self.tally.summary('standard')}"
        if self.unfinished and self.stopped_by is not None:  # a 401/402 is never retried
            text += f" · {self.unfinished} unanswered: the key or the account was refused (rerun once fixed)"
        elif self.unfinished:
            text += f" · {self.unfinished} failed after retries (rerun to retry them)"
        return text


@dataclass
class RunPlan:
    spool: Spool  # every valid request still to send, in input order (the caller removes it)
    validated: Validated  # ``validated.answered``: the lines skipped, the -o file has their results

    @property
    def remaining(self) -> int:
        return self.spool.count


def plan_run(app_ctx: AppContext, options: RunOptions, defaults: LineDefaults) -> RunPlan:
    """The plan (``remaining`` 0: nothing to do, said on stderr). The caller removes its spool."""
    done = _done_ids(options)
    if not options.input.upload_attachments:
        return _plan(app_ctx, options, defaults, done)
    held = dataclasses.replace(options.input, hold_uploads=True)
    first = _plan(app_ctx, dataclasses.replace(options, input=held), defaults, done, remember=True)
    if first.remaining == 0:
        return first
    first.spool.remove()
    return _plan(app_ctx, options, defaults, done, first_look=first.validated)


def _plan(
    app_ctx: AppContext,
    options: RunOptions,
    defaults: LineDefaults,
    done: frozenset[str],
    *,
    remember: bool = False,
    first_look: Validated | None = None,
) -> RunPlan:
    """Validate and spool; report the invalid lines and check the budget, unless a ``first_look`` did."""
    spool = Spool(app_ctx.settings.paths.data_dir / "spool", max_requests=1 << 62, max_bytes=API_MAX_BYTES)
    try:
        validated = validate_into(
            app_ctx,
            options.input,
            defaults,
            spool,
            remember=remember,
            first_look=first_look,
            answered=done,
            by_id=options.out is not None,
        )
        require_valid(app_ctx, options.input, validated, first_look=first_look)
        if options.out is not None and first_look is None:  # once: a second look reads the same lines
            _same_lines_answered(app_ctx, options, validated, done)
        if spool.count == 0:
            app_ctx.note(
                f"nothing to do: all {validated.answered} requests already have results in {options.out}"
            )
        elif first_look is None:
            check_budget(app_ctx, validated.estimate, batch=False, force=options.force)
    except BaseException:
        spool.remove()
        raise
    return RunPlan(spool, validated)


def _done_ids(options: RunOptions) -> frozenset[str]:
    if options.out is None:
        return frozenset()
    try:
        return frozenset(completed_ids(options.out, options.fmt))
    except OSError as exc:
        raise cannot_write(options.out, exc) from None


def _same_lines_answered(
    app_ctx: AppContext, options: RunOptions, validated: Validated, done: frozenset[str]
) -> None:
    """Refuse (exit 2) when an answer in ``-o`` was to another line than the input has now under its id; then
    record the lines this run answers (see the module doc)."""
    assert options.out is not None and validated.lines_by_id is not None
    output = os.path.realpath(options.out)
    with open_journal(app_ctx) as journal:
        known = journal.run_lines(output) if done else {}
        for custom_id, (line_no, digest) in validated.lines_by_id.items():
            if custom_id in done and known.get(custom_id, digest) != digest:
                raise UsageError(
                    f"{options.out}: the answer it holds for {custom_id} is to another line than "
                    f"{options.input.path}:{line_no} (the input changed since, or another input was run into "
                    "it); nothing was sent",
                    hint="give -o a new file (or remove this one to run every line afresh)",
                )
        journal.note_run_lines(output, {i: d for i, (_, d) in validated.lines_by_id.items()}, fresh=not done)
