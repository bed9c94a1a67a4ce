"""File helpers: atomic writes of state files, and capped reads of files a user names."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, BinaryIO

from claudecli.core.errors import UsageError


@contextlib.contextmanager
def atomic_open(
    path: Path,
    mode: str = "w",
    *,
    private: bool = False,
    encoding: str | None = "utf-8",
    before_replace: Callable[[Path], None] | None = None,
) -> Iterator[IO]:
    """Open a temp file next to ``path``; on success fsync and rename it over ``path``; on error remove it.

    ``private`` makes the file 0600 (anything that may hold a key or a prompt). ``before_replace`` is called
    with the complete temp file just before the rename; what it raises leaves ``path`` as it was.
    """
    import tempfile  # lazy: 3 ms (random, bisect) that a command writing nothing, such as `models`, skips

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o600 if private else 0o644)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if before_replace is not None:
            before_replace(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> None:
    with atomic_open(path, "w", private=private) as handle:
        handle.write(text)


def special_file(path: Path) -> bool:
    """Whether ``path`` is, or links to, a device, FIFO or socket. A rename over it would replace the node itself
    (run as root, ``/dev/null`` or the link ``/dev/stdout``): a writer that replaces files refuses it. A missing
    path, a dangling or looping link, a regular file or a directory is not one."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def require_parent(path: Path, what: str) -> None:
    """Refuse ``path`` when its directory does not exist: claudecli creates no directory the user did not name."""
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{what}: the directory {parent} does not exist", hint="create it first")


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


# Caps on what claudecli reads from files and streams a user names. ``stat`` cannot bound a read: /dev/zero,
# /dev/urandom, a FIFO or a pipe report size 0 and never end, so every such read stops one byte past its cap.
STDIN_LIMIT = 32_000_000  # the Messages API's request size limit: a longer prompt could never be sent
TEXT_FILE_LIMIT = 8 * 1024 * 1024  # -s @file, --schema FILE, text attachments, config files, .env


def size_text(size: int) -> str:
    """``8 MiB`` / ``32 MB``: a limit as people write it (binary units for binary-round numbers)."""
    if size % 1_048_576 == 0:
        return f"{size // 1_048_576} MiB"
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000} MB"
    return f"{size:,} bytes"


def read_stream_capped(stream: BinaryIO, limit: int, what: str, *, head: bytes = b"") -> bytes:
    """``head`` (bytes already read from ``stream``) and the rest of ``stream``, if they hold at most ``limit``
    bytes; a usage error (exit 2) naming ``what`` otherwise."""
    data = head + stream.read(limit + 1 - len(head))
    if len(data) > limit:
        raise UsageError(f"{what} is larger than {size_text(limit)}; refusing to read more")
    return data


def read_capped(path: Path, limit: int, what: str | None = None) -> bytes:
    """The bytes of a file the user named, at most ``limit`` of them (see ``read_stream_capped``).

    Errors opening or reading the file (not found, a directory, no permission) are raised as the ``OSError``
    they are, for the caller to word.
    """
    with open_to_read(path) as handle:
        return read_stream_capped(handle, limit, what or str(path))


def open_to_read(path: Path) -> BinaryIO:
    """``path`` opened for reading without waiting for a writer.

    A plain ``open`` of a FIFO nobody writes to waits forever (a cron job, a batch line naming one). Opened
    this way, such a FIFO reads as empty at once, and one being written to (``-a <(cmd)``) reads as usual.
    """
    import fcntl

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)  # reads wait for data
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def require_opened_at(handle: BinaryIO, path: Path) -> None:
    """Refuse a file that, once open, is not at ``path`` itself: a directory or the file swapped for a symlink
    between the check of a resolved, confined path and its open. Where /proc is missing, nothing is checked."""
    try:
        opened = os.readlink(f"/proc/self/fd/{handle.fileno()}")
    except OSError:
        return
    if opened != str(path):
        raise UsageError(f"{path}: the file changed while claudecli was reading it; nothing of it was sent")


def unreadable(label: str, exc: OSError) -> UsageError:
    """The one wording for a file a user named that cannot be read: ``LABEL: file not found`` and so on."""
    if isinstance(exc, FileNotFoundError):
        return UsageError(f"{label}: file not found")
    if isinstance(exc, IsADirectoryError):
        return UsageError(f"{label}: is a directory")
    return UsageError(f"{label}: cannot read: {exc.strerror or exc}")
