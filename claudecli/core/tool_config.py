"""``[tools.NAME]`` tables of config.toml: command tools the user defines, checked when the config is read.

Only the user's own config.toml defines tools (top level, not inside a profile): the environment and a ``.env``
are read for scalar settings only, so neither can define a tool, change a command or lower an approval.

    [tools.wordcount]
    description = "Count the words of a text"
    command = ["wc", "-w"]            # an argv list; a string is refused (write ["sh", "-c", "..."] for a shell)
    input_schema = { type = "object", properties = { text = { type = "string" } } }   # or a path to a JSON file
    timeout = 30                      # seconds (default 30)
    approval = "ask"                  # "auto" | "ask" (default) | "explicit"
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claudecli.core.errors import ConfigError, UsageError
from claudecli.core.mcp_config import masked_argv

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
APPROVALS = ("auto", "ask", "explicit")
BUILTIN_TOOLSETS = ("fs", "shell")
DEFAULT_TIMEOUT = 30.0
_KEYS = frozenset({"description", "command", "input_schema", "timeout", "approval"})


def check_known_toolsets(names: list[str], configured: Mapping[str, object], label: str) -> None:
    """A usage error (exit 2, one line) for the first of ``names`` that is neither built in nor a
    ``[tools.NAME]``: ``LABEL NAME: no such tool or toolset (known: ...)``; ``label`` is ``--tools`` for the
    flag, ``role R: tools`` for a role's list (the person did not type ``--tools``)."""
    unknown = [name for name in names if name not in BUILTIN_TOOLSETS and name not in configured]
    if unknown:
        known = ", ".join([*BUILTIN_TOOLSETS, *sorted(configured)])
        raise UsageError(
            f"{label} {unknown[0]}: no such tool or toolset (known: {known})",
            hint="define command tools as [tools.NAME] in config.toml",
        )


@dataclass(frozen=True)
class ConfiguredTool:
    """One ``[tools.NAME]`` table, checked. ``input_schema_file`` is read when the tool is enabled."""

    name: str
    description: str
    command: tuple[str, ...]
    input_schema: Mapping[str, Any] | None = None
    input_schema_file: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    approval: str = "ask"
    source: str = ""  # "config.toml [tools.NAME]", for messages

    def display(self) -> dict[str, Any]:
        """For ``config show``: what the tool runs (a secret-named flag's value masked) and how it is approved."""
        schema = (
            str(self.input_schema_file)
            if self.input_schema_file
            else ("inline" if self.input_schema else None)
        )
        return {
            "description": self.description,
            "command": masked_argv(self.command),
            "input_schema": schema,
            "timeout": self.timeout,
            "approval": self.approval,
        }


def parse_tools(table: Any, config_file: Path) -> dict[str, ConfiguredTool]:
    """Every ``[tools.NAME]`` in ``table``; a ConfigError names the first problem with file and table."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{config_file}: tools must be a table of [tools.NAME] tables")
    return {str(name): _parse_one(str(name), spec, config_file) for name, spec in table.items()}


def _parse_one(name: str, spec: Any, config_file: Path) -> ConfiguredTool:
    where = f"{config_file} [tools.{name}]"

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{where}: {problem}")

    if not TOOL_NAME.fullmatch(name):
        raise fail("a tool name is 1 to 64 letters, digits, '_' or '-'")
    if name in BUILTIN_TOOLSETS:
        raise fail(f"'{name}' is the name of a built-in toolset; choose another name")
    if not isinstance(spec, Mapping):
        raise fail("must be a table")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise fail(f"unknown key '{unknown[0]}' (known: {', '.join(sorted(_KEYS))})")
    description = spec.get("description")
    if not isinstance(description, str) or not description.strip():
        raise fail(
            "description must be a non-empty string (the model reads it to decide when to call the tool)"
        )
    command = spec.get("command")
    if isinstance(command, str):
        raise fail('command must be an argv list like ["wc", "-w"]; for a shell write ["sh", "-c", "..."]')
    if not isinstance(command, list) or not command or not all(isinstance(p, str) and p for p in command):
        raise fail("command must be a non-empty list of non-empty strings")
    schema, schema_file = _schema(spec.get("input_schema"), config_file, fail)
    return ConfiguredTool(
        name=name,
        description=description.strip(),
        command=tuple(command),
        input_schema=schema,
        input_schema_file=schema_file,
        timeout=_timeout(spec.get("timeout", DEFAULT_TIMEOUT), fail),
        approval=_approval(spec.get("approval", "ask"), fail),
        source=where,
    )


def _schema(value: Any, config_file: Path, fail: Any) -> tuple[Mapping[str, Any] | None, Path | None]:
    if value is None:
        return {"type": "object", "properties": {}}, None
    if isinstance(value, str):
        path = Path(value).expanduser()
        return None, path if path.is_absolute() else config_file.parent / path
    if isinstance(value, Mapping):
        if value.get("type") != "object":
            raise fail('input_schema must be a JSON schema with type = "object"')
        return dict(value), None
    raise fail("input_schema must be a table or the path of a JSON file")


def _timeout(value: Any, fail: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail("timeout must be a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise fail("timeout must be a positive number of seconds")
    return float(value)


def _approval(value: Any, fail: Any) -> str:
    if value not in APPROVALS:
        raise fail(f"approval must be one of {', '.join(repr(a) for a in APPROVALS)}")
    return str(value)
