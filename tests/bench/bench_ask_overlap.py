"""Benchmark: `ask` loads the SDK while its stdin is still arriving (the warm-up, claudecli/core/warmup.py).

Pairs of fresh `claudecli ask` processes against the project's fake API (no latency), interleaved: one whose
stdin is written as soon as it starts ("ready"), one whose stdin arrives 1 s after it starts, like
``(sleep 1; git diff) | claudecli ask``. Each pair gives the slow one's excess over what it cannot beat:
``slow - max(1 s, ready)``. Target: the median excess <= 0.15 s (without the overlap it is about the whole
import, 0.7 s here). The home is a returning user's (models list, price cache and ledger from an earlier ask).

Run: python -m tests.bench.bench_ask_overlap [--pairs N] [--project PATH]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from tests.bench._util import PROJECT_ROOT, bench_env, python
from tests.fakeapi import FakeAnthropic

TARGET_EXCESS_S = 0.15
STDIN_DELAY_S = 1.0
ARGV = ["-m", "claudecli", "ask", "-q", "review this"]
STDIN = b"diff --git a/x b/x\n+a line [[words:50]]\n"


def ask_time(env: dict[str, str], delay: float) -> float:
    """Wall time of one ask whose stdin is written ``delay`` seconds after it starts."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [python(), *ARGV],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=env["CLAUDECLI_HOME"],  # not the checkout: `python -m` would import the claudecli found there
    )
    assert process.stdin is not None
    if delay:
        time.sleep(delay - (time.perf_counter() - started))
    process.stdin.write(STDIN)
    process.stdin.close()
    assert process.stderr is not None
    err = process.stderr.read()
    if process.wait() != 0:
        raise SystemExit(f"ask failed: {err.decode(errors='replace')}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--project", default=str(PROJECT_ROOT), help="the claudecli checkout to measure")
    args = parser.parse_args()
    with FakeAnthropic() as fake:
        env = bench_env(ANTHROPIC_BASE_URL=fake.base_url, PYTHONPATH=args.project)
        ask_time(env, 0)  # a returning user: the models list, the price cache and the ledger exist
        pairs = [(ask_time(env, 0), ask_time(env, STDIN_DELAY_S)) for _ in range(args.pairs)]
    print(f"claudecli from {args.project}")
    print(f"{'pair':>4} {'ready s':>8} {'stdin +1 s':>10} {'excess s':>9}")
    excesses = []
    for index, (ready, slow) in enumerate(pairs, 1):
        excess = slow - max(STDIN_DELAY_S, ready)
        excesses.append(excess)
        print(f"{index:4} {ready:8.3f} {slow:10.3f} {excess:9.3f}")
    median = statistics.median(excesses)
    print(f"excess median {median:.3f} s, range {min(excesses):.3f}-{max(excesses):.3f} s")
    verdict = "PASS" if median <= TARGET_EXCESS_S else "FAIL"
    print(f"median excess {median:.3f} s vs target {TARGET_EXCESS_S} s: {verdict}")


if __name__ == "__main__":
    main()
