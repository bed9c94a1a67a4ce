"""`claudecli files`: upload, list, show, download and delete files of the Files API (wiring only; logic in
claudecli/files/)."""

from __future__ import annotations

from typing import Annotated

import typer

from claudecli.cli.common import JsonFlag, PlainFlag, QuietFlag, app_context

HELP = """Upload files once and reference them in many calls (the Files API).

Uploaded files are attached with -a file:ID (or -a PATH --upload, which uploads once and remembers the id).
File operations are not billed: nothing here is written to the usage ledger. Only files a tool created can
be downloaded.

Examples:  claudecli files upload report.pdf   ·   claudecli files list --json   ·   claudecli ask -a file:file_011C… "summarise"
"""

app = typer.Typer(help=HELP, no_args_is_help=True)

FileIds = Annotated[list[str], typer.Argument(help="File ids (file_…).", show_default=False)]


@app.command("upload")
def upload(
    ctx: typer.Context,
    paths: Annotated[
        list[str], typer.Argument(help="Files to upload (each at most 500 MB).", show_default=False)
    ],
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Upload files; print the id, name, type and size each got."""
    from claudecli.files.commands import upload_files

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json, quiet=quiet)
    upload_files(app_ctx, list(paths))


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Show at most N files (newest first).")
    ] = None,
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
) -> None:
    """The workspace's files, newest first."""
    from claudecli.files.commands import list_files

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    list_files(app_ctx, limit)


@app.command("show")
def show(
    ctx: typer.Context,
    file_id: Annotated[str, typer.Argument(metavar="ID", help="The file id.", show_default=False)],
    as_json: JsonFlag = False,
    plain: PlainFlag = False,
) -> None:
    """One file's metadata: name, type, size, dates, whether it can be downloaded."""
    from claudecli.files.commands import show_file

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    show_file(app_ctx, file_id)


@app.command("download")
def download(
    ctx: typer.Context,
    file_id: Annotated[str, typer.Argument(metavar="ID", help="The file id.", show_default=False)],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write here (a directory: the file's own name inside it)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    as_json: JsonFlag = False,
    quiet: QuietFlag = False,
) -> None:
    """Save a file a tool created; its name is made safe, and nothing is overwritten without --force."""
    from claudecli.files.commands import DownloadOptions, download_file

    app_ctx = app_context(ctx)
    app_ctx.set_output(json=as_json, quiet=quiet)
    download_file(app_ctx, DownloadOptions(file_id, output, force))


@app.command("delete")
def delete(ctx: typer.Context, file_ids: FileIds, as_json: JsonFlag = False) -> None:
    """Delete files (each one tried; the exit code is the first failure's)."""
    from claudecli.files.commands import delete_files

    app_ctx = app_context(ctx)
    app_ctx.set_output(json=as_json)
    raise typer.Exit(delete_files(app_ctx, list(file_ids)))
