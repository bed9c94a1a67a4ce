"""Benchmark of the streaming Markdown renderer (not a test; nothing here is timed by pytest).

Run with ``python -m tests.bench.bench_renderer [--runs N]``.

A ~100k-character Markdown answer is split into 25,000 chunks (and into 2,500) and fed
instantly to a :class:`MarkdownSink` writing to ``Console(file=StringIO(), force_terminal=True,
width=100, height=40)``.  Reported (median of N runs):

1. MarkdownSink, 25k chunks (feed every chunk, then finish);
2. baseline: ``console.out(chunk)`` per chunk for the same chunks;
3. one full ``console.print(Markdown(text))``;
4. MarkdownSink, 2.5k chunks, and the ratio time(25k) / time(2.5k).

Targets: (1) <= 1.5 x (2), (1) <= 5 x (3), (4) <= 12.

For information it also replays the 25k chunks as a paced stream (a fake clock advances
4 ms per chunk, i.e. a 100 s answer): every 50 ms of stream time a frame re-parses the tail,
prints the blocks that became final and redraws the live area.
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import time
from collections.abc import Callable

from rich.console import Console
from rich.markdown import Markdown

from claudecli.render.stream import MarkdownSink

TARGET_CHARS = 100_000

_SECTION = '''## Section {i}: streaming notes

This paragraph has **bold text**, *emphasis*, `inline code` and a [link](https://example.com/{i}).
It continues on a second source line, as long model answers tend to do, so that it wraps.

- a tight list item
- another item with `code`
  - a nested item
- the last item

1. first step
2. second step

```python
def handler_{i}(event: dict[str, int]) -> int:
    """Handle one event."""

    total = sum(event.values())
    return total * {i}  # scaled
```

| name   | value | note        |
|--------|------:|-------------|
| alpha  |   {i} | first row   |
| beta   |    42 | second row  |

> A quotation that spans
> two source lines.

---

'''


def make_answer(size: int = TARGET_CHARS) -> str:
    parts: list[str] = []
    total, index = 0, 0
    while total < size:
        part = _SECTION.format(i=index)
        parts.append(part)
        total += len(part)
        index += 1
    return "".join(parts)[:size].rstrip() + "\n"


def split(text: str, count: int) -> list[str]:
    """``count`` chunks of (nearly) equal size."""
    bounds = [len(text) * i // count for i in range(count + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def _console() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, force_interactive=True, width=100, height=40)


def run_sink(chunks: list[str], clock: Callable[[], float] = time.monotonic) -> None:
    sink = MarkdownSink(_console(), clock=clock)
    for chunk in chunks:
        sink.feed(chunk)
    sink.finish()


def run_baseline(chunks: list[str]) -> None:
    console = _console()
    for chunk in chunks:
        console.out(chunk)


def run_full(text: str) -> None:
    _console().print(Markdown(text, hyperlinks=False))


class _PacedClock:
    """Advances by ``step`` seconds each time it is read by the sink's feed loop."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        return self.now


def run_paced(chunks: list[str], step: float = 0.004) -> int:
    clock = _PacedClock(step)
    console = _console()
    sink = MarkdownSink(console, clock=clock)
    for chunk in chunks:
        clock.now += step
        sink.feed(chunk)
    sink.finish()
    return console.file.getvalue().count("\r\x1b[2K")  # type: ignore[attr-defined]


def median_time(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median is reported)")
    parser.add_argument("--no-paced", action="store_true", help="skip the informational paced stream")
    args = parser.parse_args(argv)

    text = make_answer()
    chunks_25k = split(text, 25_000)
    chunks_2k5 = split(text, 2_500)
    runs = args.runs

    sink_25k = median_time(lambda: run_sink(chunks_25k), runs)
    baseline = median_time(lambda: run_baseline(chunks_25k), runs)
    full = median_time(lambda: run_full(text), runs)
    sink_2k5 = median_time(lambda: run_sink(chunks_2k5), runs)

    print(f"answer: {len(text):,} characters; {len(chunks_25k):,} and {len(chunks_2k5):,} chunks")
    print(f"median of {runs} runs\n")
    rows = [
        ("(1) MarkdownSink, 25k chunks", sink_25k),
        ("(2) console.out per chunk, 25k chunks", baseline),
        ("(3) one full console.print(Markdown)", full),
        ("(4) MarkdownSink, 2.5k chunks", sink_2k5),
    ]
    for label, seconds in rows:
        print(f"  {label:<42} {seconds * 1000:9.1f} ms")

    checks = [
        ("(1) / (2) <= 1.5", sink_25k / baseline, 1.5),
        ("(1) / (3) <= 5", sink_25k / full, 5.0),
        ("(1) / (4) <= 12", sink_25k / sink_2k5, 12.0),
    ]
    print()
    failed = False
    for label, value, limit in checks:
        ok = value <= limit
        failed |= not ok
        print(f"  {label:<22} {value:7.2f}  {'PASS' if ok else 'FAIL'}")

    if not args.no_paced:
        start = time.perf_counter()
        redraws = run_paced(chunks_25k)
        seconds = time.perf_counter() - start
        print(
            f"\n  info: paced 25k-chunk stream (100 s of stream time, 20 redraws/s max): "
            f"{seconds * 1000:.0f} ms CPU for {redraws:,} redraws"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
