"""Building the toolbox a command's tool flags ask for: ``build_toolbox``, the one entry point.

``--tools NAME`` names a built-in toolset (``fs``, ``shell``) or a ``[tools.NAME]`` of config.toml;
``--functions FILE.py`` adds a file's functions; ``--mcp NAME`` an ``[mcp.NAME]`` server's tools (``mcp_setup``,
started last so their names can avoid the others'). Tool names must be valid for the API and unique across every
source (a clash names both), and every ``--approve NAME`` must name one of the enabled tools (a typo must not
silently leave a tool unapproved, nor look approved).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.core.errors import UsageError
from claudecli.core.tool_config import TOOL_NAME, check_known_toolsets
from claudecli.tools.approval import AskPerson, make_approver
from claudecli.tools.base import ToolSource
from claudecli.tools.box import Toolbox
from claudecli.tools.child import child_environment
from claudecli.tools.guard import guard_process_memory
from claudecli.tools.options import ToolOptions

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


def build_toolbox(app_ctx: AppContext, options: ToolOptions, ask_person: AskPerson | None) -> Toolbox | None:
    """The toolbox of the local tools ``options`` names, or None when it names none.

    ``ask_person`` is who to ask about calls that need approval: ``terminal_ask_person()`` for ask and batch
    run (None off a terminal), chat's own prompt in chat, None for nobody. The caller closes the toolbox.
    """
    if not options.local:
        return None
    _guard_memory(app_ctx)

    def environment() -> dict[str, str]:  # computed per run: api_key_command may have taught us a key since
        return child_environment(app_ctx.scrubber.forms())

    sources: list[ToolSource] = []
    try:
        sources = _sources(app_ctx, options, environment, sources)
        _check_names(sources)
        _check_approvals(options, sources)
    except BaseException:
        for source in sources:
            source.close()
        raise
    approver = make_approver(options, ask_person)
    if options.mcp:
        from claudecli.tools.mcp_setup import reapproving

        approver = reapproving(approver, sources, ask_person)
    return Toolbox(sources, approver, app_ctx.scrub)


def _guard_memory(app_ctx: AppContext) -> None:
    """Before any tool process starts: claudecli's environ and memory become unreadable to them (``guard``)."""
    unguarded = guard_process_memory()
    if unguarded and app_ctx.debug:
        app_ctx.note(f"note: tool processes may read claudecli's memory on this system ({unguarded})")


def _sources(
    app_ctx: AppContext,
    options: ToolOptions,
    environment: Callable[[], dict[str, str]],
    sources: list[ToolSource],
) -> list[ToolSource]:
    """Every source, appended to ``sources`` as it starts (so a later failure can close the earlier ones)."""
    from claudecli.tools.command import CommandTools
    from claudecli.tools.fs import FsTools
    from claudecli.tools.functions import FunctionTools
    from claudecli.tools.shell import ShellTools

    configured = app_ctx.settings.tools
    names = list(dict.fromkeys(options.toolsets))
    check_known_toolsets(names, configured, "--tools")
    root = _root(options.root) if {"fs", "shell"} & set(names) else Path.cwd()
    if "fs" in names:
        sources.append(FsTools(root, allow_hidden=options.fs_allow_hidden, secrets=app_ctx.scrubber.forms))
    if "shell" in names:
        sources.append(ShellTools(root, environment))
    chosen = [configured[name] for name in names if name in configured]
    if chosen:
        sources.append(CommandTools(chosen, environment))
    for path in options.functions:
        functions = FunctionTools(path, environment)
        sources.append(functions)
        for skipped in functions.skipped:
            app_ctx.warn(f"--functions {path}: skipped {skipped}")
    if options.mcp:
        from claudecli.tools.mcp_setup import add_mcp_sources

        add_mcp_sources(app_ctx, options, sources)
    return sources


def _root(root: Path | None) -> Path:
    chosen = root if root is not None else Path.cwd()
    try:
        resolved = chosen.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UsageError(f"--root {chosen}: no such directory") from None
    if not resolved.is_dir():
        raise UsageError(f"--root {chosen}: not a directory")
    return resolved


def _check_names(sources: list[ToolSource]) -> None:
    seen: dict[str, str] = {}
    for source in sources:
        for tool in source.tools():
            where = tool.source or type(source).__name__
            if not TOOL_NAME.fullmatch(tool.name):
                raise UsageError(
                    f"tool {tool.name!r} from {where}: a name is 1 to 64 letters, digits, '_' or '-'"
                )
            if tool.name in seen:
                raise UsageError(
                    f"two tools are named {tool.name!r}: one from {seen[tool.name]}, one from {where}",
                    hint="rename one of them, or enable only one",
                )
            seen[tool.name] = where


def _check_approvals(options: ToolOptions, sources: list[ToolSource]) -> None:
    enabled = {tool.name for source in sources for tool in source.tools()}
    for name in options.approve:
        if name not in enabled:
            raise UsageError(
                f"--approve {name}: no such tool is enabled (enabled: {', '.join(sorted(enabled)) or 'none'})"
            )
