"""Turn ``-a/--attach`` arguments into Messages content blocks, checking type and size before sending.

An argument is an ``http(s)://`` URL (a url source), a file id (``file:ID``, or a bare ``file_…`` that is not a
local path: a file source, its block type from the file's metadata), or a local path: sent inline (base64 or
text), or with ``--upload`` uploaded through the Files API once and referenced by id (see ``files.reuse``).
"""

from __future__ import annotations

import base64
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from claudecli.core.errors import NotFoundError, UsageError
from claudecli.core.fsutil import (
    TEXT_FILE_LIMIT,
    open_to_read,
    read_stream_capped,
    require_opened_at,
    unreadable,
)
from claudecli.core.media import block_type_for, sniff_media_type
from claudecli.files.ids import file_ref

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.files.info import FileInfo
    from claudecli.files.local import LocalFile

IMAGE_LIMIT = 5 * 1024 * 1024  # the API's per-image limit
PDF_LIMIT = 32 * 1024 * 1024  # the API's request limit bounds a PDF
TEXT_LIMIT = TEXT_FILE_LIMIT

_IMAGE_SUFFIXES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def _url_block(url: str) -> dict[str, Any]:
    suffix = Path(urlparse(url).path).suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        return {"type": "image", "source": {"type": "url", "url": url}}
    return {"type": "document", "source": {"type": "url", "url": url}}


def _check_size(path: Path, size: int, limit: int, kind: str) -> None:
    if size > limit:
        raise UsageError(
            f"{path}: {kind} is {size / 1_048_576:.1f} MiB; the limit is {limit / 1_048_576:.0f} MiB"
        )


_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")  # ftp://, s3://, file://: not attachable as such
_KINDS = {"application/pdf": (PDF_LIMIT, "the PDF"), None: (TEXT_LIMIT, "the text file")}


def _read(path: Path, exact: bool = False) -> tuple[str | None, bytes]:
    """The sniffed media type and the bytes, read no further than that type's limit allows.

    The size from ``stat`` gives the friendly message for regular files; the capped read is what stops
    ``/dev/zero`` or a FIFO, whose size says 0.
    """
    with open_to_read(path) as handle:
        if exact:
            require_opened_at(handle, path)
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(16)
        media_type = sniff_media_type(head)
        limit, kind = _KINDS.get(media_type, (IMAGE_LIMIT, "the image"))
        _check_size(path, size, limit, kind)
        data = read_stream_capped(handle, limit, f"{path}: {kind}", head=head)
    return media_type, data


def _file_block(path: Path, exact: bool = False) -> dict[str, Any]:
    try:
        media_type, data = _read(path, exact)
    except OSError as exc:
        raise unreadable(f"attachment {path}", exc) from None
    if media_type == "application/pdf":
        return {
            "type": "document",
            "source": {"type": "base64", "media_type": media_type, "data": _base64(data)},
            "title": path.name,
        }
    if media_type is not None:
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": _base64(data)},
        }
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            f"{path}: unsupported attachment type (not an image, a PDF or UTF-8 text)",
            hint="images must be PNG, JPEG, GIF or WebP",
        ) from None
    return {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": text},
        "title": path.name,
    }


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class FileRefs:
    """What attaching through the Files API needs: the API (``app_ctx``), and whether local paths are uploaded."""

    app_ctx: AppContext
    upload: bool = False
    hold: bool = False  # with upload: check each file as its upload would, upload nothing (_held_block)
    # A batch's paths are resolved and confined before they are opened: the file opened must be at that path
    # (``exact``). A first look records each file's stamp (``seen``); the upload pass requires it (``expected``).
    exact: bool = False
    seen: dict[str, tuple[int, ...]] | None = None
    expected: dict[str, tuple[int, ...]] | None = None


def file_block(info: FileInfo, title: str | None = None) -> dict[str, Any]:
    """The content block referencing an uploaded file: an image block or a document block, by its type."""
    kind = block_type_for(info.mime_type)
    if kind is None:
        raise UsageError(
            f"{info.id} is {info.mime_type}: only images (PNG, JPEG, GIF, WebP), PDFs and plain text can be attached"
        )
    block: dict[str, Any] = {"type": kind, "source": {"type": "file", "file_id": info.id}}
    if kind == "document":
        block["title"] = title or info.filename
    return block


def _id_block(file_id: str, files: FileRefs | None) -> dict[str, Any]:
    if files is None:
        raise UsageError(f"{file_id}: a file id cannot be attached here")
    from claudecli.files.api import metadata

    info = metadata(files.app_ctx, file_id)
    if info.expired:  # the API would answer the call with a 404 after the prompt was built and priced
        raise NotFoundError(f"{file_id} has expired: its content is gone", hint="upload the file again")
    return file_block(info)


def _uploaded_block(path: Path, files: FileRefs) -> dict[str, Any]:
    from claudecli.files.local import check_local
    from claudecli.files.reuse import open_store, uploaded

    local = check_local(str(path), label="attachment", exact=files.exact)
    _same_as_first_look(local, files)
    if block_type_for(local.mime_type) is None:
        raise UsageError(
            f"{path}: {local.mime_type} cannot be attached (images, PDFs and plain text can)",
            hint="claudecli files upload PATH uploads it anyway, for a tool to use",
        )
    if files.hold:
        return _held_block(local.mime_type, local.size, path.name)
    with open_store(files.app_ctx) as store:
        info = uploaded(files.app_ctx, store, local)
    return file_block(info, title=path.name)


_held = itertools.count(1)


def _held_block(mime_type: str, size: int, filename: str) -> dict[str, Any]:
    """A file block for a file not uploaded yet, under a placeholder id that estimates as the file will: a
    batch with ``--upload-attachments`` is checked (lines, budget) this way before anything goes up."""
    from claudecli.core.tokens import remember_file
    from claudecli.files.info import FileInfo

    held_id = f"file_not_uploaded_yet_{next(_held)}"
    remember_file(held_id, mime_type, size)
    return file_block(FileInfo(held_id, filename, mime_type, size, None, False), title=filename)


def is_url(spec: str) -> bool:
    """Whether ``spec`` is an http(s) URL; a scheme is case-insensitive (``HTTPS://host/a.pdf``)."""
    return spec[:8].lower().startswith(("http://", "https://"))


def attachment_block(spec: str, files: FileRefs | None = None) -> dict[str, Any]:
    """One content block for a URL, a file id or a path (uploaded when ``files.upload``)."""
    if is_url(spec):
        return _url_block(spec)
    file_id = file_ref(spec)
    if file_id is not None:
        return _id_block(file_id, files)
    path = Path(spec).expanduser()
    if _OTHER_SCHEME.match(spec) and not path.exists():  # a path would show it as "ftp:/host/file"
        raise UsageError(
            f"attachment {spec}: only http:// and https:// URLs, file ids (file_…) and local files can be attached"
        )
    if files is not None and files.upload:
        return _uploaded_block(path, files)
    return _file_block(path, files is not None and files.exact)


def _same_as_first_look(local: LocalFile, files: FileRefs) -> None:
    """A first look records the file as it found it; the upload pass refuses one that has changed since (the
    budget and the line were checked on what the first look saw)."""
    key = str(local.path)
    if files.seen is not None:
        files.seen[key] = local.stamp
    if files.expected is not None and files.expected.get(key) != local.stamp:
        raise UsageError(f"{local.path}: the file changed after its line was checked; nothing of it was sent")


def attachment_blocks(specs: list[str], files: FileRefs | None = None) -> list[dict[str, Any]]:
    return [attachment_block(spec, files) for spec in specs]
