"""`claudecli batch`: Message Batches from a crontab, and the same jobs in real time (wiring only).

The logic lives in ``claudecli.batch`` (see its package docstring); each command here turns options into an
options object and calls one function of ``claudecli.batch.flows`` or ``claudecli.batch.manage``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from claudecli.cli.batch_input_flags import (
    AllowOutsideOpt,
    FileArg,
    MaxTokensOpt,
    ModelOpt,
    SchemaOpt,
    SkipInvalidFlag,
    SystemOpt,
    TemplateOpt,
    TextFlag,
    ThinkingOpt,
    UploadAttachmentsFlag,
    input_options,
)
from claudecli.cli.common import (
    BetaOption,
    FallbackOption,
    InferenceGeoOption,
    JsonFlag,
    QuietFlag,
    RoleOption,
    ServiceTierOption,
    SpeedOption,
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

if TYPE_CHECKING:
    from claudecli.core.roles import Role

app = typer.Typer(
    no_args_is_help=True,
    help=(
        "Message Batches at half price (submit, list, status, results, cancel, delete, collect), "
        "and the same JSONL jobs run now (run). Cron-safe: never prompts; ids on stdout."
    ),
)

FormatOpt = Annotated[str, typer.Option("--format", help="Output lines: jsonl, text or csv.")]
IntervalOpt = Annotated[float, typer.Option("--poll-interval", help="Seconds between status checks.")]
TargetArg = Annotated[str, typer.Argument(help="A batch id (msgbatch_…) or a submission --name.")]
ClobberFlag = Annotated[
    bool,
    typer.Option(
        "--force", help="Overwrite an existing file that is not this batch's results (never the input)."
    ),
]


def _refuse_a_role_with_local_tools(role: Role | None) -> None:
    """A batch runs on Anthropic's side, where a role's local tools and MCP servers cannot: refuse rather than
    submit requests the role meant to have tools (``batch run`` runs them)."""
    if role is None or not (role.tools or role.mcp):
        return
    from claudecli.core.errors import UsageError

    named = "; ".join(
        f"{kind}: {', '.join(names)}" for kind, names in (("tools", role.tools), ("mcp", role.mcp)) if names
    )
    raise UsageError(
        f"batch submit: role {role.name} uses tools that run here ({named}), which a batch cannot run",
        hint="use `batch run -r ...` for local tools and MCP servers, or a role without tools and mcp",
    )


def _out(value: str | None) -> Path | None:
    return None if value is None or value == "-" else Path(value).expanduser()


@app.command(help="Validate FILE and submit it as Message Batch(es); print the batch ids.")
def submit(
    ctx: typer.Context,
    file: FileArg,
    text: TextFlag = False,
    model: ModelOpt = None,
    role: RoleOption = None,
    system: SystemOpt = None,
    max_tokens: MaxTokensOpt = None,
    schema: SchemaOpt = None,
    thinking: ThinkingOpt = None,
    template: TemplateOpt = None,
    skip_invalid: SkipInvalidFlag = False,
    allow_outside: AllowOutsideOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="A name to address the batch by.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and estimate only.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Submit even over a budget; with --wait -o, overwrite any file but the input."
        ),
    ] = False,
    resubmit: Annotated[
        bool,
        typer.Option(
            "--resubmit",
            help="Submit again an input already submitted with these options: a new batch, paid again.",
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait until the batch ends, then fetch results.")
    ] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="With --wait: write results here (else stdout).")
    ] = None,
    fmt: FormatOpt = "jsonl",
    poll_interval: IntervalOpt = 30.0,
    split_requests: Annotated[
        int, typer.Option("--split-requests", help="Most requests per batch (API limit 100,000).")
    ] = 100_000,
    split_bytes: Annotated[
        int, typer.Option("--split-bytes", help="Most bytes per batch (API limit 256 MB).")
    ] = 256_000_000,
    beta: BetaOption = None,
    speed: SpeedOption = None,
    service_tier: ServiceTierOption = None,
    inference_geo: InferenceGeoOption = None,
    upload_attachments: UploadAttachmentsFlag = False,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
    tools: ToolsOption = None,
    functions: FunctionsOption = None,
    web_search: WebSearchFlag = False,
    max_uses: MaxUsesOption = None,
    allowed_domain: AllowedDomainOption = None,
    web_fetch: WebFetchFlag = False,
    code_execution: CodeExecutionFlag = False,
    mcp: McpOption = None,
) -> None:
    from claudecli.batch import flows
    from claudecli.batch.submit import SubmitOptions
    from claudecli.core.errors import UsageError

    app_ctx = app_context(ctx)
    app_ctx.set_output(json=as_json, quiet=quiet)
    chosen = apply_role(app_ctx, role)
    _refuse_a_role_with_local_tools(chosen)
    thinking = thinking if thinking is not None or chosen is None else chosen.thinking
    apply_platform_flags(app_ctx, beta, speed, service_tier, inference_geo)
    server_tools = tool_options(
        tools=tools,
        functions=functions,
        web_search=web_search,
        max_uses=max_uses,
        allowed_domain=allowed_domain,
        web_fetch=web_fetch,
        code_execution=code_execution,
        mcp=mcp,
    )
    if server_tools.local:
        raise UsageError(
            "batch submit: a batch cannot run local tools (--tools, --functions, --mcp)",
            hint="use `batch run` for local tools; batch submit takes server tools only (--web-search, ...)",
        )
    options = SubmitOptions(
        input=input_options(
            app_ctx,
            file,
            text,
            model,
            system,
            max_tokens,
            schema,
            thinking,
            template,
            skip_invalid,
            allow_outside,
            server_tools,
            server_tools_only=True,
            upload_attachments=upload_attachments,
        ),
        name=name,
        dry_run=dry_run,
        force=force,
        resubmit=resubmit,
        split_requests=split_requests,
        split_bytes=split_bytes,
        as_json=as_json,
    )
    wait_options = None
    if wait:
        wait_options = flows.WaitOptions(
            _out(output), flows.check_format(fmt), flows.check_interval(poll_interval)
        )
    raise typer.Exit(flows.submit(app_ctx, options, wait_options))


@app.command("list", help="Journaled batches with their remote state, newest first.")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Show at most N batches (0: all).")] = 20,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    from claudecli.batch.manage import list_batches

    app_ctx = app_context(ctx)
    app_ctx.set_output(json=as_json, quiet=quiet)
    list_batches(app_ctx, limit=limit or None, as_json=as_json)


@app.command(help="Request counts of a batch (all parts of a named submission).")
def status(
    ctx: typer.Context,
    target: TargetArg,
    watch: Annotated[
        bool, typer.Option("--watch", help="Poll until it ends (progress bar on a terminal).")
    ] = False,
    poll_interval: IntervalOpt = 30.0,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    from claudecli.batch import flows
    from claudecli.batch.manage import status as status_core

    app_ctx = app_context(ctx)
    app_ctx.set_output(json=as_json, quiet=quiet)
    status_core(app_ctx, target, watch=watch, interval=flows.check_interval(poll_interval), as_json=as_json)


@app.command(help="Download the results of an ended batch (to stdout, or -o FILE written atomically).")
def results(
    ctx: typer.Context,
    target: TargetArg,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    fmt: FormatOpt = "jsonl",
    force: ClobberFlag = False,
    quiet: QuietFlag = False,
) -> None:
    from claudecli.batch import flows

    app_ctx = app_context(ctx)
    app_ctx.set_output(quiet=quiet)
    raise typer.Exit(flows.results(app_ctx, target, _out(output), flows.check_format(fmt), force=force))


@app.command(help="Cancel a batch that is still processing.")
def cancel(
    ctx: typer.Context, target: TargetArg, as_json: JsonFlag = False, quiet: QuietFlag = False
) -> None:
    from claudecli.batch.manage import cancel as cancel_core

    app_ctx = app_context(ctx)
    app_ctx.set_output(json=as_json, quiet=quiet)
    cancel_core(app_ctx, target, as_json=as_json)


@app.command(help="Delete an ended batch and its results from the API.")
def delete(ctx: typer.Context, target: TargetArg) -> None:
    from claudecli.batch.manage import delete as delete_core

    delete_core(app_context(ctx), target)


@app.command(help="Cron companion: download every ended journaled batch into DIR and book its usage.")
def collect(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Directory for <name-or-id>.jsonl files.")],
    fmt: FormatOpt = "jsonl",
    force: ClobberFlag = False,
    quiet: QuietFlag = False,
) -> None:
    from claudecli.batch import flows

    app_ctx = app_context(ctx)
    app_ctx.set_output(quiet=quiet)
    raise typer.Exit(flows.collect(app_ctx, out_dir.expanduser(), flows.check_format(fmt), force=force))


@app.command(help="Run FILE now with concurrent requests (standard prices); resumable with -o.")
def run(
    ctx: typer.Context,
    file: FileArg,
    text: TextFlag = False,
    model: ModelOpt = None,
    role: RoleOption = None,
    system: SystemOpt = None,
    max_tokens: MaxTokensOpt = None,
    schema: SchemaOpt = None,
    thinking: ThinkingOpt = None,
    template: TemplateOpt = None,
    skip_invalid: SkipInvalidFlag = False,
    allow_outside: AllowOutsideOpt = None,
    upload_attachments: UploadAttachmentsFlag = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Append results here; a rerun skips done ids.")
    ] = None,
    fmt: FormatOpt = "jsonl",
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Requests in flight.")] = 8,
    retries: Annotated[
        int, typer.Option("--retries", min=0, help="Retries per request (429, 5xx, network).")
    ] = 8,
    force: Annotated[bool, typer.Option("--force", help="Run even if a budget would refuse it.")] = False,
    fallback: FallbackOption = None,
    beta: BetaOption = None,
    speed: SpeedOption = None,
    service_tier: ServiceTierOption = None,
    inference_geo: InferenceGeoOption = None,
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
    from claudecli.batch import flows
    from claudecli.batch.run_plan import RunOptions

    app_ctx = app_context(ctx)
    chosen = apply_role(app_ctx, role)
    thinking = thinking if thinking is not None or chosen is None else chosen.thinking
    apply_platform_flags(app_ctx, beta, speed, service_tier, inference_geo)
    app_ctx.set_output(quiet=quiet)
    app_ctx.settings = app_ctx.settings.with_flags(fallback_model=fallback)
    run_tools = tool_options(
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
    )
    options = RunOptions(
        input=input_options(
            app_ctx,
            file,
            text,
            model,
            system,
            max_tokens,
            schema,
            thinking,
            template,
            skip_invalid,
            allow_outside,
            run_tools,
            upload_attachments=upload_attachments,
        ),
        out=_out(output),
        fmt=flows.check_format(fmt),
        concurrency=concurrency,
        retries=retries,
        force=force,
    )
    raise typer.Exit(flows.run(app_ctx, options))
