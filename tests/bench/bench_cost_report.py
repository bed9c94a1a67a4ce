"""Benchmark: `claudecli cost report` over a ledger of 1,000,000 calls (target: median <= 1 s per command).

The ledger is a real usage.db built through claudecli's own schema (migrations and triggers included): a
year of calls, 4 models, 3 commands, 3 tags, 2 profiles, a third of them batch calls. Each command runs as a
fresh process (``python -m claudecli``), output to a pipe. For comparison it also times, in process, the
plain scan the report avoids (a GROUP BY over every row of ``calls``) and the daily-rollup query it uses.

Run: python -m tests.bench.bench_cost_report [--rows N] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench._util import bench_env, median, python, time_command

TARGET_S = 1.0
MODELS = ("claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-sonnet-4-6")
COMMANDS = ("ask", "chat", "batch")
END = datetime(2026, 11, 22, tzinfo=UTC)


def build_ledger(path: Path, rows: int) -> float:
    """Fill ``path`` with ``rows`` calls spread over the year before END; return the seconds it took."""
    from claudecli.ledger.store import Ledger

    with Ledger(path) as ledger:
        list(ledger.iter_calls())  # create the schema (migrations, rollup triggers)
    started = time.perf_counter()
    step = timedelta(days=365) / rows
    start = END - timedelta(days=365)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")

    def row(i: int) -> tuple:
        ts = start + step * i
        stamp = f"{ts:%Y-%m-%dT%H:%M:%S}.{ts.microsecond // 1000:03d}Z"
        return (
            stamp, COMMANDS[i % 3], None if i % 5 else "work", MODELS[i % 4],
            1000 + i % 50, 200 + i % 30, i % 7 * 100, 0, i % 3 * 500, 0, 0,
            0.0123 + i % 10 * 0.001, 0.02 + i % 10 * 0.001, 1 if i % 3 == 2 else 0, "ok",
            None if i % 4 else f"tag{i % 3}",
        )  # fmt: skip

    sql = (
        "INSERT INTO calls (ts, command, profile, model, input_tokens, output_tokens, cache_write_5m_tokens, "
        "cache_write_1h_tokens, cache_read_tokens, thinking_tokens, web_search_requests, cost_usd, "
        "list_cost_usd, is_batch, status, tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    batch = 100_000
    for first in range(0, rows, batch):
        conn.executemany(sql, (row(i) for i in range(first, min(first + batch, rows))))
        conn.commit()
    conn.close()
    return time.perf_counter() - started


def in_process(path: Path) -> dict[str, float]:
    from claudecli.ledger.store import Ledger

    since = END - timedelta(days=366)
    with Ledger(path) as ledger:
        list(ledger.iter_calls(until=since))  # open and migrate outside the timings
        started = time.perf_counter()
        plain_scan(path, since)
        scan = time.perf_counter() - started
        started = time.perf_counter()
        ledger.group_totals(since, None, "model")
        rollup = time.perf_counter() - started
    return {"GROUP BY model over calls (plain scan)": scan, "Ledger.group_totals (rollup)": rollup}


def plain_scan(path: Path, since: datetime) -> list[tuple]:
    """Per-model totals straight from ``calls``: what the report would cost without the rollup."""
    from claudecli.ledger.sql import TOKEN_COLUMNS, format_ts, nanos

    sums = ", ".join(f"sum({column})" for column in TOKEN_COLUMNS)
    sql = (
        f"SELECT model, count(*), {sums}, sum({nanos('cost_usd')}), sum({nanos('list_cost_usd')}) "
        "FROM calls WHERE ts >= ? GROUP BY model"
    )
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, (format_ts(since),)).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    env = bench_env()
    try:
        run(env, args.rows, args.runs)
    finally:
        shutil.rmtree(env["CLAUDECLI_HOME"], ignore_errors=True)  # the ledger is ~200 MB


def run(env: dict[str, str], rows: int, runs: int) -> None:
    ledger = Path(env["CLAUDECLI_HOME"]) / "data" / "usage.db"
    seconds = build_ledger(ledger, rows)
    print(f"built a ledger of {rows:,} calls in {seconds:.1f} s ({ledger.stat().st_size / 1e6:.0f} MB)")
    year = ["--since", "2025-11-01"]
    commands = {
        "cost report --since <a year ago>": [*year],
        "cost report --since <a year ago> --by day": [*year, "--by", "day"],
        "cost report --since 7d --by tag": ["--since", "7d", "--by", "tag"],
        "cost report --since 2026-03-03T05:17 --json": ["--since", "2026-03-03T05:17", "--json"],
        "cost report --since <a year ago> --csv --by command": [*year, "--csv", "--by", "command"],
    }
    print(f"{'command':52} {'median s':>9} {'min s':>8}")
    worst = 0.0
    for label, extra in commands.items():
        times = time_command([python(), "-m", "claudecli", "cost", "report", *extra], env=env, runs=runs)
        worst = max(worst, median(times))
        print(f"{label:52} {median(times):9.3f} {min(times):8.3f}")
    floor = time_command([python(), "-m", "claudecli", "--help"], env=env, runs=runs)
    print(f"{'claudecli --help (startup floor)':52} {median(floor):9.3f} {min(floor):8.3f}")
    for label, value in in_process(ledger).items():
        print(f"{label + ', in process':52} {value:9.3f}")
    verdict = "PASS" if worst <= TARGET_S else "FAIL"
    print(f"slowest median {worst:.3f} s vs target {TARGET_S} s: {verdict}")


if __name__ == "__main__":
    main()
