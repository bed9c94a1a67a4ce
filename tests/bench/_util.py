"""Small helpers for the on-demand benchmarks (never run as part of the test suite)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def bench_env(**extra: str) -> dict[str, str]:
    """An isolated environment: a throwaway CLAUDECLI_HOME, no inherited Anthropic/claudecli settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDECLI_"))}
    home = tempfile.mkdtemp(prefix="claudecli-bench-")
    sdk_config = tempfile.mkdtemp(prefix="claudecli-bench-sdk-")
    env.update(
        CLAUDECLI_HOME=home,
        ANTHROPIC_CONFIG_DIR=sdk_config,
        ANTHROPIC_API_KEY="sk-ant-bench",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra)
    return env


def time_command(argv: Sequence[str], *, env: dict[str, str], runs: int, warmup: int = 1) -> list[float]:
    """Wall times of ``runs`` executions (after ``warmup`` discarded ones); output discarded."""
    times = []
    for index in range(warmup + runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if index >= warmup:
            times.append(time.perf_counter() - started)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def python() -> str:
    return sys.executable
