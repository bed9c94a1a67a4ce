"""Benchmark: `claudecli --help` wall time (target: median <= 0.25 s on the 2-core machine).

Run: python -m tests.bench.bench_startup
"""

from __future__ import annotations

import shutil

from tests.bench._util import bench_env, median, python, time_command

TARGET_S = 0.25
RUNS = 21


def main() -> None:
    env = bench_env()
    script = shutil.which("claudecli")
    commands = {"python -m claudecli --help": [python(), "-m", "claudecli", "--help"]}
    if script:
        commands["claudecli --help"] = [script, "--help"]
        commands["claudecli config show"] = [script, "config", "show"]
    commands["python -c pass (interpreter floor)"] = [python(), "-c", "pass"]
    print(f"{'command':40} {'median':>8} {'min':>8}")
    for label, argv in commands.items():
        times = time_command(argv, env=env, runs=RUNS)
        print(f"{label:40} {median(times):8.3f} {min(times):8.3f}")
    times = time_command(
        commands.get("claudecli --help", commands["python -m claudecli --help"]), env=env, runs=RUNS
    )
    verdict = "PASS" if median(times) <= TARGET_S else "FAIL"
    print(f"--help median {median(times):.3f} s vs target {TARGET_S} s: {verdict}")


if __name__ == "__main__":
    main()
