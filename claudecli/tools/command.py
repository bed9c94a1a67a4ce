"""Command tools from config (``[tools.NAME]``): the input JSON on stdin, stdout is the result.

A non-zero exit is an ``is_error`` result carrying the tail of stderr; a timeout stops the command's whole
process group and is an ``is_error`` result too. The command runs in the current directory with the
secret-free child environment (see ``child``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claudecli.core.errors import ConfigError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, read_capped
from claudecli.core.tool_config import ConfiguredTool
from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult
from claudecli.tools.child import outcome_text, run_child


def load_schema(spec: ConfiguredTool) -> dict[str, Any]:
    """The tool's input schema: its table, or its JSON file read now (a ConfigError names the file)."""
    if spec.input_schema_file is None:
        return dict(spec.input_schema or {"type": "object", "properties": {}})
    path = spec.input_schema_file
    try:
        schema = json.loads(read_capped(path, TEXT_FILE_LIMIT).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{spec.source}: input_schema file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"{spec.source}: cannot read input_schema file {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{spec.source}: {path} is not valid JSON: {exc}") from None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ConfigError(f'{spec.source}: {path} must hold a JSON schema with "type": "object"')
    return schema


def configured_tool(spec: ConfiguredTool) -> Tool:
    return Tool(
        spec.name,
        spec.description,
        load_schema(spec),
        approval=Approval(spec.approval),
        source="config",
    )


class CommandTools:
    """The ``[tools.NAME]`` tools named with ``--tools``."""

    def __init__(
        self, specs: list[ConfiguredTool], environment: Callable[[], dict[str, str]], cwd: Path | None = None
    ) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._tools = [configured_tool(spec) for spec in specs]
        self._environment = environment
        self._cwd = cwd or Path.cwd()

    def tools(self) -> list[Tool]:
        return list(self._tools)

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        spec = self._specs.get(tool.name)
        if spec is None:
            return ToolResult(call.id, f"unknown tool {tool.name!r}", is_error=True)
        data = json.dumps(call.input, ensure_ascii=False).encode("utf-8")
        done = run_child(
            list(spec.command),
            stdin=data,
            cwd=self._cwd,
            env=self._environment(),
            timeout=spec.timeout,
            cancel=cancel,
        )
        text, is_error = outcome_text(done, spec.timeout)
        return ToolResult(call.id, text, is_error=is_error)

    def close(self) -> None:
        pass
