"""Bits every command module shares: reaching the app context, and the output flags' spelling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.core.roles import Role


def app_context(ctx: typer.Context) -> AppContext:
    """The context the root callback built (commands never construct their own)."""
    app_ctx: AppContext = ctx.find_root().obj
    return app_ctx


JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
PlainFlag = Annotated[
    bool, typer.Option("--plain", help="No Markdown rendering or colour, even on a terminal.")
]
QuietFlag = Annotated[bool, typer.Option("--quiet", "-q", help="Hide the per-call summary and notes.")]

# The request options `ask` and `chat` share (batch words its own help: there they fill in for lines).
ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="Model id or alias (opus, sonnet, haiku, ...).")
]
SystemOption = Annotated[
    str | None, typer.Option("--system", "-s", help="System prompt text, or @path to read a file.")
]
ThinkingOption = Annotated[
    str | None, typer.Option("--thinking", help="adaptive, off, or a budget in tokens (>= 1024).")
]
RoleOption = Annotated[
    str | None, typer.Option("--role", "-r", help="Use the [roles.NAME] from config (flags still win).")
]


def apply_role(app_ctx: AppContext, name: str | None) -> Role | None:
    """Put the role's model, max_tokens and system prompt under the flags; return it for the rest (None: no role)."""
    if name is None:
        return None
    from claudecli.core.roles import find_role

    role = find_role(app_ctx.settings.roles, name)
    app_ctx.settings = app_ctx.settings.with_role(role)
    return role


def role_tools(app_ctx: AppContext, role: Role | None, flags: list[str] | None) -> list[str] | None:
    """The local tool sets to enable: ``--tools`` when given, else the role's (like its other settings). A tool
    the role names that is neither built in nor configured is a usage error naming the role, not ``--tools``."""
    if flags or role is None:
        return flags or None
    if role.tools:
        from claudecli.core.tool_config import check_known_toolsets

        check_known_toolsets(list(role.tools), app_ctx.settings.tools, f"role {role.name}: tools")
    return list(role.tools)


def role_mcp_servers(app_ctx: AppContext, role: Role | None, flags: list[str] | None) -> list[str] | None:
    """The MCP servers to enable: the role's, then those ``--mcp`` adds (the tool set removes repeats). Unlike
    the role's other settings, the flags add to its list rather than replace it. A server the role names that
    config does not define is a usage error naming the role, as an unknown ``--mcp NAME`` is."""
    if role is None or not role.mcp:
        return flags
    from claudecli.tools.mcp_setup import check_known

    check_known(role.mcp, app_ctx.settings.mcp, f"role {role.name}: mcp")
    return [*role.mcp, *(flags or [])]


_PLATFORM = "Platform"
BetaOption = Annotated[
    list[str] | None,
    typer.Option(
        "--beta",
        help="Send anthropic-beta NAME (repeatable; adds to config betas).",
        rich_help_panel=_PLATFORM,
    ),
]
SpeedOption = Annotated[
    str | None,
    typer.Option(
        "--speed",
        help="standard or fast (fast mode costs more; its beta is added).",
        rich_help_panel=_PLATFORM,
    ),
]
ServiceTierOption = Annotated[
    str | None,
    typer.Option(
        "--service-tier",
        help="auto (priority capacity if you have it) or standard_only.",
        rich_help_panel=_PLATFORM,
    ),
]
InferenceGeoOption = Annotated[
    str | None,
    typer.Option(
        "--inference-geo",
        help="Where the model runs: a region such as us, or global.",
        rich_help_panel=_PLATFORM,
    ),
]


def apply_platform_flags(
    app_ctx: AppContext,
    beta: list[str] | None,
    speed: str | None,
    service_tier: str | None,
    inference_geo: str | None,
) -> None:
    """--beta adds to the configured betas; the other three replace their setting."""
    settings = app_ctx.settings
    betas = (*settings.betas, *beta) if beta else None
    app_ctx.settings = settings.with_flags(
        betas=betas, speed=speed, service_tier=service_tier, inference_geo=inference_geo
    )


UploadFlag = Annotated[
    bool,
    typer.Option(
        "--upload",
        help="Upload -a files through the Files API (once: the same content reuses its id) and attach them by id.",
    ),
]
FallbackOption = Annotated[
    str | None,
    typer.Option(
        "--fallback",
        metavar="MODEL",
        help="Ask MODEL once when the model is overloaded (529) before any text (default: fallback_model).",
        show_default=False,
    ),
]
