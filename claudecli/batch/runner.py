"""``batch run``: the same input as ``batch submit``, executed now with concurrent non-streaming requests.

* ``--concurrency N`` workers share one AsyncAnthropic client; a window of ``N x WINDOW_FACTOR`` requests
  bounds how far ahead of the oldest unfinished one they may run, so results can be written **in input
  order** through a small reorder buffer without memory growing.
* 429/529/5xx/connection failures are retried here (``retry``), with a gate that pauses every worker on a
  rate limit. A request refused as invalid gets an ``errored`` line; one still failing after the retries
  gets no line, so a rerun retries it, and the run exits with that failure's code.
* Resumable: custom_ids already in the ``-o`` file are skipped and new lines are appended.
* Every call is booked in the ledger at standard prices (``command = "batch-run"``), including failures and
  calls cut short by Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from claudecli.batch.estimate import Estimate
from claudecli.batch.inputs import InputOptions, line_defaults, require_valid, validate_into
from claudecli.batch.output import LineWriter, Tally, completed_ids, make_writer
from claudecli.batch.pricer import Pricer
from claudecli.batch.retry import RateGate, is_rate_limit, is_retryable, retry_delay
from claudecli.batch.runner_calls import (
    Outcome,
    failed_outcome,
    interrupted_record,
    message_outcome,
)
from claudecli.batch.spool import API_MAX_BYTES, Spool
from claudecli.batch.watch import make_progress, progress_wanted
from claudecli.client import translate
from claudecli.errors import ClaudeCliError, Interrupted, UsageError
from claudecli.ledger import CallRecord

if TYPE_CHECKING:
    from claudecli.context import AppContext

WINDOW_FACTOR = 16
_ID_PREFIX = re.compile(rb'^\{"custom_id":"([A-Za-z0-9_-]{1,64})"')


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

    def summary(self) -> str:
        rate = self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0
        text = f"{self.sent} requests in {self.elapsed_s:.2f} s ({rate:.1f}/s) · {self.tally.summary('standard')}"
        if self.unfinished:
            text += f" · {self.unfinished} failed after retries (rerun to retry them)"
        return text


def run(app_ctx: AppContext, options: RunOptions) -> RunReport:
    if options.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    defaults = line_defaults(app_ctx, options.input)
    spool = Spool(app_ctx.settings.paths.data_dir / "spool", max_requests=1 << 62, max_bytes=API_MAX_BYTES)
    try:
        validated = validate_into(app_ctx, options.input, defaults, spool)
        require_valid(app_ctx, options.input, validated)
        report = RunReport(total=spool.count)
        done = completed_ids(options.out, options.fmt) if options.out is not None else set()
        remaining = sum(1 for line in spool.lines() if _custom_id(line) not in done)
        report.skipped_done = spool.count - remaining
        if remaining == 0:
            app_ctx.note(f"nothing to do: all {spool.count} requests already have results in {options.out}")
            return report
        _check_budget(app_ctx, options, validated.estimate, remaining / spool.count)
        items = (
            (index, json.loads(line))
            for index, line in enumerate(line for line in spool.lines() if _custom_id(line) not in done)
        )
        with _output(app_ctx, options) as handle:
            runner = Runner(app_ctx, options, handle, report, remaining)
            try:
                asyncio.run(runner.main(items))
            except KeyboardInterrupt:
                report.interrupted = True
        app_ctx.note(report.summary())
        if report.interrupted:
            raise Interrupted()
        if report.first_error is not None:
            error = report.first_error
            raise type(error)(
                f"{report.unfinished} request(s) still failing after retries, last: {error.message}",
                request_id=error.request_id,
                hint="run the same command again to retry them",
                error_type=error.error_type,
            )
        return report
    finally:
        spool.remove()


def _custom_id(line: bytes) -> str:
    match = _ID_PREFIX.match(line)
    return match.group(1).decode() if match else ""


def _check_budget(app_ctx: AppContext, options: RunOptions, estimate: Estimate, share: float) -> None:
    """The worst case at standard prices, scaled to the share of requests still to run (a resumed run)."""
    from claudecli.budget import check_spend

    worst = estimate.worst_case(app_ctx.settings, batch=False)
    for model in worst.unknown:
        app_ctx.warn(f"no price known for {model}; the estimate leaves its requests out")
    check_spend(
        app_ctx,
        worst.total * Decimal(str(round(share, 6))),
        force=options.force,
        what="this run",
        largest_call_usd=worst.largest_call,
    )


@contextlib.contextmanager
def _output(app_ctx: AppContext, options: RunOptions) -> Iterator[IO[str]]:
    """Append to ``-o FILE`` (0600; results hold answers), or write to stdout."""
    if options.out is None:
        yield app_ctx.stdout.file
        return
    options.out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(options.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8", newline="") as handle:
        yield handle


class Runner:
    """The asyncio side of a run: workers, the reorder buffer, the writer and the ledger."""

    def __init__(
        self, app_ctx: AppContext, options: RunOptions, handle: IO[str], report: RunReport, remaining: int
    ) -> None:
        self.app_ctx = app_ctx
        self.options = options
        self.handle = handle
        self.report = report
        self.remaining = remaining
        new_file = options.out is None or handle.tell() == 0
        self.writer: LineWriter = make_writer(options.fmt, handle, header=new_file)
        self.pricer = Pricer(app_ctx.settings, batch=False)
        self.gate = RateGate()
        self.finished: dict[int, Outcome] = {}
        self.in_flight: dict[int, tuple[str, str]] = {}
        self.next_write = 0
        self.records: list[CallRecord] = []
        self.progress: Any = None
        self.task: Any = None

    async def main(self, items: Iterator[tuple[int, dict[str, Any]]]) -> None:
        import anthropic

        client = self.app_ctx.async_client.with_options(max_retries=0)
        # The params are already wire JSON (read from a JSONL file), so they are posted as they are through
        # the client (auth, headers, middleware, error mapping) without the SDK re-walking every request
        # body and building model objects of every reply: that per-request CPU is what caps throughput.
        self.post = client.post
        self.raw = anthropic.AsyncAPIResponse[object]  # the response wrapper: JSON body and request id
        self.timeout: Any = {"timeout": self.app_ctx.settings.timeout}
        self.window = asyncio.Semaphore(self.options.concurrency * WINDOW_FACTOR)
        if progress_wanted(self.app_ctx):
            self.progress = make_progress(self.app_ctx)
            self.progress.start()
            self.task = self.progress.add_task("batch run", total=self.remaining)
        # Everything alive now (SDK modules, the validated input) outlives the run: freezing it keeps the
        # cyclic GC from re-walking it in the middle of the run (a full collection stalls the loop ~50 ms).
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        workers = [asyncio.create_task(self.worker(items)) for _ in range(self.options.concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.report.elapsed_s = time.perf_counter() - started
            self._settle()
            if self.progress is not None:
                self.progress.stop()
            await client.close()

    async def worker(self, items: Iterator[tuple[int, dict[str, Any]]]) -> None:
        while True:
            await self.window.acquire()
            item = next(items, None)
            if item is None:
                self.window.release()
                return
            index, request = item
            self.in_flight[index] = (request["custom_id"], request["params"].get("model", ""))
            outcome = await self.call(request["custom_id"], request["params"])
            del self.in_flight[index]
            self.finished[index] = outcome
            self.report.sent += 1
            self._write_ready()

    async def call(self, custom_id: str, params: dict[str, Any]) -> Outcome:
        """One request, retried as ``retry`` says; never raises for an API or transport failure."""
        started = time.monotonic()
        attempt = 0
        while True:
            await self.gate.wait()
            try:
                response = await self.post(
                    "/v1/messages", body=params, cast_to=self.raw, options=self.timeout
                )
            except Exception as exc:
                error = translate(exc)
                if error is None:
                    raise
                retry = is_retryable(exc)
                if retry and attempt < self.options.retries:
                    delay = retry_delay(exc, attempt, self.app_ctx.settings.retry_after_cap)
                    if is_rate_limit(exc):
                        self.gate.pause(delay)
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
                return failed_outcome(
                    self,
                    custom_id,
                    params.get("model", ""),
                    error,
                    started,
                    permanent=not retry,
                    api_message=getattr(exc, "api_message", None),
                )
            message = response.http_response.json()
            return message_outcome(self, custom_id, message, response.request_id, started)

    def _write_ready(self) -> None:
        """Write every finished outcome that is next in input order; book them; release their window slots."""
        wrote = False
        while self.next_write in self.finished:
            outcome = self.finished.pop(self.next_write)
            self.next_write += 1
            self.window.release()
            self.records.append(outcome.record)
            if outcome.line is not None:
                self.writer.write(outcome.line)
                self.report.tally.add(outcome.line)
                wrote = True
            else:
                self.report.unfinished += 1
                self.report.first_error = self.report.first_error or outcome.error
            if self.progress is not None:
                self.progress.advance(self.task)
        if wrote:
            self.handle.flush()
        if len(self.records) >= 100:
            self._book()

    def _book(self) -> None:
        if self.records:
            records, self.records = self.records, []
            self.app_ctx.ledger.record_many(records)

    def _settle(self) -> None:
        """At the end (or on Ctrl-C): book what finished but could not be written, and what was cut short."""
        for outcome in self.finished.values():
            self.records.append(outcome.record)
        self.finished.clear()
        for custom_id, model in self.in_flight.values():
            self.records.append(interrupted_record(self, custom_id, model))
        self.in_flight.clear()
        self._book()
        self.handle.flush()
