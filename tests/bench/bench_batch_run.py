"""Benchmark: `claudecli batch run` of 1,000 prompts at concurrency 32 against a fake with 100 ms latency.

Every request takes at least 100 ms on the fake (its ``latency``), so the ideal is 32 requests in flight all
the time: 1,000 x 0.1 s / 32 = 3.125 s, i.e. 320 requests/s. Reported: the request phase as the command
itself measures it (its summary line: "N requests in X s"), and the whole command's wall time (start-up,
validation, the ledger). Target: the request phase reaches >= 90 % of the ideal throughput (median of the
rounds).

The ceiling is not only claudecli's: at 320 requests/s the SDK's async HTTP stack (httpx2, httpcore, anyio,
h11) and the fake (in this process, on the other core) take most of the time. So each round also times two
minimal raw-SDK scripts (``RAW_SCRIPT``: the same prompts, workers and concurrency, each answer written as one
JSON line, nothing else), alternately with claudecli:

* ``create``: ``client.messages.create``, as a person would write it (the SDK builds a ``Message`` per reply);
* ``post``: the path claudecli's runner takes - ``client.post`` with the raw response (no ``Message`` built)
  and a one-connection client per worker (``core.client.one_connection_each``). claudecli against this one
  is the cost of everything it adds: booking ahead and after, scrubbing, pricing, the output file.

An untimed round of the ``post`` script comes first, so that no timed round meets a cold fake.

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
SUMMARY = re.compile(r"(\d+) requests? in ([\d.]+) s")
RAW_SCRIPT = """
import asyncio, json, sys, time
import anthropic
import httpx2

async def main(source, out, concurrency, path):
    base = anthropic.AsyncAnthropic(max_retries=0)
    if path == "post":  # claudecli's path: one connection per worker, the raw response
        limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [base.with_options(http_client=anthropic.DefaultAsyncHttpxClient(limits=limits))
                   for _ in range(concurrency)]
    else:
        clients = [base] * concurrency
    prompts = asyncio.Queue()
    for line in open(source, encoding="utf-8"):
        prompts.put_nowait(line.rstrip("\\n"))
    with open(out, "w", encoding="utf-8") as sink:
        async def worker(client):
            while not prompts.empty():
                prompt = prompts.get_nowait()
                body = {"model": "claude-sonnet-5-5", "max_tokens": 1024,
                        "messages": [{"role": "user", "content": prompt}]}
                if path == "post":
                    response = await client.post(
                        "/v1/messages", body=body, cast_to=anthropic.AsyncAPIResponse[object]
                    )
                    text = response.http_response.json()["content"][0]["text"]
                else:
                    text = (await client.messages.create(**body)).content[0].text
                sink.write(json.dumps({"prompt": prompt, "text": text}) + "\\n")
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in clients))
        print(f"{time.perf_counter() - started:.3f}")
    for client in {id(c): c for c in clients}.values():
        await client.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
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


def raw_round(env: dict[str, str], source: Path, out: Path, concurrency: int, path: str) -> float:
    argv = [python(), "-c", RAW_SCRIPT, str(source), str(out), str(concurrency), path]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    lines = len(out.read_text(encoding="utf-8").splitlines()) if out.exists() else 0
    if done.returncode != 0 or lines != len(source.read_text(encoding="utf-8").splitlines()):
        sys.exit(f"the raw SDK script ({path}) failed ({done.returncode}, {lines} lines): {done.stderr}")
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
        f"{'round':>5} {'claudecli s':>12} {'% ideal':>8} {'wall s':>7} {'post s':>7} {'% ideal':>8} {'create s':>9} {'% ideal':>8}"
    )
    phases: list[float] = []
    raws: dict[str, list[float]] = {"post": [], "create": []}
    lines_ok = True
    with FakeAnthropic(latency=args.latency) as fake:
        # One untimed round first: the fake's own first requests (its code paths, the OS's caches) would
        # otherwise fall on claudecli's first round alone, which runs before either raw script in each round.
        raw_round(
            bench_env(ANTHROPIC_BASE_URL=fake.base_url),
            source,
            workdir / "warm.jsonl",
            args.concurrency,
            "post",
        )
        for index in range(1, args.rounds + 1):
            env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
            out = workdir / f"out{index}.jsonl"
            served_before = len(fake.requests_to("/v1/messages", method="POST"))
            sent, phase, wall = claudecli_round(env, source, out, args.concurrency)
            served = len(fake.requests_to("/v1/messages", method="POST")) - served_before
            lines = len(out.read_text(encoding="utf-8").splitlines())
            lines_ok = lines_ok and lines == served == sent == args.prompts
            phases.append(phase)
            for path, times in raws.items():
                times.append(raw_round(env, source, workdir / f"{path}{index}.jsonl", args.concurrency, path))
            post, create = raws["post"][-1], raws["create"][-1]
            print(
                f"{index:5} {phase:12.2f} {ideal_s / phase * 100:7.1f}% {wall:7.2f} {post:7.2f} "
                f"{ideal_s / post * 100:7.1f}% {create:9.2f} {ideal_s / create * 100:7.1f}%"
            )
    median = statistics.median(phases)
    for path, times in raws.items():
        print(
            f"claudecli's request phase against the raw script ({path}): {median / statistics.median(times):.3f}x (medians)"
        )
    ratio = ideal_s / median
    verdict = ratio >= TARGET and lines_ok
    print(
        f"throughput {ratio * 100:.1f} % of ideal (median; target >= {TARGET * 100:.0f} %): "
        f"{'PASS' if verdict else 'FAIL'}{'' if lines_ok else ' (requests or output lines missing)'}"
    )


if __name__ == "__main__":
    main()
