"""The tools of one chat: the local toolbox, the server tools, the step limit, and what /tools shows.

They are fixed for the whole chat (the flags it was started with), so every request of every turn offers the
same tool set and the cached prefix holds. Approvals answered ``a`` last for the chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from claudecli.tools.options import ToolOptions

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.tools.approval import AskPerson
    from claudecli.tools.box import Toolbox

DEFAULT_MAX_STEPS = 10
ENABLE_HINT = (
    "start chat with --tools fs (read files), --tools shell (run commands), --tools NAME (a [tools.NAME] of "
    "config.toml), --functions FILE.py, --mcp NAME (an [mcp.NAME] server), --web-search, --web-fetch or "
    "--code-execution"
)
SERVER_APPROVAL = "runs at Anthropic"


@dataclass
class ChatTools:
    toolbox: Toolbox | None = None
    server: list[dict[str, Any]] = field(default_factory=list)  # server tool entries of the request's tools
    max_steps: int = DEFAULT_MAX_STEPS

    @property
    def any(self) -> bool:
        return self.toolbox is not None or bool(self.server)

    def names(self) -> frozenset[str]:
        """Every tool name the requests offer (a stored exchange is replayed block for block only with these)."""
        local = {tool.name for tool in self.toolbox.tools()} if self.toolbox is not None else set()
        return frozenset(local | {str(entry.get("name")) for entry in self.server})

    def with_tools(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with the chat's tool set: the local tools' definitions, then the server tools."""
        if not self.any:
            return params
        local = self.toolbox.definitions() if self.toolbox is not None else []
        return {**params, "tools": [*local, *self.server]}

    def rows(self) -> list[tuple[str, str, str]]:
        """(name, source, approval) of each tool, for /tools."""
        rows = []
        if self.toolbox is not None:
            rows += [
                (tool.name, tool.source or "local", tool.approval.value) for tool in self.toolbox.tools()
            ]
        rows += [(str(entry.get("name")), "server", SERVER_APPROVAL) for entry in self.server]
        return rows

    def close(self) -> None:
        if self.toolbox is not None:
            self.toolbox.close()


def open_tools(app_ctx: AppContext, options: ToolOptions, ask_person: AskPerson | None) -> ChatTools:
    """The tools ``options`` (the chat's tool flags) ask for; a bad flag is a usage error before the REPL."""
    from claudecli.call.server_tools import server_tool_definitions
    from claudecli.call.tool_setup import max_steps
    from claudecli.tools.setup import build_toolbox

    toolbox = build_toolbox(app_ctx, options, ask_person)
    return ChatTools(toolbox, server_tool_definitions(options), max_steps(app_ctx, options))
