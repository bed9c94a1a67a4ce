"""Benchmark: download 100,000 batch result lines with `claudecli batch results` (and `batch collect`).

Setup (not measured): a 100,000-line batch is submitted with `claudecli batch submit --text` to the fake API
and finished there (every result is computed up front). Then two fresh processes are measured, each reaped
with ``os.wait4`` for its own peak RSS:

1. ``batch results ID -o FILE``: the first download of a journaled batch, so it also books 100,000 ledger
   rows at batch prices, and writes FILE atomically;
2. ``batch collect --out-dir DIR``: downloads the same results again into DIR (already booked: no rows).

Target: each stays under 150 MB RSS (memory must not grow with the number of results).
Run: python -m tests.bench.bench_batch_results [--requests N]
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench._util import bench_env, python
from tests.bench.bench_batch_submit import measured
from tests.fakeapi import FakeAnthropic

TARGET_RSS = 150e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="claudecli-bench-results-"))
    source = workdir / "lines.txt"
    source.write_text("".join(f"question {i} [[words:30]]\n" for i in range(args.requests)), encoding="utf-8")
    with FakeAnthropic() as fake:
        fake.batch_mode = "manual"
        env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
        submitted = subprocess.run(
            [python(), "-m", "claudecli", "batch", "submit", "--text", str(source)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if submitted.returncode != 0:
            sys.exit(f"setup failed: {submitted.stderr}")
        batch_id = submitted.stdout.strip()
        started = time.perf_counter()
        fake.finish_batch(batch_id)
        print(
            f"(setup: the fake computed {args.requests:,} results in {time.perf_counter() - started:.1f} s)"
        )
        out = workdir / "results.jsonl"
        runs = {
            "results -o FILE (+ booking)": [
                python(),
                "-m",
                "claudecli",
                "batch",
                "results",
                batch_id,
                "-o",
                str(out),
            ],
            "collect --out-dir DIR": [
                python(),
                "-m",
                "claudecli",
                "batch",
                "collect",
                "--out-dir",
                str(workdir / "dir"),
            ],
        }
        measurements = {}
        for label, argv in runs.items():
            elapsed, rss, code, stderr = measured(argv, env)
            if code != 0:
                sys.exit(f"{label} failed ({code}): {stderr}")
            measurements[label] = (elapsed, rss)
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    with sqlite3.connect(Path(env["CLAUDECLI_HOME"]) / "data" / "usage.db") as conn:
        (booked,) = conn.execute("SELECT count(*) FROM calls WHERE batch_id = ?", (batch_id,)).fetchone()
    print(f"{'results file':32} {lines:,} lines, {out.stat().st_size / 1e6:.1f} MB; {booked:,} ledger rows")
    print(f"{'command':32} {'wall s':>8} {'peak RSS MB':>12}")
    for label, (elapsed, rss) in measurements.items():
        print(f"{label:32} {elapsed:8.1f} {rss / 1e6:12.1f}")
    ok = all(rss < TARGET_RSS for _, rss in measurements.values()) and lines == booked == args.requests
    print(f"target: every peak RSS < {TARGET_RSS / 1e6:.0f} MB: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
