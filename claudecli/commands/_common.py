"""Bits every command module shares: reaching the app context, and the output flags' spelling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from claudecli.context import AppContext


def app_context(ctx: typer.Context) -> AppContext:
    """The context the root callback built (commands never construct their own)."""
    app_ctx: AppContext = ctx.find_root().obj
    return app_ctx


JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
PlainFlag = Annotated[
    bool, typer.Option("--plain", help="No Markdown rendering or colour, even on a terminal.")
]
QuietFlag = Annotated[bool, typer.Option("--quiet", "-q", help="Hide the per-call summary and notes.")]
