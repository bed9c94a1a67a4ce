"""`claudecli cost`: estimate, report, prices, budget (wiring only; logic in claudecli/costs/)."""

from __future__ import annotations

from typing import Annotated

import typer

from claudecli.cli.common import JsonFlag, PlainFlag, app_context

app = typer.Typer(
    help="What a prompt will cost, what your calls cost, the price tables, and your budgets.",
    no_args_is_help=True,
)

ESTIMATE_HELP = """Price a prompt on several models before sending it.

Input tokens are counted exactly by the API's free count_tokens endpoint (--offline: a local estimate).
Shows the cost now, at batch price, and with the system prompt and attachments read from the prompt cache.
The prompt comes from the arguments and/or stdin, as for `ask`.

Example:  git diff | claudecli cost estimate -m haiku -m opus --output-tokens 800 "review this"
"""

REPORT_HELP = """Totals from the usage ledger: calls, tokens by kind, cost, and what caching and batching saved.

--since/--until take today, yesterday, 36h, 7d, 2w, 2026-11-01, 2026-11 or an ISO time (UTC); a date or
month given to --until includes it. Default: since the first of this month (UTC).
--org reads the organisation's usage and cost from the Admin API instead (needs ANTHROPIC_ADMIN_KEY).
"""


@app.command("estimate", help=ESTIMATE_HELP)
def estimate(
    ctx: typer.Context,
    prompt: Annotated[
        list[str] | None, typer.Argument(help="The prompt ('-' reads stdin).", show_default=False)
    ] = None,
    attach: Annotated[
        list[str] | None, typer.Option("--attach", "-a", help="Image, PDF, text file or URL (repeatable).")
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", "-s", help="System prompt text, or @path to read a file.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model id or alias (repeatable; default: haiku, sonnet, opus)."),
    ] = None,
    output_tokens: Annotated[
        int | None,
        typer.Option("--output-tokens", min=0, help="Output tokens to assume (default: max_tokens)."),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Estimate input tokens locally instead of asking the API.")
    ] = False,
    no_stdin: Annotated[bool, typer.Option("--no-stdin", help="Ignore stdin.")] = False,
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
) -> None:
    from claudecli.costs.estimate import EstimateOptions, run_estimate

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    options = EstimateOptions(
        prompt_words=list(prompt or []),
        attach=list(attach or []),
        system=system,
        models=list(model or []),
        output_tokens=output_tokens,
        offline=offline,
        use_stdin=not no_stdin,
    )
    run_estimate(app_ctx, options)


@app.command("report", help=REPORT_HELP)
def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", help="Start: 7d, 2026-11-01, ... (UTC).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="End (exclusive time, inclusive date).")
    ] = None,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="Group by model, day, command, tag, profile, speed, tier, geo or loop (a tool answer).",
        ),
    ] = "model",
    org: Annotated[bool, typer.Option("--org", help="The organisation's report from the Admin API.")] = False,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout, one line per group.")] = False,
    plain: PlainFlag = False,
) -> None:
    from claudecli.costs.report import ReportOptions, run_report

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain or as_csv, json=as_json)
    run_report(
        app_ctx, ReportOptions(since=since, until=until, by=by, org=org, as_json=as_json, as_csv=as_csv)
    )


@app.command("prices")
def prices(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None, typer.Argument(help="Model ids or aliases (default: every listed model).")
    ] = None,
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
) -> None:
    """Price table from genai-prices (or your [prices] config): standard, cache, batch, long-context tiers."""
    from claudecli.costs.prices_table import show_prices

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    show_prices(app_ctx, list(models or []))


@app.command("budget")
def budget(ctx: typer.Context, as_json: JsonFlag = False, plain: PlainFlag = False) -> None:
    """Spend today and this month (UTC) against daily_budget, monthly_budget and max_cost_per_call."""
    from claudecli.costs.budget_view import show_budget

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    show_budget(app_ctx)
