"""Benchmark: `claudecli batch run` of 1,000 prompts at concurrency 32 against a fake with 100 ms latency.

Every request takes at least 100 ms on the fake (its ``latency``), so the ideal is 32 requests in flight all
the time: 1,000 x 0.1 s / 32 = 3.125 s, i.e. 320 requests/s. Reported: the request phase as the command
itself measures it (its summary line: "N requests in X s"), and the whole command's wall time (start-up,
validation, the ledger). Target: the request phase reaches >= 90 % of the ideal throughput (median of the
rounds).

The ceiling is not only claudecli's: at 320 requests/s the SDK's async HTTP stack (httpx2, httpcore, anyio,
h11) and the fake (in this process, on the other core) take most of the time. So each round also times a
minimal raw-SDK script (``RAW_SCRIPT``: ``AsyncAnthropic``, the same prompts, workers and concurrency, each
answer written as one JSON line, nothing else), alternately with claudecli, and reports claudecli's phase
against it: the cost of everything claudecli adds (booking, scrubbing, pricing, the output file).

Run: python -m tests.bench.bench_batch_run [--prompts N] [--concurrency C] [--latency S] [--rounds R]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench._util import bench_env, python
from tests.fakeapi import FakeAnthropic

TARGET = 0.90
SUMMARY = re.compile(r"(\d+) requests in ([\d.]+) s")
RAW_SCRIPT = """
import asyncio, json, sys, time
import anthropic

async def main(source, out, concurrency):
    client = anthropic.AsyncAnthropic(max_retries=0)
    prompts = asyncio.Queue()
    for line in open(source, encoding="utf-8"):
        prompts.put_nowait(line.rstrip("\\n"))
    with open(out, "w", encoding="utf-8") as sink:
        async def worker():
            while not prompts.empty():
                prompt = prompts.get_nowait()
                reply = await client.messages.create(
                    model="claude-sonnet-5-5", max_tokens=1024, messages=[{"role": "user", "content": prompt}]
                )
                sink.write(json.dumps({"prompt": prompt, "text": reply.content[0].text}) + "\\n")
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        print(f"{time.perf_counter() - started:.3f}")
    await client.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def claudecli_round(
    env: dict[str, str], source: Path, out: Path, concurrency: int
) -> tuple[int, float, float]:
    """(requests sent, request phase s, whole command s) of one `batch run`."""
    argv = [python(), "-m", "claudecli", "batch", "run", "--text", str(source)]
    argv += ["-c", str(concurrency), "-o", str(out)]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    match = SUMMARY.search(done.stderr)
    if done.returncode != 0 or match is None:
        sys.exit(f"batch run failed ({done.returncode}): {done.stderr}")
    return int(match[1]), float(match[2]), wall


def raw_round(env: dict[str, str], source: Path, out: Path, concurrency: int) -> float:
    argv = [python(), "-c", RAW_SCRIPT, str(source), str(out), str(concurrency)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the raw SDK script failed ({done.returncode}): {done.stderr}")
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="claudecli-bench-run-"))
    source = workdir / "prompts.txt"
    source.write_text("".join(f"prompt {i} [[words:20]]\n" for i in range(args.prompts)), encoding="utf-8")
    ideal_s = args.prompts * args.latency / args.concurrency
    print(
        f"{args.prompts:,} prompts at concurrency {args.concurrency}, fake latency {args.latency * 1000:.0f} ms"
    )
    print(f"ideal request phase {ideal_s:.2f} s ({args.prompts / ideal_s:.1f} req/s)")
    print(
        f"{'round':>5} {'claudecli s':>12} {'% ideal':>8} {'wall s':>7} {'raw SDK s':>10} {'% ideal':>8} {'vs raw':>7}"
    )
    phases: list[float] = []
    raws: list[float] = []
    lines_ok = True
    with FakeAnthropic(latency=args.latency) as fake:
        for index in range(1, args.rounds + 1):
            env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
            out = workdir / f"out{index}.jsonl"
            served_before = len(fake.requests_to("/v1/messages", method="POST"))
            sent, phase, wall = claudecli_round(env, source, out, args.concurrency)
            served = len(fake.requests_to("/v1/messages", method="POST")) - served_before
            lines = len(out.read_text(encoding="utf-8").splitlines())
            lines_ok = lines_ok and lines == served == sent == args.prompts
            raw = raw_round(env, source, workdir / f"raw{index}.jsonl", args.concurrency)
            phases.append(phase)
            raws.append(raw)
            print(
                f"{index:5} {phase:12.2f} {ideal_s / phase * 100:7.1f}% {wall:7.2f} {raw:10.2f} "
                f"{ideal_s / raw * 100:7.1f}% {phase / raw:7.3f}"
            )
    ratio = ideal_s / statistics.median(phases)
    print(
        f"claudecli's request phase against the raw SDK script's: {statistics.median(phases) / statistics.median(raws):.3f}x (medians)"
    )
    verdict = ratio >= TARGET and lines_ok
    print(
        f"throughput {ratio * 100:.1f} % of ideal (median; target >= {TARGET * 100:.0f} %): "
        f"{'PASS' if verdict else 'FAIL'}{'' if lines_ok else ' (requests or output lines missing)'}"
    )


if __name__ == "__main__":
    main()
