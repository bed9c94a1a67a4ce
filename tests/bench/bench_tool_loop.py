"""Benchmark: the tool loop's own overhead per local tool step, excluding the tool's run time and the API call.

In one process, against the fake API on 127.0.0.1: a loop whose model calls a tool forever runs STEPS steps
(``[[call_forever:…]]``, stopped by max_steps); the same number of plain ``stream_message`` calls with the same
tool set is the baseline. Overhead per step = (loop time - tool time - baseline time) / STEPS: building each
step's request, booking its ledger row with loop_id/step, collecting tool calls, running the toolbox, building
the results message. Target <= 20 ms. Run: python -m tests.bench.bench_tool_loop
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import threading
import time

from claudecli.call.stream import CallSpec, stream_message
from claudecli.call.tool_loop import LoopEvents, LoopFailed, run_tool_loop
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.tools.base import Approval, Decision, Tool, ToolCall, ToolResult
from claudecli.tools.box import Toolbox
from tests.fakeapi import FakeAnthropic

TARGET_MS = 20.0
STEPS = 40
ROUNDS = 5
MODEL = "claude-sonnet-5-5"


class TimedTool:
    """A tool that does a little work and measures its own run time (subtracted from the loop's)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def tools(self) -> list[Tool]:
        schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
        return [Tool("count", "Count.", schema, approval=Approval.AUTO, source="bench")]

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        started = time.perf_counter()
        result = ToolResult(call.id, str(sum(range(1000))))
        self.seconds += time.perf_counter() - started
        return result

    def close(self) -> None:
        pass


def _context(fake: FakeAnthropic) -> AppContext:
    home = tempfile.mkdtemp(prefix="claudecli-bench-")
    environ = {
        "CLAUDECLI_HOME": home,
        "ANTHROPIC_API_KEY": "sk-ant-bench",
        "ANTHROPIC_BASE_URL": fake.base_url,
        "ANTHROPIC_CONFIG_DIR": home,
    }
    os.environ.update(environ)
    return AppContext.create(
        load_settings(environ=environ),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        stdin=io.StringIO(""),
        environ={},
    )


def _spec(prompt: str, tools: list[dict[str, object]]) -> CallSpec:
    params = {
        "model": MODEL,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": prompt}],
        "tools": tools,
    }
    return CallSpec(command="ask", params=params)


def _loop_seconds(app_ctx: AppContext) -> tuple[float, float]:
    source = TimedTool()
    box = Toolbox([source], lambda tool, call: Decision(run=True), lambda text: text)
    started = time.perf_counter()
    with contextlib.suppress(LoopFailed):
        run_tool_loop(
            app_ctx,
            _spec('[[call_forever:count {"n": 1}]]', box.definitions()),
            box,
            max_steps=STEPS,
            events=LoopEvents(on_text=lambda _c: None),
        )
    return time.perf_counter() - started, source.seconds


def _baseline_seconds(app_ctx: AppContext, tools: list[dict[str, object]]) -> float:
    started = time.perf_counter()
    for _ in range(STEPS):
        stream_message(app_ctx, _spec('[[call:count {"n": 1}]]', tools), on_text=lambda _c: None)
    return time.perf_counter() - started


def main() -> None:
    with FakeAnthropic() as fake:
        app_ctx = _context(fake)
        tools = [TimedTool().tools()[0].definition()]
        _loop_seconds(app_ctx)  # warm up: imports, the client, the ledger
        overheads = []
        for _ in range(ROUNDS):
            loop, tool = _loop_seconds(app_ctx)
            baseline = _baseline_seconds(app_ctx, tools)
            overheads.append((loop - tool - baseline) / STEPS * 1000)
            print(f"loop {loop:.3f} s · tool {tool * 1000:.2f} ms · {STEPS} plain calls {baseline:.3f} s")
    overheads.sort()
    median = overheads[len(overheads) // 2]
    verdict = "PASS" if median <= TARGET_MS else "FAIL"
    print(
        f"loop overhead per step: median {median:.2f} ms (min {overheads[0]:.2f}) vs target {TARGET_MS} ms: {verdict}"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
