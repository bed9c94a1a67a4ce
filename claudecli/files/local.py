"""A local file checked before it is uploaded: a regular file, readable, within the API's limit, a known type.

Everything is checked for every path before the first byte is sent (``files upload a b c`` with a missing
``c`` uploads nothing): a missing file, a directory, a FIFO or device, or a file over the limit is a usage error
(exit 2) naming the path.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from claudecli.core.errors import UsageError
from claudecli.core.fsutil import size_text, unreadable
from claudecli.core.media import sniff_media_type

MAX_UPLOAD_BYTES = 500_000_000  # the Files API's per-file limit
_TEXT_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class LocalFile:
    path: Path
    size: int
    mime_type: str

    @property
    def name(self) -> str:
        return self.path.name

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the end of the sample
    return True


def _mime_type(path: Path, head: bytes) -> str:
    """Images and PDFs by their bytes; UTF-8 text as text/plain; anything else by its name's extension."""
    sniffed = sniff_media_type(head[:16])
    if sniffed is not None:
        return sniffed
    if _looks_like_text(head):
        return "text/plain"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def check_local(spec: str, *, label: str = "upload") -> LocalFile:
    """The checked file at ``spec`` (``~`` expanded)."""
    path = Path(spec).expanduser()
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{label} {spec}: not a regular file")
            head = handle.read(_TEXT_SNIFF_BYTES)
    except OSError as exc:
        raise unreadable(f"{label} {spec}", exc) from None
    if info.st_size > MAX_UPLOAD_BYTES:
        raise UsageError(
            f"{label} {spec}: the file is {size_text(info.st_size)}; the Files API takes at most "
            f"{size_text(MAX_UPLOAD_BYTES)}"
        )
    return LocalFile(path, info.st_size, _mime_type(path, head))
