"""``--mcp NAME``: the servers a command enables, as tool sources, and the approval rule for a changed server.

Kept apart from ``mcp_source`` so that checking the flags and the install costs nothing: the ``mcp`` package is
imported only once a named server is about to start.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from claudecli.core.errors import UsageError
from claudecli.tools.approval import AskPerson, PersonAnswer
from claudecli.tools.base import Approver, Decision, Tool, ToolCall, ToolSource

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.tools.options import ToolOptions

INSTALL_HINT = "install it with `pipx inject claudecli mcp` (pipx) or `pip install 'claudecli[mcp]'`"


def require_mcp(names: list[str]) -> None:
    """The optional ``mcp`` package, loaded, or a usage error (exit 2) with the exact install command. It names
    the servers rather than a flag: they may come from ``--mcp`` or from a role's ``mcp`` list."""
    try:
        import claudecli.tools.mcp_source  # noqa: F401  (every part of mcp that claudecli uses)
    except ImportError as exc:
        servers = f"MCP servers {', '.join(names)} need" if len(names) > 1 else f"MCP server {names[0]} needs"
        if exc.name == "mcp":
            raise UsageError(
                f"{servers} the optional mcp package, which is not installed", hint=INSTALL_HINT
            ) from None
        raise UsageError(  # installed, but broken or of another version: ModuleNotFoundError names what is missing
            f"{servers} the optional mcp package, which is installed but cannot be loaded "
            f"({exc.name or 'an import failed'} is missing)",
            hint=INSTALL_HINT.replace("install it", "reinstall it") + " (claudecli needs mcp 2 or later)",
        ) from None


def check_known(names: Iterable[str], configured: Mapping[str, object], label: str) -> None:
    """A usage error (exit 2, one line) for the first of ``names`` config does not define: ``LABEL NAME: no such
    MCP server (known: ...)``; ``label`` is ``--mcp`` for the flag, ``role R: mcp`` for a role's list."""
    unknown = [name for name in names if name not in configured]
    if unknown:
        known = f"known: {', '.join(sorted(configured))}" if configured else "none is configured"
        raise UsageError(
            f"{label} {unknown[0]}: no such MCP server ({known})",
            hint="define servers as [mcp.NAME] in config.toml",
        )


def add_mcp_sources(app_ctx: AppContext, options: ToolOptions, sources: list[ToolSource]) -> None:
    """Start every server ``--mcp`` names, together, appending each to ``sources`` as it starts (so the caller
    can close them all, whatever happens). Their tools' names avoid those of the sources already there and are
    given in the order the servers were named."""
    names = list(dict.fromkeys(options.mcp))
    if not names:
        return
    configured = app_ctx.settings.mcp
    check_known(names, configured, "--mcp")
    require_mcp(names)
    from claudecli.tools.mcp_source import start_servers

    taken = {tool.name for source in sources for tool in source.tools()}
    start_servers([configured[name] for name in names], app_ctx.warn, sources, taken)


def changed_reason(server: str) -> str:
    return (
        f"not run: MCP server {server} changed its tool list during this run, so its tools need a person's "
        "approval again, and there is no terminal to ask on"
    )


def reapproving(approver: Approver, sources: list[ToolSource], ask_person: AskPerson | None) -> Approver:
    """``approver``, except for the tools of a server that changed its tool list during this run: those are
    asked about again, whatever ``auto``, ``--approve``, ``--yes`` or an earlier ``a`` said; with nobody to ask
    they are declined. A new ``a`` answer holds for that tool for the rest of the run."""
    servers = {
        tool.name: source for source in sources if hasattr(source, "changed") for tool in source.tools()
    }
    if not servers:
        return approver
    again: set[str] = set()
    lock = threading.Lock()

    def approve(tool: Tool, call: ToolCall) -> Decision:
        source = servers.get(tool.name)
        if source is None or not getattr(source, "changed", False):
            return approver(tool, call)
        if tool.name in again:
            return Decision(True, call.input)
        reason = changed_reason(getattr(source, "name", tool.source))
        if ask_person is None:
            return Decision(False, reason=reason)
        with lock:
            try:
                answer = ask_person(tool, call)
            except OSError:
                return Decision(False, reason=reason)
        return _decision(answer, tool, call, again)

    return approve


def _decision(answer: PersonAnswer, tool: Tool, call: ToolCall, again: set[str]) -> Decision:
    if answer.choice == "a":
        again.add(tool.name)
    if answer.choice in ("a", "y"):
        return Decision(True, call.input)
    if answer.choice == "e" and isinstance(answer.input, dict):
        return Decision(True, answer.input, edited=True)
    return Decision(False, reason="declined by the user")
