"""What the tool flags asked for, the same for ask, chat and batch run (the Typer side is ``cli/tool_flags.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ToolOptions:
    toolsets: tuple[str, ...] = ()  # --tools: "fs", "shell", or the NAME of a [tools.NAME] config tool
    root: Path | None = None  # --root: where the fs toolset may look (default: the current directory)
    fs_allow_hidden: bool = False  # --fs-allow-hidden: dotfiles, .env, keys and credentials become readable
    functions: tuple[Path, ...] = ()  # --functions FILE.py (repeatable)
    approve: tuple[str, ...] = ()  # --approve NAME (repeatable): run NAME without asking
    yes: bool = False  # --yes: run "ask" tools without asking (never "explicit" ones such as run_command)
    max_steps: int | None = None  # --max-steps (default: the max_tool_steps setting)
    web_search: bool = False
    max_uses: int | None = None  # --max-uses for web search and web fetch
    allowed_domains: tuple[str, ...] = ()  # --allowed-domain (repeatable), for web search and web fetch
    web_fetch: bool = False
    code_execution: bool = False
    mcp: tuple[str, ...] = ()  # --mcp NAME (repeatable): an [mcp.NAME] server of config.toml

    @property
    def local(self) -> bool:
        """Tools claudecli runs itself, here or through an MCP server (a batch cannot run them)."""
        return bool(self.toolsets or self.functions or self.mcp)

    @property
    def server(self) -> bool:
        """Tools Anthropic runs."""
        return self.web_search or self.web_fetch or self.code_execution

    @property
    def any(self) -> bool:
        return self.local or self.server
