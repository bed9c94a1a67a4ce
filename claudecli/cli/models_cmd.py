"""`claudecli models`: the models list and one model in full (wiring only; logic in models_view.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from claudecli.cli.common import JsonFlag, PlainFlag, app_context

HELP = """List the models the API offers, with context window, max output and price.

The list is cached for 24 hours (--refresh fetches it now); offline, the cache or a built-in list is used.
Aliases: opus, sonnet and haiku name the newest active model of that family; add your own under [aliases].

Examples:  claudecli models   ·   claudecli models --all --json   ·   claudecli models show sonnet
"""

app = typer.Typer(help=HELP, invoke_without_command=True, no_args_is_help=False)


@app.callback()
def models(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include retired models.")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Fetch the list now instead of using the cache.")
    ] = False,
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from claudecli.catalog.view import ModelsOptions, list_models

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    list_models(app_ctx, ModelsOptions(show_all=show_all, refresh=refresh))


@app.command("show")
def show(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="Model id or alias.", show_default=False)],
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
) -> None:
    """Everything about one model: facts, aliases, standard/cache/batch prices, lifecycle dates, replacement."""
    from claudecli.catalog.view import show_model

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    show_model(app_ctx, model)
