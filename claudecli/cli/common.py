"""Bits every command module shares: reaching the app context, and the output flags' spelling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


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
