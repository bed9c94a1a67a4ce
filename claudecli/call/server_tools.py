"""Server tools (run by Anthropic): their request entries, and what their result blocks say.

The versions are the newest the installed SDK (2.16) ships in ``anthropic.types`` (``web_search_20260318``,
``web_fetch_20260318``, ``code_execution_20260521``); the API refuses a version it does not know, so these move only
with the SDK. ``--allowed-domain`` applies to search and fetch alike: with ``fs`` auto-approved, an unrestricted
fetch is an exfiltration route, so a user who limits one limits both.
"""

from __future__ import annotations

from typing import Any

from claudecli.core.errors import UsageError
from claudecli.tools.options import ToolOptions

WEB_SEARCH_TYPE = "web_search_20260318"
WEB_FETCH_TYPE = "web_fetch_20260318"
CODE_EXECUTION_TYPE = "code_execution_20260521"
SERVER_TOOL_NAMES = frozenset({"web_search", "web_fetch", "code_execution"})
# Blocks the API adds to an assistant turn when a server tool ran (the loop passes them back unchanged).
SERVER_RESULT_TYPES = frozenset(
    {
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
    }
)
CODE_EXECUTION_NOTE = "code execution is billed by container time: not priced from usage"


def _limits(options: ToolOptions) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    if options.max_uses is not None:
        limits["max_uses"] = options.max_uses
    if options.allowed_domains:
        limits["allowed_domains"] = list(options.allowed_domains)
    return limits


def server_tool_definitions(options: ToolOptions) -> list[dict[str, Any]]:
    """The request's ``tools`` entries for the server tools the flags asked for (in a fixed order).

    ``--max-uses`` or ``--allowed-domain`` without ``--web-search``/``--web-fetch`` is a usage error: a limit
    that limits nothing would let a user believe fetches are confined when none were asked for.
    """
    if (options.max_uses is not None or options.allowed_domains) and not (
        options.web_search or options.web_fetch
    ):
        raise UsageError("--max-uses and --allowed-domain need --web-search or --web-fetch")
    tools: list[dict[str, Any]] = []
    if options.web_search:
        tools.append({"type": WEB_SEARCH_TYPE, "name": "web_search", **_limits(options)})
    if options.web_fetch:
        tools.append({"type": WEB_FETCH_TYPE, "name": "web_fetch", **_limits(options)})
    if options.code_execution:
        tools.append({"type": CODE_EXECUTION_TYPE, "name": "code_execution"})
    return tools


def uses_code_execution(params: dict[str, Any]) -> bool:
    """Whether a request offers code execution (its cost is not in the usage the API returns)."""
    return any(
        isinstance(tool, dict) and str(tool.get("type", "")).startswith("code_execution_")
        for tool in params.get("tools") or []
    )


def search_results(block: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, url) of each result in a ``web_search_tool_result`` block (none for an error result)."""
    content = block.get("content")
    if not isinstance(content, list):
        return []
    return [
        (str(item.get("title") or ""), str(item.get("url") or ""))
        for item in content
        if isinstance(item, dict) and item.get("type") == "web_search_result"
    ]


def server_tool_error(block: dict[str, Any]) -> str | None:
    """The error code of a server tool result that failed (``max_uses_exceeded``, ...), else None."""
    content = block.get("content")
    if isinstance(content, dict) and str(content.get("type", "")).endswith("error"):
        return str(content.get("error_code") or "error")
    return None
