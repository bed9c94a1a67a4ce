"""What kind of file a user names, from its first bytes (names lie; magic numbers rarely do)."""

from __future__ import annotations

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
DOCUMENT_TYPES = frozenset(
    {"application/pdf", "text/plain"}
)  # what a document block takes from the Files API


def sniff_media_type(head: bytes) -> str | None:
    """The media type from a file's first 16 bytes, or None for anything but an image or a PDF."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def block_type_for(mime_type: str) -> str | None:
    """The Messages content block that can carry a file of ``mime_type``: image, document, or None."""
    if mime_type in IMAGE_TYPES:
        return "image"
    if mime_type in DOCUMENT_TYPES:
        return "document"
    return None
