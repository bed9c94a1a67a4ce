"""Benchmark: `claudecli ask` end to end vs a minimal raw-SDK script streaming the same reply.

Both run as fresh processes against the project's fake API on 127.0.0.1 and stream a 2,000-word reply to a
pipe. Target: ask's median within 1.10x of the raw script's. Run: python -m tests.bench.bench_ask

claudecli pauses the garbage collector while it loads (see claudecli/startup.py), which makes the SDK's own
import cheaper. So a third command, the raw script with the same pause, is timed too: ask against it is
claudecli's own overhead, like for like, and is reported beside the target ratio.
"""

from __future__ import annotations

import sys

from tests.bench._util import bench_env, median, python, time_command
from tests.fakeapi import FakeAnthropic

TARGET_RATIO = 1.10
RUNS = 15
PROMPT = "[[words:2000]]"
RAW_SCRIPT = f"""
import sys, anthropic
client = anthropic.Anthropic()
with client.messages.stream(model="claude-sonnet-5-5", max_tokens=8192,
                            messages=[{{"role": "user", "content": {PROMPT!r}}}]) as stream:
    for text in stream.text_stream:
        sys.stdout.write(text)
        sys.stdout.flush()
sys.stdout.write("\\n")
"""


def main() -> None:
    with FakeAnthropic() as fake:
        env = bench_env(ANTHROPIC_BASE_URL=fake.base_url)
        commands = {
            "raw SDK script": [python(), "-c", RAW_SCRIPT],
            "raw script, GC paused": [python(), "-c", "import gc\ngc.disable()\n" + RAW_SCRIPT],
            "claudecli ask": [python(), "-m", "claudecli", "ask", "-m", "claude-sonnet-5-5", PROMPT],
        }
        results: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(RUNS):  # interleave, so drift on the machine hits both alike
            for label, argv in commands.items():
                results[label] += time_command(argv, env=env, runs=1, warmup=0)
    print(f"{'command':22} {'median s':>9} {'min s':>8}")
    for label, times in results.items():
        print(f"{label:22} {median(times):9.3f} {min(times):8.3f}")
    ratio = median(results["claudecli ask"]) / median(results["raw SDK script"])
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"ratio {ratio:.3f} vs target {TARGET_RATIO}: {verdict}")
    like_for_like = median(results["claudecli ask"]) / median(results["raw script, GC paused"])
    print(f"like for like (raw script with the same GC pause): {like_for_like:.3f}")
    sys.exit(0)


if __name__ == "__main__":
    main()
