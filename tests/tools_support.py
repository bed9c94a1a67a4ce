"""Helpers for the tool tests: an app context on the isolated home, calls, and a process-liveness check."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path
from typing import Any

from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.tools.base import ToolCall, ToolResult
from claudecli.tools.box import Toolbox, ToolEvent
from claudecli.tools.options import ToolOptions
from claudecli.tools.setup import build_toolbox

_ids = iter(range(1_000_000))


def app_context(stderr: io.StringIO | None = None) -> AppContext:
    return AppContext.create(
        load_settings(), stdout=io.StringIO(), stderr=stderr or io.StringIO(), environ={}
    )


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(f"toolu_{next(_ids)}", name, arguments)


def toolbox(options: ToolOptions, ask_person: Any = None, stderr: io.StringIO | None = None) -> Toolbox:
    box = build_toolbox(app_context(stderr), options, ask_person)
    assert box is not None
    return box


def run(box: Toolbox, *calls: ToolCall, events: list[ToolEvent] | None = None) -> list[ToolResult]:
    sink = events if events is not None else []
    return box.execute(list(calls), threading.Event(), sink.append)


def ends_soon(pid: int, within: float = 5.0) -> bool:
    """Whether ``pid`` is gone within ``within`` seconds: a SIGKILL is sent at once but takes effect when the
    kernel next runs the process, which on a loaded machine is not the same instant."""
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] not in "ZX"
