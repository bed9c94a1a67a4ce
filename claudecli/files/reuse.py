"""Upload a local file, or reuse the id its content already has (``-a PATH --upload``, ``batch submit
--upload-attachments``, and the memory ``files upload`` leaves behind).

A remembered id is checked with one metadata request before it is used: a file the API no longer has (deleted,
expired, or the key now belongs to another workspace: a 404), or whose size differs, is uploaded again, once,
and the memory updated. A file uploaded twice by two processes at once is harmless: the later mapping wins.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from claudecli.core.errors import NotFoundError, StoreError
from claudecli.files import api
from claudecli.files.progress import upload_progress
from claudecli.files.store import FileScope, UploadStore, scope_of

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.files.info import FileInfo
    from claudecli.files.local import LocalFile

T = TypeVar("T")


def upload_one(app_ctx: AppContext, local: LocalFile) -> FileInfo:
    """Upload ``local`` with a progress bar when it is worth one."""
    with upload_progress(app_ctx, f"uploading {local.name}", local.size) as on_read:
        return api.upload(app_ctx, local, on_read)


def open_store(app_ctx: AppContext) -> UploadStore:
    return UploadStore(app_ctx.settings.paths.uploads_file, notify=app_ctx.store_incident)


def store_call(app_ctx: AppContext, action: Callable[[], T]) -> T | None:
    """``action()``; a store that cannot be used is reported (exit 11 at the end), never fatal here."""
    try:
        return action()
    except (StoreError, sqlite3.Error, OSError) as exc:
        message = exc.one_line() if isinstance(exc, StoreError) else str(exc)
        app_ctx.store_incident(
            f"the uploaded-files store could not be used ({message}); uploading without it",
            f"fix {app_ctx.settings.paths.uploads_file} (or move it aside): "
            "until then every --upload uploads again",
        )
        return None


def remember(app_ctx: AppContext, store: UploadStore, scope: FileScope, digest: str, info: FileInfo) -> None:
    """Record that content ``digest`` is ``info.id`` in ``scope`` (a store in trouble is reported, not fatal).
    The name is kept masked: a local file's name, and so the API's, may hold a secret."""
    masked = dataclasses.replace(info, filename=app_ctx.scrub(info.filename))
    store_call(app_ctx, lambda: store.remember(scope, digest, masked))


def forget(app_ctx: AppContext, store: UploadStore, file_id: str) -> None:
    store_call(app_ctx, lambda: store.forget(file_id))


def _still_there(app_ctx: AppContext, file_id: str, local: LocalFile) -> FileInfo | None:
    try:
        info = api.metadata(app_ctx, file_id)
    except NotFoundError:
        return None
    return None if info.expired or info.size_bytes != local.size else info


def uploaded(app_ctx: AppContext, store: UploadStore, local: LocalFile) -> FileInfo:
    """The API's file holding ``local``'s content: reused when the API still has it, else uploaded now."""
    scope: FileScope = scope_of(app_ctx.settings)
    digest = local.sha256()
    known = store_call(app_ctx, lambda: store.find(scope, digest))
    if known is not None:
        info = _still_there(app_ctx, known, local)
        if info is not None:
            app_ctx.note(f"{local.path}: already uploaded as {known}")
            return info
        app_ctx.note(f"{local.path}: {known} is gone from the API; uploading it again")
        forget(app_ctx, store, known)
    info = upload_one(app_ctx, local)
    remember(app_ctx, store, scope, digest, info)
    return info
