"""`claudecli ask`: one-shot prompts for terminals and shell pipelines (wiring only; logic in oneshot.py)."""

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

HELP = """Ask Claude once and print the answer.

The prompt comes from the arguments, from stdin, or both (stdin first, then a blank line, then the
arguments). `-` as the prompt reads stdin explicitly. Only the answer goes to stdout; the spinner, the
token/cost summary and warnings go to stderr.

Examples:  claudecli ask "why is the sky blue"   ·   git diff | claudecli ask "review this"
"""


def ask(
    ctx: typer.Context,
    prompt: Annotated[
        list[str] | None, typer.Argument(help="The prompt ('-' reads stdin).", show_default=False)
    ] = None,
    model: ModelOption = None,
    role: RoleOption = None,
    fallback: FallbackOption = None,
    system: SystemOption = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", min=1, help="Most output tokens.")] = None,
    stop: Annotated[list[str] | None, typer.Option("--stop", help="Stop sequence (repeatable).")] = None,
    thinking: ThinkingOption = None,
    effort: Annotated[str | None, typer.Option("--effort", help="low, medium, high, xhigh or max.")] = None,
    show_thinking: Annotated[
        bool, typer.Option("--show-thinking", help="Print thinking (dimmed) on stderr.")
    ] = False,
    attach: Annotated[
        list[str] | None,
        typer.Option(
            "--attach",
            "-a",
            help="Image, PDF, text file, http(s) URL or file:ID of an uploaded file (repeatable).",
        ),
    ] = None,
    upload: UploadFlag = False,
    schema: Annotated[
        str | None,
        typer.Option("--schema", help='JSON Schema file, inline JSON, or "name, age int, tags list[str]".'),
    ] = None,
    beta: BetaOption = None,
    speed: SpeedOption = None,
    service_tier: ServiceTierOption = None,
    inference_geo: InferenceGeoOption = None,
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
    quiet: QuietFlag = False,
    tag: Annotated[str | None, typer.Option("--tag", help="Label this call in the usage ledger.")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-o", help="KEY=VALUE added to the request body (repeatable)."),
    ] = None,
    cache: Annotated[
        bool | None,
        typer.Option(
            "--cache/--no-cache", help="Cache long system prompts and attachments.", show_default=False
        ),
    ] = None,
    cache_ttl: Annotated[str | None, typer.Option("--cache-ttl", help="5m or 1h.")] = None,
    no_stdin: Annotated[bool, typer.Option("--no-stdin", help="Ignore stdin.")] = False,
    continue_latest: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the most recent conversation (ask or chat).")
    ] = False,
    session: Annotated[
        str | None, typer.Option("--session", help="Continue the conversation NAME, or start it (stored).")
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail if another ask is continuing the same conversation.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Send even if a budget would refuse it.")] = False,
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
    from claudecli.ask.run import AskOptions, run
    from claudecli.ask.session import SessionChoice
    from claudecli.core.errors import UsageError

    app_ctx = app_context(ctx)
    chosen = apply_role(app_ctx, role)
    apply_platform_flags(app_ctx, beta, speed, service_tier, inference_geo)
    app_ctx.set_output(plain=plain, json=as_json, quiet=quiet)
    app_ctx.settings = app_ctx.settings.with_flags(fallback_model=fallback)
    if cache_ttl is not None and cache_ttl not in ("5m", "1h"):
        raise UsageError(f"--cache-ttl: expected 5m or 1h, got '{cache_ttl}'")
    app_ctx.settings = app_ctx.settings.with_flags(
        model=model, max_tokens=max_tokens, cache=cache, cache_ttl=cache_ttl
    )
    options = AskOptions(
        prompt_words=list(prompt or []),
        system=system,
        stop=list(stop or []),
        thinking=thinking if thinking is not None or chosen is None else chosen.thinking,
        effort=effort if effort is not None or chosen is None else chosen.effort,
        show_thinking=show_thinking,
        attach=list(attach or []),
        schema=schema,
        tag=tag,
        params=list(param or []),
        use_stdin=not no_stdin,
        force=force,
        session=SessionChoice(name=session, latest=continue_latest, wait=not no_wait),
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
        upload=upload,
    )
    raise typer.Exit(run(app_ctx, options))
