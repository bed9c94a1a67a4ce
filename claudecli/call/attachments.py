"""Turn ``-a/--attach`` arguments into Messages content blocks, checking type and size before sending."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from claudecli.core.errors import UsageError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, read_stream_capped, unreadable

IMAGE_LIMIT = 5 * 1024 * 1024  # the API's per-image limit
PDF_LIMIT = 32 * 1024 * 1024  # the API's request limit bounds a PDF
TEXT_LIMIT = TEXT_FILE_LIMIT

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_IMAGE_SUFFIXES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def sniff_media_type(head: bytes) -> str | None:
    """The media type from a file's first bytes (names lie; magic numbers rarely do)."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


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


_KINDS = {"application/pdf": (PDF_LIMIT, "the PDF"), None: (TEXT_LIMIT, "the text file")}


def _read(path: Path) -> tuple[str | None, bytes]:
    """The sniffed media type and the bytes, read no further than that type's limit allows.

    The size from ``stat`` gives the friendly message for regular files; the capped read is what stops
    ``/dev/zero`` or a FIFO, whose size says 0.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(16)
        media_type = sniff_media_type(head)
        limit, kind = _KINDS.get(media_type, (IMAGE_LIMIT, "the image"))
        _check_size(path, size, limit, kind)
        data = read_stream_capped(handle, limit, f"{path}: {kind}", head=head)
    return media_type, data


def _file_block(path: Path) -> dict[str, Any]:
    try:
        media_type, data = _read(path)
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


def attachment_block(spec: str) -> dict[str, Any]:
    """One content block for a path or an http(s) URL."""
    if spec.startswith(("http://", "https://")):
        return _url_block(spec)
    return _file_block(Path(spec).expanduser())


def attachment_blocks(specs: list[str]) -> list[dict[str, Any]]:
    return [attachment_block(spec) for spec in specs]
