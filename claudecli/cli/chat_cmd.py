"""`claudecli chat`: the interactive REPL (wiring only; logic in claudecli/chat/)."""

from __future__ import annotations

from typing import Annotated

import typer

from claudecli.cli.common import (
    BetaOption,
    FallbackOption,
    InferenceGeoOption,
    JsonFlag,
    ModelOption,
    PlainFlag,
    QuietFlag,
    RoleOption,
    ServiceTierOption,
    SpeedOption,
    SystemOption,
    ThinkingOption,
    UploadFlag,
    app_context,
    apply_platform_flags,
    apply_role,
    role_mcp_servers,
    role_tools,
)
from claudecli.cli.tool_flags import (
    AllowedDomainOption,
    ApproveOption,
    CodeExecutionFlag,
    FsAllowHiddenFlag,
    FunctionsOption,
    MaxStepsOption,
    MaxUsesOption,
    McpOption,
    RootOption,
    ToolsOption,
    WebFetchFlag,
    WebSearchFlag,
    YesFlag,
    tool_options,
)

HELP = """Chat with Claude in an interactive REPL.

Enter sends, Alt-Enter adds a line, Ctrl-C cancels an answer, Ctrl-D leaves; /help lists the slash
commands. Every session is saved as it goes: -c continues the latest, --session NAME resumes or
starts a named one, --list shows them. Needs a terminal: for pipes and scripts use `claudecli ask`.
With tool flags (--tools, --functions, --web-search, ...) Claude may use tools; each local call that
needs approval is asked about at the terminal. /tools lists them.
"""


def chat(
    ctx: typer.Context,
    model: ModelOption = None,
    role: RoleOption = None,
    fallback: FallbackOption = None,
    system: SystemOption = None,
    attach: Annotated[
        list[str] | None,
        typer.Option(
            "--attach", "-a", help="File, http(s) URL or file:ID for the first message (repeatable)."
        ),
    ] = None,
    upload: UploadFlag = False,
    thinking: ThinkingOption = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Resume the session with this name, or start it.")
    ] = None,
    resume_latest: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the most recent session.")
    ] = False,
    list_sessions: Annotated[bool, typer.Option("--list", help="List saved sessions and exit.")] = False,
    beta: BetaOption = None,
    speed: SpeedOption = None,
    service_tier: ServiceTierOption = None,
    inference_geo: InferenceGeoOption = None,
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
    quiet: QuietFlag = False,
    tools: ToolsOption = None,
    root: RootOption = None,
    fs_allow_hidden: FsAllowHiddenFlag = False,
    functions: FunctionsOption = None,
    approve: ApproveOption = None,
    yes: YesFlag = False,
    max_steps: MaxStepsOption = None,
    web_search: WebSearchFlag = False,
    max_uses: MaxUsesOption = None,
    allowed_domain: AllowedDomainOption = None,
    web_fetch: WebFetchFlag = False,
    code_execution: CodeExecutionFlag = False,
    mcp: McpOption = None,
) -> None:
    from claudecli.render.terminal import hide_typed_echo

    # Keys typed while the chat loads wait, unechoed, for its first prompt, which shows them (echoed by the tty
    # too, they stood a second time above the prompt). Given back there (repl.run), or as the command ends.
    until_prompt = hide_typed_echo()
    ctx.call_on_close(until_prompt)
    from claudecli.chat.core import ChatOptions
    from claudecli.core.errors import UsageError

    app_ctx = app_context(ctx)
    chosen = apply_role(app_ctx, role)
    apply_platform_flags(app_ctx, beta, speed, service_tier, inference_geo)
    if as_json and not list_sessions:
        raise UsageError("--json goes with --list (the chat itself is interactive)")
    if list_sessions and (session is not None or resume_latest or attach):
        raise UsageError("--list shows every session: it takes no --session, --continue or --attach")
    app_ctx.set_output(plain=plain, json=as_json, quiet=quiet)
    app_ctx.settings = app_ctx.settings.with_flags(fallback_model=fallback)
    if list_sessions:
        from claudecli.chat.core import list_sessions as show_sessions

        raise typer.Exit(show_sessions(app_ctx, as_json=as_json))
    from claudecli.chat.core import run

    options = ChatOptions(
        model=model,
        system=system,
        attach=list(attach or []),
        thinking=thinking if thinking is not None or chosen is None else chosen.thinking,
        session=session,
        resume_latest=resume_latest,
        upload=upload,
        tools=tool_options(
            tools=role_tools(app_ctx, chosen, tools),
            root=root,
            fs_allow_hidden=fs_allow_hidden,
            functions=functions,
            approve=approve,
            yes=yes,
            max_steps=max_steps,
            web_search=web_search,
            max_uses=max_uses,
            allowed_domain=allowed_domain,
            web_fetch=web_fetch,
            code_execution=code_execution,
            mcp=role_mcp_servers(app_ctx, chosen, mcp),
        ),
    )
    raise typer.Exit(run(app_ctx, options, until_prompt=until_prompt))


chat.__doc__ = HELP
