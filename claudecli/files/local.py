"""A local file checked before it is uploaded: a regular file, readable, within the API's limit, a known type.

Everything is checked for every path before the first byte is sent (``files upload a b c`` with a missing
``c`` uploads nothing): a missing file, a directory, a FIFO or device, or a file over the limit is a usage error
(exit 2) naming the path.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from claudecli.core.errors import UsageError
from claudecli.core.fsutil import open_to_read, require_opened_at, unreadable
from claudecli.core.media import sniff_media_type

MAX_UPLOAD_BYTES = 500_000_000  # the Files API's per-file limit
_TEXT_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class LocalFile:
    path: Path
    size: int
    mime_type: str
    stamp: tuple[int, ...] = ()  # device, inode, size, mtime and ctime (ns) of the file as it was checked

    @property
    def name(self) -> str:
        return self.path.name

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.opened() as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()

    @contextlib.contextmanager
    def opened(self) -> Iterator[BinaryIO]:
        """The checked file, opened again to read: refused (exit 2) unless it is the very file that was checked
        and unchanged, when opened and again when done. Between the check, the hash and the upload, another
        file swapped in at its path (a symlink out of the directory a batch may read) or a rewrite would
        otherwise be uploaded, or remembered under the wrong content."""
        try:
            handle = open_to_read(self.path)
        except OSError as exc:
            raise unreadable(f"upload {self.path}", exc) from None
        with handle:
            self._unchanged(handle)
            yield handle
            self._unchanged(handle)

    def _unchanged(self, handle: BinaryIO) -> None:
        if self.stamp and _stamp(os.fstat(handle.fileno())) != self.stamp:
            raise UsageError(
                f"{self.path}: the file changed while claudecli was reading it; nothing of it was sent"
            )


def _stamp(info: os.stat_result) -> tuple[int, ...]:
    return (
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
    )  # ctime: no utime hides a write


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


def check_local(spec: str, *, label: str = "upload", exact: bool = False) -> LocalFile:
    """The checked file at ``spec`` (``~`` expanded); with ``exact``, it must be at ``spec`` itself once open
    (a resolved path, see ``fsutil.require_opened_at``)."""
    path = Path(spec).expanduser()
    try:
        with open_to_read(path) as handle:  # a FIFO is refused below, not waited on
            if exact:
                require_opened_at(handle, path)
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(spec)
            if not stat.S_ISREG(info.st_mode):
                raise UsageError(f"{label} {spec}: not a regular file")
            head = handle.read(_TEXT_SNIFF_BYTES)
    except OSError as exc:
        raise unreadable(f"{label} {spec}", exc) from None
    if info.st_size > MAX_UPLOAD_BYTES:  # in bytes: "499 MiB; at most 500 MB" read as if it fitted
        raise UsageError(
            f"{label} {spec}: the file is {info.st_size:,} bytes; the Files API takes at most "
            f"{MAX_UPLOAD_BYTES // 1_000_000} MB ({MAX_UPLOAD_BYTES:,} bytes)"
        )
    return LocalFile(path, info.st_size, _mime_type(path, head), _stamp(info))
