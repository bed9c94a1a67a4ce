"""The ``claudecli files`` subcommands: upload, list, show, download, delete.

stdout carries the result (a table, the written path, the deleted ids, or one ``--json`` document); notes and
the progress bar go to stderr. None of these calls is billed, so none writes the usage ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.core.context import OutputMode
from claudecli.core.errors import ClaudeCliError, ExitCode, UsageError
from claudecli.files import api
from claudecli.files.download import write_download
from claudecli.files.ids import check_file_id
from claudecli.files.local import check_local
from claudecli.files.names import safe_name
from claudecli.files.reuse import forget, open_store, remember, upload_one
from claudecli.files.store import scope_of
from claudecli.files.view import print_files, print_one
from claudecli.render.emit import emit, items_document

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.files.info import FileInfo


def upload_files(app_ctx: AppContext, specs: list[str]) -> None:
    """Upload every path (all are checked first: one bad path uploads nothing) and show the ids they got."""
    if not specs:
        raise UsageError("files upload: name at least one file")
    locals_ = [check_local(spec) for spec in specs]
    scope = scope_of(app_ctx.settings)
    uploaded: list[dict[str, Any]] = []
    infos: list[FileInfo] = []
    with open_store(app_ctx) as store:
        for index, local in enumerate(locals_):
            try:
                digest = (
                    local.sha256()
                )  # before: a change during the upload is then caught by the upload itself
                info = upload_one(app_ctx, local)
            except ClaudeCliError:
                if index:
                    app_ctx.note(f"uploaded {index} of {len(locals_)} before the failure")
                    _show_uploaded(app_ctx, infos, uploaded, partial=True)
                raise
            remember(app_ctx, store, scope, digest, info)
            infos.append(info)
            uploaded.append({**info.document(), "path": str(local.path)})
    _show_uploaded(app_ctx, infos, uploaded, partial=False)


def _show_uploaded(
    app_ctx: AppContext, infos: list[FileInfo], docs: list[dict[str, Any]], *, partial: bool
) -> None:
    if app_ctx.mode is OutputMode.JSON:
        if not partial:  # a failure prints the error document instead
            emit(app_ctx, items_document(docs))
        return
    print_files(app_ctx, infos)


def list_files(app_ctx: AppContext, limit: int | None) -> None:
    files = api.list_files(app_ctx, limit)
    if app_ctx.mode is OutputMode.JSON:
        emit(app_ctx, items_document(info.document() for info in files))
        return
    if not files:
        app_ctx.note("no files (claudecli files upload PATH adds one)")
        return
    print_files(app_ctx, files)


def show_file(app_ctx: AppContext, file_id: str) -> None:
    info = api.metadata(app_ctx, check_file_id(file_id))
    if app_ctx.mode is OutputMode.JSON:
        emit(app_ctx, {"file": info.document()})
        return
    print_one(app_ctx, info)


@dataclass
class DownloadOptions:
    file_id: str
    output: str | None = None
    force: bool = False


def _destination(output: str | None, filename: str, file_id: str) -> Path:
    """``-o`` as given (a directory gets the safe name inside it), else the safe name in the current directory."""
    if output is None:
        return Path(safe_name(filename, file_id))
    dest = Path(output).expanduser()
    return dest / safe_name(filename, file_id) if dest.is_dir() else dest


def download_file(app_ctx: AppContext, options: DownloadOptions) -> None:
    """Write the file's content to disk atomically; refuse to replace a file unless ``--force``."""
    file_id = check_file_id(options.file_id)
    info = api.metadata(app_ctx, file_id)
    if not info.downloadable:  # the API would refuse it: say so before touching the disk
        raise api.not_downloadable(file_id)
    dest = _destination(options.output, info.filename, file_id)
    written = write_download(dest, options.force, lambda sink: api.download(app_ctx, file_id, sink))
    if app_ctx.mode is OutputMode.JSON:
        emit(app_ctx, {"file": info.document(), "path": str(dest), "bytes": written})
        return
    app_ctx.stdout.file.write(f"{dest}\n")
    app_ctx.note(f"{file_id}: {written:,} bytes written to {dest}")


def delete_files(app_ctx: AppContext, ids: list[str]) -> int:
    """Delete each id (one failure does not stop the rest); return the exit code of the first failure."""
    if not ids:
        raise UsageError("files delete: name at least one file id")
    checked = [check_file_id(file_id) for file_id in ids]
    results: list[dict[str, Any]] = []
    code = ExitCode.OK
    with open_store(app_ctx) as store:
        for file_id in checked:
            try:
                api.delete(app_ctx, file_id)
            except ClaudeCliError as exc:
                app_ctx.error(exc.one_line())
                results.append({"id": file_id, "deleted": False, "error": exc.one_line()})
                code = code or exc.exit_code
                continue
            forget(app_ctx, store, file_id)
            results.append({"id": file_id, "deleted": True})
            if app_ctx.mode is not OutputMode.JSON:
                app_ctx.stdout.file.write(f"{file_id}\n")
    if app_ctx.mode is OutputMode.JSON:
        emit(app_ctx, items_document(results))
    return int(code)
