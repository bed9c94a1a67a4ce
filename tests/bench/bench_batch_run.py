"""Benchmark: `claudecli batch run` of 1,000 prompts at concurrency 32 against a fake with 100 ms latency.

Every request takes at least 100 ms on the fake (its ``latency``), so the ideal is 32 requests in flight all
the time: 1,000 x 0.1 s / 32 = 3.125 s, i.e. 320 requests/s. Reported: the request phase as the command
itself measures it (its summary line: "N requests in X s"), and the whole command's wall time (start-up,
validation, the ledger). Target: the request phase reaches >= 90 % of the ideal throughput.

Run: python -m tests.bench.bench_batch_run [--prompts N] [--concurrency C] [--latency S]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench._util import bench_env, python
from tests.fakeapi import FakeAnthropic

TARGET = 0.90
SUMMARY = re.compile(r"(\d+) requests in ([\d.]+) s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="claudecli-bench-run-"))
    source = workdir / "prompts.txt"
    source.write_text("".join(f"prompt {i} [[words:20]]\n" for i in range(args.prompts)), encoding="utf-8")
    out = workdir / "out.jsonl"
    with FakeAnthropic(latency=args.latency) as fake:
        env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
        argv = [python(), "-m", "claudecli", "batch", "run", "--text", str(source)]
        argv += ["-c", str(args.concurrency), "-o", str(out)]
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        served = len(fake.requests_to("/v1/messages", method="POST"))
    match = SUMMARY.search(done.stderr)
    if done.returncode != 0 or match is None:
        sys.exit(f"batch run failed ({done.returncode}): {done.stderr}")
    sent, phase = int(match[1]), float(match[2])
    ideal_s = args.prompts * args.latency / args.concurrency
    ratio = ideal_s / phase
    lines = len(out.read_text(encoding="utf-8").splitlines())
    print(
        f"{'prompts':30} {args.prompts:,} at concurrency {args.concurrency}, fake latency {args.latency * 1000:.0f} ms"
    )
    print(f"{'served by the fake':30} {served:,}; {lines:,} output lines")
    print(f"{'ideal request phase':30} {ideal_s:7.2f} s  ({args.prompts / ideal_s:6.1f} req/s)")
    print(f"{'measured request phase':30} {phase:7.2f} s  ({sent / phase:6.1f} req/s)")
    print(f"{'whole command (wall)':30} {wall:7.2f} s")
    verdict = ratio >= TARGET and lines == args.prompts
    print(
        f"throughput {ratio * 100:.1f} % of ideal (target >= {TARGET * 100:.0f} %): {'PASS' if verdict else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
