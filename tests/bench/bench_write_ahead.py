"""Benchmark: what the write-ahead ledger row adds to one call (target: <= 5 ms per call).

Before a call leaves, ``stream_message`` writes its ``in_flight`` row (with the process mark and the call's
worst case) and, when it ends, completes that row in place; before write-ahead rows it only inserted the
finished row. This times both ways in process against a real usage.db that already holds ROWS calls (so index
and rollup-trigger upkeep is realistic), through the same functions the call path uses, and reports the
difference per call. It also times the once-per-process sweep for orphaned rows on a ledger of that size.

Run: python -m tests.bench.bench_write_ahead [--rows N] [--calls N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

TARGET_MS = 5.0
PARAMS = {
    "model": "claude-sonnet-5-5",
    "max_tokens": 8192,
    "system": "You are terse. " * 200,
    "messages": [{"role": "user", "content": "Summarise the following. " * 400}],
}


def _records():
    from claudecli.core.usage import TokenUsage
    from claudecli.ledger.store import CallRecord

    def finished() -> CallRecord:
        return CallRecord(
            command="ask",
            model="claude-sonnet-5-5",
            usage=TokenUsage(input_tokens=3000, output_tokens=700),
            cost_usd=Decimal("0.0195"),
            list_cost_usd=Decimal("0.0195"),
            latency_ms=1500,
            ttft_ms=300,
            stop_reason="end_turn",
            request_id="req_bench",
            prompt_text="x" * 10_000,
            answer_text="y" * 3_000,
            ts=datetime.now(UTC),
        )

    def in_flight() -> CallRecord:
        return CallRecord(command="ask", model="claude-sonnet-5-5", usage=TokenUsage(), status="in_flight")

    return finished, in_flight


def _fill(path: Path, rows: int) -> None:
    from claudecli.ledger.store import Ledger

    finished, _ = _records()
    with Ledger(path) as ledger:
        for _ in range(rows // 5000):
            ledger.record_many([finished() for _ in range(5000)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()

    from claudecli.core.config import load_settings
    from claudecli.core.context import AppContext
    from claudecli.ledger import write_ahead
    from claudecli.ledger.store import Ledger
    from claudecli.money.budget import worst_case_usd

    finished, in_flight = _records()
    home = Path(tempfile.mkdtemp(prefix="claudecli-bench-wal-"))
    path = home / "usage.db"
    _fill(path, args.rows)
    app_ctx = AppContext.create(load_settings(environ={"CLAUDECLI_HOME": str(home)}))
    worst_case_usd(app_ctx, PARAMS)  # the price is looked up once per process either way
    before: list[float] = []
    after: list[float] = []
    with Ledger(path) as ledger:
        for _ in range(args.calls):  # interleaved, so drift hits both alike
            started = time.perf_counter()
            ledger.record(finished())
            before.append(time.perf_counter() - started)
            started = time.perf_counter()
            call_id = ledger.begin(in_flight(), worst_case_usd(app_ctx, PARAMS))
            ledger.complete_many([(call_id, finished())])
            after.append(time.perf_counter() - started)
        conn = ledger._db()
        sweeps = []
        for _ in range(200):
            started = time.perf_counter()
            write_ahead.settle_orphans(conn)
            sweeps.append(time.perf_counter() - started)
    ms = 1000
    added = (statistics.median(after) - statistics.median(before)) * ms
    print(f"ledger of {args.rows:,} calls, {args.calls:,} calls each way")
    print(f"insert the finished row only      median {statistics.median(before) * ms:6.3f} ms")
    print(f"write-ahead row, then complete it median {statistics.median(after) * ms:6.3f} ms")
    print(f"  (p95 {sorted(after)[int(len(after) * 0.95)] * ms:.3f} ms)")
    print(f"orphan sweep at ledger open       median {statistics.median(sweeps) * ms:6.3f} ms")
    verdict = "PASS" if added <= TARGET_MS else "FAIL"
    print(f"added per call {added:.3f} ms vs target {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
