"""The options that describe a batch's input lines, shared by ``batch submit`` and ``batch run``: one declaration,
one meaning, and one place that turns them into :class:`~claudecli.batch.inputs.InputOptions`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from claudecli.batch.inputs import InputOptions
    from claudecli.core.context import AppContext
    from claudecli.tools.options import ToolOptions

FileArg = Annotated[
    Path, typer.Argument(help="JSONL input: one request per line (or plain lines with --text).")
]
TextFlag = Annotated[bool, typer.Option("--text", help="Each line is a plain-text prompt.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model for lines that name none.")]
SystemOpt = Annotated[
    str | None, typer.Option("--system", "-s", help="System prompt (text or @path) for lines without one.")
]
MaxTokensOpt = Annotated[
    int | None, typer.Option("--max-tokens", min=1, help="max_tokens for lines that set none.")
]
SchemaOpt = Annotated[
    str | None,
    typer.Option("--schema", help='Structured output: JSON Schema file, inline JSON or "a, b int".'),
]
ThinkingOpt = Annotated[str | None, typer.Option("--thinking", help="adaptive, off or a budget in tokens.")]
TemplateOpt = Annotated[
    str | None, typer.Option("--template", help='Wrap each prompt, e.g. "Summarise: {line}".')
]
SkipInvalidFlag = Annotated[
    bool, typer.Option("--skip-invalid", help="Send the valid lines and report the invalid ones.")
]
AllowOutsideOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--allow-outside",
        metavar="DIR",
        help="Attachments may also come from DIR (repeatable); else only from FILE's directory.",
    ),
]

UploadAttachmentsFlag = Annotated[
    bool,
    typer.Option(
        "--upload-attachments",
        help="Upload each local attachment once (Files API) and reference it by id: smaller requests.",
    ),
]


def input_options(
    app_ctx: AppContext,
    file: Path,
    text: bool,
    model: str | None,
    system: str | None,
    max_tokens: int | None,
    schema: str | None,
    thinking: str | None,
    template: str | None,
    skip_invalid: bool,
    allow_outside: list[Path] | None,
    tools: ToolOptions | None = None,
    server_tools_only: bool = False,
    upload_attachments: bool = False,
) -> InputOptions:
    from claudecli.batch.inputs import InputOptions
    from claudecli.tools.options import ToolOptions

    app_ctx.settings = app_ctx.settings.with_flags(model=model, max_tokens=max_tokens)
    return InputOptions(
        path=file,
        text=text,
        system=system,
        schema=schema,
        thinking=thinking,
        template=template,
        skip_invalid=skip_invalid,
        allow_outside=tuple(allow_outside or ()),
        tools=tools or ToolOptions(),
        server_tools_only=server_tools_only,
        upload_attachments=upload_attachments,
    )
