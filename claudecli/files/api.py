"""The Files API calls (``client.files``: GA in SDK 2.16, no beta header), with errors worded for files.

Every failure becomes a claudecli error as everywhere (``core.client.translate``); a 404 is reworded to say
which file and why it may be gone, and a download the API refuses says which files can be downloaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO, cast

from claudecli.core.errors import BadRequestError, ClaudeCliError, NotFoundError, UsageError
from claudecli.core.sdk_errors import cannot_read, translate_errors
from claudecli.files.info import FileInfo, MalformedFile
from claudecli.files.names import upload_name
from claudecli.files.progress import CountingReader

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.files.local import LocalFile

LIST_PAGE = 100


@contextlib.contextmanager
def file_errors(file_id: str | None = None) -> Iterator[None]:
    """``translate_errors``, with a 404 and a refused download named after ``file_id``."""
    try:
        with translate_errors():
            yield
    except NotFoundError as exc:
        if file_id is None:
            raise
        raise _reworded(exc, file_id) from exc
    except BadRequestError as exc:
        cause = exc.__cause__
        if file_id is not None and getattr(cause, "error_code", None) == "file_not_downloadable":
            raise not_downloadable(file_id, exc.request_id) from exc
        raise


@contextlib.contextmanager
def readable_answer() -> Iterator[None]:
    """A Files API answer claudecli cannot read (a gateway's HTML page with a 200, JSON of another shape, which
    the SDK passes on unvalidated) is a server error (exit 7) saying so, not an unexpected failure (exit 1)."""
    try:
        yield
    except (MalformedFile, AttributeError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, MalformedFile) else "not what the Files API sends"
        raise cannot_read(reason) from exc


def not_downloadable(file_id: str, request_id: str | None = None) -> BadRequestError:
    return BadRequestError(
        f"{file_id} cannot be downloaded: the API lets you download only files a tool created "
        "(files you uploaded are not downloadable)",
        request_id=request_id,
        error_type="invalid_request_error",
    )


def _reworded(exc: ClaudeCliError, file_id: str) -> NotFoundError:
    if getattr(exc.__cause__, "error_code", None) == "file_expired":
        text = f"{file_id} has expired: its content is gone"
    else:
        text = f"no file {file_id} (deleted, expired, or uploaded with another workspace's key)"
    return NotFoundError(text, request_id=exc.request_id, error_type=exc.error_type)


def upload(app_ctx: AppContext, local: LocalFile, on_read: Callable[[int], None]) -> FileInfo:
    """Upload ``local`` (its bytes streamed from disk, never held in memory whole). A file that changed while
    it was being sent (see ``LocalFile.opened``) is refused, and what was sent of it deleted from the API. Its
    name is the local one with what the API refuses in a name replaced (``names.upload_name``)."""
    meta = None
    try:
        with local.opened() as handle, file_errors():
            reader = cast("BinaryIO", CountingReader(handle, on_read))  # a RawIOBase is binary IO
            meta = app_ctx.client.files.upload(file=(upload_name(local.name), reader, local.mime_type))
    except UsageError:
        if meta is not None:
            with contextlib.suppress(ClaudeCliError, AttributeError):
                delete(app_ctx, str(meta.id))
        raise
    with readable_answer():
        return FileInfo.from_sdk(meta)


def list_files(app_ctx: AppContext, limit: int | None) -> list[FileInfo]:
    """The workspace's files, newest first (all of them, or the first ``limit``)."""
    found: list[FileInfo] = []
    with file_errors(), readable_answer():  # the SDK reads each page as the loop reaches it
        page_size = min(limit, LIST_PAGE) if limit else LIST_PAGE
        page = app_ctx.client.files.list(limit=page_size)
        if not isinstance(getattr(page, "data", None), list):  # `{}` read as a workspace with no file
            raise MalformedFile("a files list without a list of files")
        for meta in page:
            found.append(FileInfo.from_sdk(meta))
            if limit is not None and len(found) >= limit:
                break
    return found


def metadata(app_ctx: AppContext, file_id: str) -> FileInfo:
    with file_errors(file_id):
        meta = app_ctx.client.files.retrieve_metadata(file_id)
    with readable_answer():
        return FileInfo.from_sdk(meta)


def download(app_ctx: AppContext, file_id: str, sink: BinaryIO) -> int:
    """Write the file's content to ``sink`` as it arrives; return the bytes written."""
    written = 0
    with (
        file_errors(file_id),
        app_ctx.client.files.with_streaming_response.download(file_id) as response,
    ):
        for chunk in response.iter_bytes():
            sink.write(chunk)
            written += len(chunk)
    return written


def delete(app_ctx: AppContext, file_id: str) -> None:
    with file_errors(file_id):
        deleted = app_ctx.client.files.delete(file_id)
    if getattr(deleted, "id", None) != file_id:  # a gateway's 200 of another shape: nothing says it is gone
        raise cannot_read("not the file's deletion")
