"""The toolbox: every enabled source's tools under one set of names, approval, and running a turn's calls.

Minimal first version (the contract); the tools helper fills in concurrency for read-only calls, scrubbing and
escape stripping of results, events for traces, and process-group cancellation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from claudecli.tools.base import Approver, Tool, ToolCall, ToolResult, ToolSource


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
        return [self._execute_one(call, cancel, on_event) for call in calls]

    def _execute_one(
        self, call: ToolCall, cancel: threading.Event, on_event: ToolEvents | None
    ) -> ToolResult:
        found = self._by_name.get(call.name)
        if found is None:
            return ToolResult(call.id, f"unknown tool {call.name!r}", is_error=True)
        tool, source = found
        decision = self._approver(tool, call)
        if not decision.run:
            result = ToolResult(
                call.id, decision.reason or "declined by the user", is_error=True, declined=True
            )
            if on_event is not None:
                on_event(ToolEvent("declined", tool, call, result))
            return result
        approved = ToolCall(call.id, call.name, decision.input or call.input)
        if on_event is not None:
            on_event(ToolEvent("start", tool, approved))
        started = time.monotonic()
        result = source.run(tool, approved, cancel)
        result.duration_ms = int((time.monotonic() - started) * 1000)
        result.content = self._scrub(result.content)
        if on_event is not None:
            on_event(ToolEvent("done", tool, approved, result))
        return result

    def close(self) -> None:
        for source in self._sources:
            source.close()
