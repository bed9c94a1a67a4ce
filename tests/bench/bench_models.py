"""Benchmark: `claudecli models` from the cache (target: median <= 0.25 s).

A first run against the project's fake API fills the models cache and the price book's file; the timed runs
then read only the cache: no request, no SDK import, no genai-prices import. Each run is a fresh process
(``python -m claudecli``), output to a pipe. Also timed, for reference: the first (fetching) run and the
interpreter's floor.

Run: python -m tests.bench.bench_models [--runs N]
"""

from __future__ import annotations

import argparse
import time

from tests.bench._util import bench_env, median, python, time_command
from tests.fakeapi import FakeAnthropic

TARGET_S = 0.25


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with FakeAnthropic() as fake:
        env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
        cli = [python(), "-m", "claudecli"]
        started = time.perf_counter()
        time_command([*cli, "models"], env=env, runs=1, warmup=0)
        first = time.perf_counter() - started
        fetches = len(fake.requests_to("/v1/models"))
        commands = {
            "claudecli models": [*cli, "models"],
            "claudecli models --json": [*cli, "models", "--json"],
            "claudecli models --all": [*cli, "models", "--all"],
            "python -c pass (interpreter floor)": [python(), "-c", "pass"],
        }
        print(f"first run (fetch {fetches} page(s), price, write cache): {first:.3f} s")
        print(f"{'command':40} {'median s':>9} {'min s':>8}")
        results = {}
        for label, argv in commands.items():
            times = time_command(argv, env=env, runs=args.runs)
            results[label] = median(times)
            print(f"{label:40} {median(times):9.3f} {min(times):8.3f}")
        assert len(fake.requests_to("/v1/models")) == fetches, "the timed runs must not touch the network"
    verdict = "PASS" if results["claudecli models"] <= TARGET_S else "FAIL"
    print(f"models from cache: median {results['claudecli models']:.3f} s vs target {TARGET_S} s: {verdict}")


if __name__ == "__main__":
    main()
