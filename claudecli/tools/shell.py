"""The built-in ``shell`` toolset: ``run_command``, always EXPLICIT (a person says yes, or ``--approve
run_command``; ``--yes`` is never enough and no config can lower it).

The command runs in the root directory (``--root``, default the current one) with the secret-free child
environment, in its own process group, under a timeout. It is not confined to the root: it is a shell.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult
from claudecli.tools.child import run_child, stderr_tail

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 600.0

RUN_COMMAND = Tool(
    "run_command",
    "Run a command on the user's machine, in the working root directory, and return its exit code, stdout "
    "and the tail of stderr. command is either a list of arguments (run directly) or one string (run with "
    "sh -c). The user approves every call.",
    {
        "type": "object",
        "properties": {
            "command": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
                "description": "argv list, or a string for sh -c",
            },
            "timeout": {
                "type": "number",
                "description": f"seconds (default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g})",
            },
        },
        "required": ["command"],
        "additionalProperties": False,
    },
    approval=Approval.EXPLICIT,
    source="shell",
)


def command_argv(command: Any) -> list[str] | None:
    """The argv a ``command`` argument stands for; None when it is neither a string nor a list of strings."""
    if isinstance(command, str) and command.strip():
        return ["sh", "-c", command]
    if isinstance(command, list) and command and all(isinstance(part, str) for part in command):
        return list(command)
    return None


class ShellTools:
    """The ``shell`` tool source."""

    def __init__(self, root: Path, environment: Callable[[], dict[str, str]]) -> None:
        self.root = root
        self._environment = environment

    def tools(self) -> list[Tool]:
        return [RUN_COMMAND]

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        argv = command_argv(call.input.get("command"))
        if argv is None or any("\x00" in part for part in argv):
            return ToolResult(call.id, "command must be a non-empty string or list of strings", is_error=True)
        timeout = _timeout(call.input.get("timeout"))
        done = run_child(
            argv, stdin=b"", cwd=self.root, env=self._environment(), timeout=timeout, cancel=cancel
        )
        if done.start_error:
            return ToolResult(call.id, done.start_error, is_error=True)
        if done.timed_out:
            return ToolResult(
                call.id, f"timed out after {timeout:g} s; its processes were stopped", is_error=True
            )
        if done.cancelled:
            return ToolResult(call.id, "interrupted by the user; its processes were stopped", is_error=True)
        parts = [f"exit code {done.returncode}"]
        output = done.stdout.decode("utf-8", errors="replace")
        if output:
            parts.append(f"stdout:\n{output.rstrip(chr(10))}")
        if done.stdout_total > len(done.stdout):
            parts.append(f"[stdout truncated: the first {len(done.stdout):,} of {done.stdout_total:,} bytes]")
        tail = stderr_tail(done.stderr)
        if tail:
            parts.append(f"stderr (tail):\n{tail}")
        return ToolResult(call.id, "\n".join(parts), is_error=done.returncode != 0)

    def close(self) -> None:
        pass


def _timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return DEFAULT_TIMEOUT
    return min(float(value), MAX_TIMEOUT)
