"""``batch run``: the same input as ``batch submit``, executed now with concurrent non-streaming requests.

* ``--concurrency N`` workers, each with its own copy of the client holding one connection; a window of
  ``N x WINDOW_FACTOR`` requests bounds how far ahead of the oldest unfinished one they may run, so results
  can be written **in input order** through a small reorder buffer without memory growing.
* 429/529/5xx/connection failures are retried here (``retry``), with a gate that pauses every worker on a
  rate limit. A request refused as invalid gets an ``errored`` line; one still failing after the retries
  gets no line, so a rerun retries it, and the run exits with that failure's code. A line still overloaded
  (529) after the retries goes once to the fallback model, if one is set (``claudecli.call.fallback``).
* Resumable: custom_ids already in the ``-o`` file are skipped and new records are appended, each with one
  ``write(2)`` on an O_APPEND descriptor (see ``output.completed_ids`` for reading them back). A lock file
  beside it (``<out>.lock``) keeps a second run with the same ``-o`` out: it exits 0 at once.
* Every call is booked in the ledger at standard prices (``command = "batch-run"``), including failures and
  calls cut short by Ctrl-C, SIGTERM or SIGHUP. Results are booked *before* their lines are written, so a
  run killed in between has booked every call whose line is in the file (the rerun skips those ids); the
  worst case is a call booked whose line is missing, which the rerun sends (and books) again. Each request's
  row is written (``in_flight``) before it is sent and completed in place, so even ``kill -9`` loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.batch import retry
from claudecli.batch.inputs import line_defaults
from claudecli.batch.journal import open_journal
from claudecli.batch.lock import LockBusy, file_lock
from claudecli.batch.output import LineWriter, RecordFile, cannot_write, check_target, make_writer
from claudecli.batch.overwrite import refuse_batch_results, refuse_input
from claudecli.batch.retry import RateGate
from claudecli.batch.run_plan import RunOptions, RunReport, plan_run
from claudecli.batch.runner_calls import (
    AheadBooker,
    Outcome,
    after_fallback,
    failed_outcome,
    fallback_request,
    interrupted_record,
    lost_attempt,
    message_of,
    message_outcome,
)
from claudecli.batch.tool_lines import check_max_steps, run_tool_lines
from claudecli.batch.watch import make_progress, progress_wanted
from claudecli.call.fallback import resolve_fallback
from claudecli.call.request import request_betas
from claudecli.core import gc_pause
from claudecli.core.client import one_connection_each
from claudecli.core.errors import ClaudeCliError, Interrupted, Terminated, UsageError
from claudecli.core.sdk_errors import answered_with_error, translate
from claudecli.render.visible import records_for

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

WINDOW_FACTOR = 16
Post = Callable[..., Awaitable[Any]]  # a client's post(): one worker's connection


def run(app_ctx: AppContext, options: RunOptions) -> RunReport:
    """Run ``options.input`` now. With ``-o``, under that file's lock (``busy`` report when taken)."""
    if options.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    # The SDK and the client load in the background while the input is read and validated (core.warmup).
    app_ctx.warm_up([lambda: app_ctx.prime_client(asynchronous=True)])
    if options.out is None:
        return _run(app_ctx, options)
    out = options.out
    check_target(out)
    refuse_input(out, (options.input.path,))  # the input may itself read as records with custom_ids
    _refuse_batch_results(app_ctx, out, options.input.path)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(file_lock(_lock_path(out), wait=0))
        except LockBusy:
            return RunReport(busy=True)
        except OSError as exc:
            raise cannot_write(out, exc) from None
        return _run(app_ctx, options)


def _refuse_batch_results(app_ctx: AppContext, out: Path, run_input: Path) -> None:
    """A non-empty ``-o`` that the batch journal (when there is one) says holds another input's batch results
    is refused: its ids would pass for this run's (see ``overwrite.refuse_batch_results``)."""
    if not app_ctx.settings.paths.batch_journal_file.exists() or not out.is_file() or out.stat().st_size == 0:
        return
    with open_journal(app_ctx) as journal:
        refuse_batch_results(journal, out, run_input)


def _of_the_run(error: ClaudeCliError, message: str, hint: str) -> ClaudeCliError:
    """``error`` (its kind, so its exit code, its request id and type) told about the whole run."""
    return type(error)(message, request_id=error.request_id, hint=hint, error_type=error.error_type)


def _lock_path(out: Path) -> Path:
    """``FILE.lock`` beside the file the records go to: a link's target, so two runs given the file under two
    names (a link and its target) take the same lock rather than both sending, and paying for, every line."""
    written = Path(os.path.realpath(out))
    return written.with_name(written.name + ".lock")


def _run(app_ctx: AppContext, options: RunOptions) -> RunReport:
    defaults = line_defaults(app_ctx, options.input)
    fallback = resolve_fallback(app_ctx)
    plan = plan_run(app_ctx, options, defaults)
    spool, remaining = plan.spool, plan.remaining
    try:
        answered = plan.validated.answered
        report = RunReport(total=spool.count + answered, skipped_done=answered)
        if remaining == 0:
            return report
        items = enumerate(json.loads(line) for line in spool.lines())
        interrupt: KeyboardInterrupt | None = None
        with _output(app_ctx, options) as (handle, header):
            try:
                if options.input.tools.any:  # each line a tool loop, one at a time (tool_lines)
                    writer = make_writer(options.fmt, handle, header=header)
                    run_tool_lines(app_ctx, options, items, report, writer, handle, fallback)
                else:
                    runner = Runner(
                        app_ctx, options, handle, report, remaining, header=header, fallback=fallback
                    )
                    with app_ctx.ledger.checkpoints_aside():  # no sync to disk stalls the event loop
                        asyncio.run(runner.main(items))  # on an interrupt, main() books what it got first
            except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (errors.Terminated)
                report.interrupted = True
                interrupt = exc
        app_ctx.note(report.summary())
        if interrupt is not None:
            raise interrupt if isinstance(interrupt, Terminated) else Interrupted()
        if report.stopped_by is not None:
            raise _of_the_run(
                report.stopped_by,
                f"the run stopped: {report.stopped_by.message}; lines without a result were not written",
                "fix the key or the billing, then run the same command again: it sends only those lines",
            )
        if report.first_error is not None:
            raise _of_the_run(
                report.first_error,
                f"{report.unfinished} request(s) still failing after retries, last: {report.first_error.message}",
                "run the same command again to retry them",
            )
        check_max_steps(app_ctx, options, report)
        return report
    finally:
        spool.remove()


@contextlib.contextmanager
def _output(app_ctx: AppContext, options: RunOptions) -> Iterator[tuple[Any, bool]]:
    """The sink (stdout or ``-o FILE``) and whether it needs a csv header."""
    if options.out is None:
        yield records_for(app_ctx.stdout.file), True  # escaped on a terminal, raw to a pipe
        return
    try:
        record_file = RecordFile(options.out)
    except OSError as exc:
        raise cannot_write(options.out, exc) from None
    try:
        yield app_ctx.scrubbed(record_file), record_file.empty()
    finally:
        record_file.close()


class Runner:
    """The asyncio side of a run: workers, the reorder buffer, the writer and the ledger."""

    def __init__(
        self,
        app_ctx: AppContext,
        options: RunOptions,
        handle: Any,
        report: RunReport,
        remaining: int,
        *,
        header: bool,
        fallback: str | None = None,
    ) -> None:
        self.app_ctx = app_ctx
        self.fallback_model = fallback
        self.options = options
        self.handle = handle  # a Sink with flush(): stdout's file or a RecordFile
        self.report = report
        self.remaining = remaining
        self.writer: LineWriter = make_writer(options.fmt, handle, header=header)
        self.gate = RateGate()
        self.ahead = AheadBooker(self, self._booked_ahead)
        self.finished: dict[int, Outcome] = {}
        self.in_flight: dict[int, tuple[str, str, int | None]] = {}  # custom_id, model, write-ahead row
        self.next_write = 0
        self.write_due = False  # a worker will write this turn's wave (_write_soon)
        self.progress: Any = None
        self.task: Any = None

    async def main(self, items: Iterator[tuple[int, dict[str, Any]]]) -> None:
        import anthropic

        client = self.app_ctx.async_client.with_options(max_retries=0)
        # The params are already wire JSON (read from a JSONL file), so they are posted as they are through
        # the client (auth, headers, middleware, error mapping) without the SDK re-walking every request
        # body and building model objects of every reply: that per-request CPU is what caps throughput.
        self.raw = anthropic.AsyncAPIResponse[object]  # the response wrapper: JSON body and request id
        self.timeout: Any = {"timeout": self.app_ctx.settings.timeout}
        self.window = asyncio.Semaphore(self.options.concurrency * WINDOW_FACTOR)
        if progress_wanted(self.app_ctx):
            self.progress = make_progress(self.app_ctx)
            self.progress.start()
            self.task = self.progress.add_task("batch run", total=self.remaining)
        gc_pause.freeze_long_lived()  # the SDK modules and the validated input outlive the run
        started = time.perf_counter()
        # No more workers than requests: `-c 1000000000` must not build a billion idle tasks.
        count = min(self.options.concurrency, max(self.remaining, 1))
        clients = one_connection_each(client, count)
        workers = [asyncio.create_task(self.worker(items, each.post)) for each in clients]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.report.elapsed_s = time.perf_counter() - started
            try:
                self._settle()
            finally:  # closed even when the last write fails (a reader that left)
                if self.progress is not None:
                    self.progress.stop()
                await asyncio.gather(client.close(), *(each.close() for each in clients))

    async def worker(self, items: Iterator[tuple[int, dict[str, Any]]], post: Post) -> None:
        """Send the next request (and its fallback, if it needs one) until there is none; ``post`` is this
        worker's own connection (``core.client.one_connection_each``)."""
        while True:
            await self.window.acquire()
            item = next(items, None) if self.report.stopped_by is None else None
            if item is None:
                self.window.release()
                return
            index, request = item
            custom_id, params = request["custom_id"], request["params"]
            self.in_flight[index] = (custom_id, params.get("model", ""), None)
            outcome = await self._call_booked_ahead(index, custom_id, params, post)
            fallback = fallback_request(self, outcome, params)
            if fallback is not None:
                self._book([outcome])  # the overloaded call's row first: the fallback may be cut short
                self.in_flight[index] = (custom_id, fallback["model"], None)
                outcome = after_fallback(
                    outcome, await self._call_booked_ahead(index, custom_id, fallback, post)
                )
            del self.in_flight[index]
            self.finished[index] = outcome
            self.report.sent += 1
            await self._write_soon()

    async def _call_booked_ahead(
        self, index: int, custom_id: str, params: dict[str, Any], post: Post
    ) -> Outcome:
        """One request (a first call or its fallback), its ``in_flight`` row written before it is sent."""
        call_id = await self.ahead.book(index, custom_id, params)
        return await self.call(index, custom_id, params, post, call_id)

    def _booked_ahead(self, index: int, call_id: int | None) -> None:
        custom_id, model, _ = self.in_flight[index]
        self.in_flight[index] = (custom_id, model, call_id)

    async def call(
        self, index: int, custom_id: str, params: dict[str, Any], post: Post, call_id: int | None
    ) -> Outcome:
        """One request, retried as ``retry`` says; never raises for an API or transport failure. Booked on
        ``call_id``, the row written ahead; an attempt lost on the way gets a row of its own (``lost_attempt``)."""
        started = time.monotonic()
        attempt = 0
        while True:
            await self.gate.wait()
            try:
                response = await post(
                    "/v1/messages", body=params, cast_to=self.raw, options=self._options(params)
                )
                message = message_of(response)
            except Exception as exc:
                error = translate(exc)
                if error is None:
                    raise
                again = retry.is_retryable(exc)
                if retry.is_account_failure(exc):
                    self.report.stopped_by = self.report.stopped_by or error
                    again = True  # no errored line: a rerun with the key or billing fixed sends it
                elif again and attempt < self.options.retries:
                    call_id = await lost_attempt(
                        self, index, call_id, (custom_id, params, started), exc, error
                    )
                    delay = retry.retry_delay(exc, attempt, self.app_ctx.settings.retry_after_cap)
                    if retry.is_rate_limit(exc):
                        self.gate.pause(delay)
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
                outcome = failed_outcome(
                    self,
                    custom_id,
                    params.get("model", ""),
                    error,
                    started,
                    permanent=not again,
                    api_message=getattr(exc, "api_message", None),
                    unbilled=answered_with_error(exc),
                )
                break
            outcome = message_outcome(self, (custom_id, params), message, response.request_id, started)
            break
        outcome.call_id = call_id
        return outcome

    def _options(self, params: dict[str, Any]) -> Any:
        """The request options: the timeout, and the ``anthropic-beta`` header when betas apply."""
        betas = request_betas(self.app_ctx.settings, params)
        if not betas:
            return self.timeout
        return {**self.timeout, "headers": {"anthropic-beta": ",".join(betas)}}

    async def _write_soon(self) -> None:
        """Write (and book) once every worker that finishes in this turn of the event loop has finished: one
        ledger commit and one flush per wave of answers instead of one per answer (as ``AheadBooker`` does
        for the rows written ahead).

        The first worker of a wave writes it, after one turn of the loop: a failure to write (a reader that
        left, a full disk, a ledger error) is then that worker's and ends the run. Written from a loop
        callback, the loop only logged it, with a traceback, while the workers went on sending and paying.
        """
        if self.write_due:
            return
        self.write_due = True
        await asyncio.sleep(0)
        self._write_ready()

    def _write_ready(self) -> None:
        """Book, then write, every finished outcome that is next in input order; release their window slots.

        Booking first means a kill (or a KeyboardInterrupt from SIGTERM) between the two never leaves a
        written line unbooked; ``_settle`` books whatever is still unbooked.
        """
        self.write_due = False
        ready: list[Outcome] = []
        while self.next_write + len(ready) in self.finished:
            ready.append(self.finished[self.next_write + len(ready)])
        if not ready:
            return
        self._book(ready)
        for outcome in ready:
            del self.finished[self.next_write]
            self.next_write += 1
            self.window.release()
            if outcome.line is not None:
                self.writer.write(outcome.line)
                self.report.tally.add(outcome.line)
            else:
                self.report.unfinished += 1
                self.report.first_error = self.report.first_error or outcome.error
            if self.progress is not None:
                self.progress.advance(self.task)
        self.handle.flush()

    def _book(self, outcomes: list[Outcome]) -> None:
        records = [(outcome.call_id, outcome.record) for outcome in outcomes if not outcome.booked]
        if records:
            self.app_ctx.ledger.complete_many(records)
        for outcome in outcomes:
            outcome.booked = True

    def _settle(self) -> None:
        """At the end (or on an interrupt): write what is next in order, book what finished but could not be
        written, and what was cut short (even when writing fails: a reader that left)."""
        try:
            self._write_ready()
        finally:
            self._settle_unwritten()

    def _settle_unwritten(self) -> None:
        self._book(list(self.finished.values()))
        self.finished.clear()
        cut_short = [
            (call_id, interrupted_record(self, custom_id, model))
            for custom_id, model, call_id in self.in_flight.values()
        ]
        self.in_flight.clear()
        if cut_short:
            self.app_ctx.ledger.complete_many(cut_short)
        self.handle.flush()
