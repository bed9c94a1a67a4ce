"""The toolbox: every enabled source's tools under one set of names, approval, and running a turn's calls.

``execute`` answers one turn. Approval always happens on the calling thread, so questions to the person come
one at a time. The read-only calls are approved first and run together on a thread pool; then each other call,
in the calls' order, is approved just before it runs (the person has seen the earlier results). Every result is cleaned before it goes back to the model: terminal
escapes and control characters stripped (``\\n`` and ``\\t`` kept), known secrets masked, and capped in size
with a note. Ctrl-C (KeyboardInterrupt, or ``cancel`` set by whoever handles the signal) stops every running
child's process group; a KeyboardInterrupt is raised again once they are stopped, so the loop ends cleanly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from claudecli.tools.base import Approver, Tool, ToolCall, ToolResult, ToolSource
from claudecli.tools.sanitize import cap_text, strip_escapes

RESULT_LIMIT = 100_000  # characters of one result sent to the model
CONCURRENCY = 4  # read-only calls of one turn running at once
INTERRUPTED = "interrupted by the user before it ran"


@dataclass
class ToolEvent:
    """Something a trace may show: a call about to run ("start"), its result ("done"), or a decline ("declined")."""

    kind: str
    tool: Tool | None
    call: ToolCall
    result: ToolResult | None = None


ToolEvents = Callable[[ToolEvent], None]


class Toolbox:
    """All enabled tools. ``definitions()`` is the request's ``tools`` list; ``execute`` answers one turn."""

    def __init__(self, sources: list[ToolSource], approver: Approver, scrub: Callable[[str], str]) -> None:
        self._sources = sources
        self._approver = approver
        self._scrub = scrub
        self._by_name: dict[str, tuple[Tool, ToolSource]] = {}
        for source in sources:
            for tool in source.tools():
                self._by_name[tool.name] = (tool, source)

    def tools(self) -> list[Tool]:
        return [tool for tool, _ in self._by_name.values()]

    def definitions(self) -> list[dict[str, Any]]:
        return [tool.definition() for tool in self.tools()]

    def execute(
        self, calls: list[ToolCall], cancel: threading.Event, on_event: ToolEvents | None = None
    ) -> list[ToolResult]:
        """One result per call, in the calls' order; never raises for a tool's own failure."""
        emit = on_event or (lambda event: None)
        results: dict[int, ToolResult] = {}
        read_only: list[tuple[int, Tool, ToolCall]] = []
        in_order: list[tuple[int, ToolCall]] = []
        for index, call in enumerate(calls):
            found = self._by_name.get(call.name)
            if found is None:
                results[index] = ToolResult(call.id, f"unknown tool {call.name!r}", is_error=True)
            elif found[0].read_only:
                ready = self._approve(found[0], call, emit)
                if isinstance(ready, ToolResult):
                    results[index] = ready
                else:
                    read_only.append((index, found[0], ready))
            else:
                in_order.append((index, call))
        try:
            results.update(self._run_parallel(read_only, cancel, emit))
            for index, call in in_order:  # asked about just before it runs: earlier results may change minds
                results[index] = self._approve_and_run(call, cancel, emit)
        except KeyboardInterrupt:
            cancel.set()  # running children see it and are stopped; the loop turns this into "interrupted"
            raise
        return [results[index] for index in range(len(calls))]

    def _approve_and_run(self, call: ToolCall, cancel: threading.Event, emit: ToolEvents) -> ToolResult:
        if cancel.is_set():
            return ToolResult(call.id, INTERRUPTED, is_error=True)
        tool = self._by_name[call.name][0]
        ready = self._approve(tool, call, emit)
        return ready if isinstance(ready, ToolResult) else self._run_one(tool, ready, cancel, emit)

    def _approve(self, tool: Tool, call: ToolCall, emit: ToolEvents) -> ToolResult | ToolCall:
        """The call to run (its input perhaps edited by the person), or the declined result."""
        decision = self._approver(tool, call)
        if not decision.run:
            result = ToolResult(
                call.id, decision.reason or "declined by the user", is_error=True, declined=True
            )
            emit(ToolEvent("declined", tool, call, result))
            return result
        return ToolCall(call.id, call.name, decision.input if decision.edited else call.input)

    def _run_parallel(
        self, items: list[tuple[int, Tool, ToolCall]], cancel: threading.Event, emit: ToolEvents
    ) -> dict[int, ToolResult]:
        if len(items) <= 1:
            return {index: self._run_one(tool, call, cancel, emit) for index, tool, call in items}
        pool = ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(items)), thread_name_prefix="tool")
        try:
            futures = {
                index: pool.submit(self._run_one, tool, call, cancel, emit) for index, tool, call in items
            }
            return {index: future.result() for index, future in futures.items()}
        except BaseException:
            cancel.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _run_one(self, tool: Tool, call: ToolCall, cancel: threading.Event, emit: ToolEvents) -> ToolResult:
        if cancel.is_set():
            return ToolResult(call.id, INTERRUPTED, is_error=True)
        emit(ToolEvent("start", tool, call))
        started = time.monotonic()
        source = self._by_name[tool.name][1]
        try:
            result = source.run(tool, call, cancel)
        except Exception as exc:  # a source's bug must not end the loop: the model gets an error result
            result = ToolResult(call.id, f"{type(exc).__name__}: {exc}", is_error=True)
        result.tool_use_id = call.id
        result.duration_ms = int((time.monotonic() - started) * 1000)
        result.content = self.clean(result.content)
        emit(ToolEvent("done", tool, call, result))
        return result

    def clean(self, text: str) -> str:
        """A tool's output as it may go to the model and the screen: no escapes, no secrets, capped."""
        return cap_text(self._scrub(strip_escapes(text)), RESULT_LIMIT, "result")

    def close(self) -> None:
        for source in self._sources:
            try:
                source.close()
            except Exception:  # closing one source must not keep another's children running
                continue
