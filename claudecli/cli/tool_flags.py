"""The tool flags shared by ask, chat and batch run (one declaration, one meaning)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from claudecli.tools.options import ToolOptions

_PANEL = "Tools"

ToolsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tools",
        "-T",
        help="Enable tools: fs (read-only files), shell (run_command), or a [tools.NAME] from config. Repeatable.",
        rich_help_panel=_PANEL,
    ),
]
RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root", help="Where the fs tools may look (default: the current directory).", rich_help_panel=_PANEL
    ),
]
FsAllowHiddenFlag = Annotated[
    bool,
    typer.Option("--fs-allow-hidden", help="Let fs tools read dotfiles, .env, keys.", rich_help_panel=_PANEL),
]
FunctionsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--functions", help="Python file whose typed functions become tools.", rich_help_panel=_PANEL
    ),
]
ApproveOption = Annotated[
    list[str] | None,
    typer.Option("--approve", help="Run tool NAME without asking (repeatable).", rich_help_panel=_PANEL),
]
YesFlag = Annotated[
    bool,
    typer.Option(
        "--yes", "-y", help='Run "ask" tools without asking (never run_command).', rich_help_panel=_PANEL
    ),
]
MaxStepsOption = Annotated[
    int | None,
    typer.Option(
        "--max-steps", min=1, help="Most API calls in one tool loop (default 10).", rich_help_panel=_PANEL
    ),
]
WebSearchFlag = Annotated[
    bool, typer.Option("--web-search", help="Let Claude search the web.", rich_help_panel=_PANEL)
]
MaxUsesOption = Annotated[
    int | None,
    typer.Option("--max-uses", min=1, help="Most web searches or fetches per call.", rich_help_panel=_PANEL),
]
AllowedDomainOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allowed-domain", help="Limit web search and fetch to DOMAIN (repeatable).", rich_help_panel=_PANEL
    ),
]
WebFetchFlag = Annotated[
    bool, typer.Option("--web-fetch", help="Let Claude fetch web pages.", rich_help_panel=_PANEL)
]
CodeExecutionFlag = Annotated[
    bool,
    typer.Option(
        "--code-execution", help="Let Claude run code in Anthropic's sandbox.", rich_help_panel=_PANEL
    ),
]
McpOption = Annotated[
    list[str] | None,
    typer.Option(
        "--mcp",
        metavar="NAME",
        help="Enable the tools of the [mcp.NAME] server from config (repeatable; needs claudecli[mcp]).",
        rich_help_panel=_PANEL,
    ),
]


def _split(values: list[str] | None) -> tuple[str, ...]:
    """``--tools fs,shell`` and ``--tools fs --tools shell`` mean the same."""
    return tuple(part.strip() for value in values or [] for part in value.split(",") if part.strip())


def tool_options(
    *,
    tools: list[str] | None = None,
    root: Path | None = None,
    fs_allow_hidden: bool = False,
    functions: list[Path] | None = None,
    approve: list[str] | None = None,
    yes: bool = False,
    max_steps: int | None = None,
    web_search: bool = False,
    max_uses: int | None = None,
    allowed_domain: list[str] | None = None,
    web_fetch: bool = False,
    code_execution: bool = False,
    mcp: list[str] | None = None,
) -> ToolOptions:
    return ToolOptions(
        toolsets=_split(tools),
        root=root,
        fs_allow_hidden=fs_allow_hidden,
        functions=tuple(functions or ()),
        approve=_split(approve),
        yes=yes,
        max_steps=max_steps,
        web_search=web_search,
        max_uses=max_uses,
        allowed_domains=_split(allowed_domain),
        web_fetch=web_fetch,
        code_execution=code_execution,
        mcp=_split(mcp),
    )
