"""The upload progress bar: on stderr, only when stderr is a terminal and the file is large.

The SDK sends a file object in chunks (httpx reads it as it writes the request), so a reader that counts what
was read is the progress. A retry starts the body again: ``seek(0)`` moves the bar back.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from claudecli.core.controls import is_tty

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files go up before a bar would be worth drawing


class CountingReader(io.RawIOBase):
    """A binary file that reports how far it has been read (``on_read(position)``)."""

    def __init__(self, handle: BinaryIO, on_read: Callable[[int], None]) -> None:
        super().__init__()
        self._handle = handle
        self._on_read = on_read
        self.name = getattr(handle, "name", None)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._handle.fileno()

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._handle.seek(offset, whence)
        self._on_read(position)
        return position

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._on_read(self._handle.tell())
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def wants_bar(app_ctx: AppContext, size: int) -> bool:
    return size >= PROGRESS_MIN_BYTES and not app_ctx.quiet and is_tty(app_ctx.stderr.file)


@contextlib.contextmanager
def upload_progress(app_ctx: AppContext, label: str, size: int) -> Iterator[Callable[[int], None]]:
    """A callback taking the bytes sent so far; it draws a bar on stderr when ``wants_bar``, else nothing."""
    if not wants_bar(app_ctx, size):
        yield lambda _position: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    with Progress(*columns, console=app_ctx.stderr, transient=True) as bar:
        task = bar.add_task(label, total=size)
        yield lambda position: bar.update(task, completed=position)
