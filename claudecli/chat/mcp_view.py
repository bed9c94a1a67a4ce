"""What chat's ``/mcp`` shows: every MCP server config.toml defines, whether this chat enabled it, and the tools
of those it did (the name the model uses, the server's own name, the approval, the description's first line).

Descriptions come from the server: terminal escapes are stripped before they are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from claudecli.tools.sanitize import strip_escapes

if TYPE_CHECKING:
    from claudecli.core.mcp_config import McpServerConfig
    from claudecli.tools.base import ToolSource

DESCRIPTION_CELLS = 60
NONE_CONFIGURED = (
    "no MCP servers are configured; define [mcp.NAME] in config.toml (see the README's MCP servers)"
)


def server_lines(configured: Mapping[str, McpServerConfig], sources: list[ToolSource]) -> list[str]:
    """One line per configured server: how it is reached, and what this chat did with it."""
    enabled = _enabled(sources)
    lines = []
    for name, config in sorted(configured.items()):
        where = f"stdio: {config.command}" if config.command else "streamable HTTP"
        source = enabled.get(name)
        if source is None:
            lines.append(f"{name} ({where}) · not enabled in this chat (start chat with --mcp {name})")
            continue
        count = len(source.tools())
        state = f"{count} tool{'s' * (count != 1)} · approval {config.approval}"
        if getattr(source, "changed", False):
            state += " · changed its tool list: each tool is asked about again"
        lines.append(f"{name} ({where}) · {state}")
    return lines


def tool_rows(sources: list[ToolSource]) -> list[list[str]]:
    """(tool, server's name, approval, description) for every tool of an enabled MCP server."""
    rows = []
    for source in _enabled(sources).values():
        original: Any = getattr(source, "original_name", lambda name: name)
        for tool in source.tools():
            first_line = strip_escapes(tool.description).strip().split("\n", 1)[0]
            rows.append([tool.name, strip_escapes(original(tool.name)), tool.approval.value, first_line])
    return rows


def _enabled(sources: list[ToolSource]) -> dict[str, ToolSource]:
    """The MCP servers among ``sources``, by name (found by shape: importing their module needs the SDK)."""
    return {
        str(source.name): source  # type: ignore[attr-defined]
        for source in sources
        if hasattr(source, "changed") and hasattr(source, "original_name")
    }
