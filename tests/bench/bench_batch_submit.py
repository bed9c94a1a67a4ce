"""Benchmark: validate + submit 100,000 short requests (~100 MB of JSONL) with `claudecli batch submit`.

A fresh `claudecli` process submits the file to the project's fake API (batch_mode "manual", so the fake
does not compute 100,000 replies inside the create call). Reported: wall time of the whole command (start-up,
hashing, validation of every line, spooling, the streamed 100 MB upload, journaling) and the child's peak
RSS (``os.wait4``'s ``ru_maxrss``). Targets: <= 60 s and peak RSS <= 4x the input size.

Run: python -m tests.bench.bench_batch_submit [--requests N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench._util import bench_env, python
from tests.fakeapi import FakeAnthropic

TARGET_S = 60.0
TARGET_RSS_RATIO = 4.0
PROMPT_CHARS = 960  # + the JSON around it: ~1 KB a line


def write_input(path: Path, count: int) -> int:
    filler = ("lorem ipsum dolor sit amet " * 40)[:PROMPT_CHARS]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(json.dumps({"id": f"req-{i}", "prompt": f"{i}: {filler}", "max_tokens": 256}) + "\n")
    return path.stat().st_size


# Linux carries a process's peak RSS across exec from the image it was forked from, so a child forked from
# this (large: it hosts the fake API) process would report our peak as its own. A tiny launcher process
# starts the measured command and reports its ``wait4`` rusage: the inherited part is then the launcher's few MB.
_LAUNCHER = (
    "import json, os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(json.dumps({'rss': usage.ru_maxrss * 1024, 'code': os.waitstatus_to_exitcode(status)}))\n"
)


def measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(wall seconds, the command's own peak RSS in bytes, exit code, stderr) of one run of ``argv``."""
    started = time.perf_counter()
    done = subprocess.run(
        [python(), "-c", _LAUNCHER, *argv], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    report = (
        json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {"rss": 0, "code": -1}
    )
    return elapsed, int(report["rss"]), int(report["code"]), done.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="claudecli-bench-batch-"))
    source = workdir / "jobs.jsonl"
    size = write_input(source, args.requests)
    with FakeAnthropic() as fake:
        fake.batch_mode = "manual"
        env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
        argv = [python(), "-m", "claudecli", "batch", "submit", str(source)]
        elapsed, rss, code, stderr = measured(argv, env)
        creates = fake.batch_creates
        sent = sum(len(batch.requests) for batch in fake.batches.values())
    if code != 0:
        print(stderr, file=sys.stderr)
        sys.exit(f"batch submit failed with exit code {code}")
    ratio = rss / size
    print(f"{'input':28} {args.requests:,} requests, {size / 1e6:.1f} MB")
    print(f"{'batches created':28} {creates} ({sent:,} requests received by the fake)")
    print(f"{'wall time':28} {elapsed:8.1f} s   (target <= {TARGET_S:.0f} s)")
    print(f"{'peak RSS':28} {rss / 1e6:8.1f} MB  ({ratio:.2f}x input; target <= {TARGET_RSS_RATIO:.0f}x)")
    verdict = elapsed <= TARGET_S and ratio <= TARGET_RSS_RATIO and sent == args.requests
    print("PASS" if verdict else "FAIL")


if __name__ == "__main__":
    main()
