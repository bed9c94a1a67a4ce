"""Roles: named bundles of a system prompt, model, thinking, effort, max_tokens, tools and MCP servers (``-r NAME``).

A role is defined as ``[roles.NAME]`` in ``config.toml`` or, for one profile, ``[profiles.P.roles.NAME]`` (the
profile's wins). Only your own config file defines roles: a ``.env`` holds no tables, and a role may name tools
and MCP servers, which only your config may enable. A role supplies defaults; the command line still wins over it,
except for MCP servers, where ``--mcp`` adds to the role's list (see ``role_mcp_servers`` in cli/common.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudecli.core.errors import ConfigError, NotFoundError, UsageError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, read_capped, unreadable
from claudecli.core.names import check_name

MIN_THINKING_BUDGET = 1024  # the API's smallest budget_tokens
ROLE_KEYS = ("description", "system", "model", "thinking", "effort", "max_tokens", "tools", "mcp")
_EFFORTS = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class Role:
    name: str
    source: str  # "FILE [roles.NAME]" or "FILE [profiles.P.roles.NAME]"
    description: str | None = None
    system: str | None = None  # text, or "@path" (relative to the config file's directory)
    model: str | None = None
    thinking: str | None = None  # "adaptive", "off", or a budget in tokens, as --thinking takes it
    effort: str | None = None
    max_tokens: int | None = None
    tools: tuple[str, ...] = ()
    mcp: tuple[str, ...] = ()  # [mcp.NAME] servers, enabled as --mcp NAME would
    base_dir: Path = field(default=Path("."), compare=False)

    def system_text(self) -> str | None:
        """The system prompt, reading an ``@file`` now (``@@`` is a literal ``@``)."""
        if self.system is None or not self.system.startswith("@") or self.system.startswith("@@"):
            return self.system[1:] if self.system and self.system.startswith("@@") else self.system
        path = (self.base_dir / self.system[1:]).expanduser()
        label = f"role {self.name}: system {path}"
        try:
            raw = read_capped(path, TEXT_FILE_LIMIT, label)
        except OSError as exc:
            raise unreadable(label, exc) from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{label}: not UTF-8 text") from None

    def summary(self) -> dict[str, Any]:
        """For ``claudecli roles --json`` (the system prompt's text is not printed, only where it comes from)."""
        system = self.system
        shown = None if system is None else system if system.startswith("@") else f"{len(system)} characters"
        return {
            "name": self.name,
            "description": self.description,
            "model": self.model,
            "thinking": self.thinking,
            "effort": self.effort,
            "max_tokens": self.max_tokens,
            "tools": list(self.tools),
            "mcp": list(self.mcp),
            "system": shown,
            "source": self.source,
        }


def parse_roles(table: Any, where: str, base_dir: Path) -> dict[str, Role]:
    """``[roles]`` (a table of tables) as Roles; anything malformed is a ConfigError naming the key."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: roles must be a table of [roles.NAME] tables")
    roles = {}
    for name, body in table.items():
        label = f"{where} [roles.{name}]"
        try:
            check_name("role", name)
        except UsageError as exc:
            raise ConfigError(f"{label}: {exc.message}") from None
        if not isinstance(body, Mapping):
            raise ConfigError(f"{label} must be a table")
        roles[name] = _role(name, body, label, base_dir)
    return roles


def _thinking(value: Any, label: str) -> str | None:
    """``adaptive``, ``off`` or a budget (a number, or its digits), checked here so a bad one is a config error
    naming the role rather than a ``--thinking`` error the person did not type."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or value in ("adaptive", "off"):
        return value
    if (
        not isinstance(value, str)
        or not (value.isascii() and value.isdigit())
        or int(value) < MIN_THINKING_BUDGET
    ):
        raise ConfigError(
            f"{label}: thinking must be adaptive, off or a budget of at least {MIN_THINKING_BUDGET} tokens"
        )
    return value


def _model(value: str | None, label: str) -> str | None:
    if value is not None and not value.strip():
        raise ConfigError(f"{label}: model must not be empty (leave it out for the usual model)")
    return value


def _role(name: str, body: Mapping[str, Any], label: str, base_dir: Path) -> Role:
    unknown = sorted(set(body) - set(ROLE_KEYS))
    if unknown:
        raise ConfigError(f"{label}: unknown key '{unknown[0]}' (a role takes {', '.join(ROLE_KEYS)})")

    def text(key: str) -> str | None:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{label}: {key} must be a string")
        return value

    thinking = _thinking(body.get("thinking"), label)
    effort = text("effort")
    if effort is not None and effort not in _EFFORTS:
        raise ConfigError(f"{label}: effort must be one of {', '.join(_EFFORTS)}")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise ConfigError(f"{label}: max_tokens must be a positive whole number")
    tools = body.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(tool, str) for tool in tools):
        raise ConfigError(f"{label}: tools must be a list of tool names")
    mcp = body.get("mcp", [])
    if not isinstance(mcp, list) or not all(isinstance(server, str) for server in mcp):
        raise ConfigError(f"{label}: mcp must be a list of MCP server names")
    return Role(
        name=name,
        source=label,
        description=text("description"),
        system=text("system"),
        model=_model(text("model"), label),
        thinking=thinking,
        effort=effort,
        max_tokens=max_tokens,
        tools=tuple(tools),
        mcp=tuple(dict.fromkeys(mcp)),
        base_dir=base_dir,
    )


def find_role(roles: Mapping[str, Role], name: str) -> Role:
    role = roles.get(name)
    if role is None:
        known = ", ".join(sorted(roles)) or "none are defined (add [roles.NAME] to config.toml)"
        raise NotFoundError(f"no role named '{name}'", hint=f"known roles: {known}")
    return role


def role_rows(roles: Mapping[str, Role]) -> list[list[str]]:
    """One table row per role: name, model, tools, MCP servers, description, where it is defined."""
    return [
        [
            role.name,
            role.model or "-",
            ",".join(role.tools) or "-",
            ",".join(role.mcp) or "-",
            role.description or "",
            role.source,
        ]
        for role in sorted(roles.values(), key=lambda role: role.name)
    ]
