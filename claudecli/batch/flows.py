"""What each ``batch`` subcommand prints and returns, around the core calls (the command module only wires)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.batch.collect import collect as collect_core
from claudecli.batch.collect import wait_and_save
from claudecli.batch.manage import ResultsOptions
from claudecli.batch.manage import results as results_core
from claudecli.batch.output import FORMATS, check_target
from claudecli.batch.overwrite import Overwrite, check_before
from claudecli.batch.runner import run as run_core
from claudecli.batch.submit import submit as submit_core
from claudecli.core.errors import ExitCode, UsageError
from claudecli.core.safe_output import refuse_closed_stdout
from claudecli.render.emit import emit

if TYPE_CHECKING:
    from claudecli.batch.run_plan import RunOptions
    from claudecli.batch.submit import SubmitOptions
    from claudecli.core.context import AppContext


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def check_interval(seconds: float) -> float:
    if not math.isfinite(seconds) or seconds <= 0:  # nan passes `<= 0`; inf would never poll again
        raise UsageError("--poll-interval must be a finite number of seconds above 0")
    return seconds


@dataclass
class WaitOptions:
    out: Path | None
    fmt: str = "jsonl"
    interval: float = 30.0


def submit(app_ctx: AppContext, options: SubmitOptions, wait: WaitOptions | None) -> int:
    """Print the batch ids (stdout, one a line, or ``--json``); with ``--wait``, then fetch the results.

    With ``--wait`` and no ``-o``, stdout carries the results, so the ids go to stderr instead; ``--json`` is
    then refused before anything is sent (stdout could not hold one document).
    """

    if wait is not None and wait.out is None and options.as_json and not options.dry_run:
        raise UsageError(
            "--json with --wait needs -o FILE: without it stdout carries the results, not one JSON document",
            hint="add -o FILE (results there, the document on stdout), or drop --json (results as JSONL on stdout)",
        )
    if not options.dry_run:  # the ids (the results, with --wait and no -o) would be lost once paid for
        refuse_closed_stdout("the results" if wait is not None and wait.out is None else "the batch ids")
    rule = Overwrite(force=options.force, inputs=(options.input.path,))
    if wait is not None and wait.out is not None:  # before anything is sent
        check_target(wait.out)
        check_before(wait.out, wait.fmt, rule)
        options = replace(options, results_to=wait.out)  # whose results it holds: asked of the journal
    result = submit_core(app_ctx, options)
    ids_on_stdout = wait is None or wait.out is not None or result.dry_run
    if options.as_json and ids_on_stdout:
        emit(app_ctx, result.document())
    elif ids_on_stdout:
        app_ctx.stdout.file.write("".join(f"{batch_id}\n" for batch_id in result.batch_ids))
    else:
        app_ctx.note("batch ids: " + " ".join(result.batch_ids))
    app_ctx.stdout.file.flush()
    if wait is None or result.dry_run:
        return ExitCode.OK
    saved = wait_and_save(
        app_ctx, result.batch_ids, out=wait.out, fmt=wait.fmt, interval=wait.interval, rule=rule
    )
    app_ctx.note(saved.tally.summary("batch"))
    return ExitCode.OK


def collect(app_ctx: AppContext, out_dir: Path, fmt: str, *, force: bool = False) -> int:
    """Paths written go to stdout, one a line. Exit 0 unless a download failed (then that error's code)."""

    report = collect_core(app_ctx, out_dir, fmt, force=force)
    if report.busy:
        app_ctx.note("another claudecli batch command holds the batch lock; nothing to do this time")
        return ExitCode.OK
    app_ctx.stdout.file.write("".join(f"{path}\n" for path in report.written))
    app_ctx.stdout.file.flush()
    if not report.written and not report.errors:
        still = f" ({report.processing} batch(es) still processing)" if report.processing else ""
        app_ctx.note(f"nothing to collect{still}")
    if report.errors:  # each was reported as it happened: only the exit code is left to give
        return report.errors[0].exit_code
    return ExitCode.OK


def results(app_ctx: AppContext, target: str, out: Path | None, fmt: str, *, force: bool = False) -> int:

    saved = results_core(app_ctx, ResultsOptions(target, out, fmt, Overwrite(force=force)))
    if out is not None:
        app_ctx.note(f"wrote {out}")
    app_ctx.note(saved.tally.summary("batch"))
    return ExitCode.OK


def run(app_ctx: AppContext, options: RunOptions) -> int:

    if options.out is None:
        refuse_closed_stdout("the answers")  # each one paid for, then lost at the first write
    report = run_core(app_ctx, options)
    if report.busy:
        app_ctx.note(f"another batch run is writing {options.out}; nothing to do this time")
    return ExitCode.OK
