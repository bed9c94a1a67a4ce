"""Writing a download: into a temporary file beside the destination, then into place in one step.

Without ``--force`` an existing file is never replaced, even one created while the download ran: the finished
file is hard-linked to its name, which fails if the name exists (where a file system has no hard links, the
check is made just before an ordinary rename). With ``--force`` it is renamed over the old one, but never over
something that is not a regular file (``/dev/null``, a FIFO, a socket, or a symbolic link to one such as
``/dev/stdout``): a rename would replace the node itself (run as root, ``-o /dev/null --force`` would leave a
plain file in its place). A failed or interrupted download leaves nothing behind. The file gets the usual
permissions (0666 less the umask).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from claudecli.core.errors import UsageError
from claudecli.core.fsutil import require_parent, special_file


def _exists(dest: Path) -> UsageError:
    return UsageError(
        f"{dest} already exists; not replacing it", hint="pass --force to overwrite, or -o FILE"
    )


def _refuse_special(dest: Path) -> None:
    """A device, FIFO or socket at ``dest`` is refused, ``--force`` or not (see the module doc), and so is a
    symbolic link to one (``/dev/stdout``): the rename would replace the link. A link to a regular file, or a
    dangling one, is replaced as before."""
    if special_file(dest):
        raise UsageError(
            f"{dest} is not a regular file (a device, FIFO or socket); not replacing it",
            hint="pass -o FILE or -o DIR",
        )


def _umask_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _place(tmp: str, dest: Path, force: bool) -> None:
    if force:
        _refuse_special(dest)  # again: one may have appeared while the download ran
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise _exists(dest) from None
    except OSError:  # no hard links here (some network and FUSE file systems)
        if os.path.lexists(dest):
            raise _exists(dest) from None
        os.replace(tmp, dest)
        return
    os.unlink(tmp)


def write_download(dest: Path, force: bool, fetch: Callable[[BinaryIO], int]) -> int:
    """Run ``fetch(sink)`` into a temporary file and put it at ``dest``; return the bytes written."""
    require_parent(dest, "-o")
    if dest.is_dir():
        raise UsageError(f"{dest} is a directory")
    _refuse_special(dest)
    if not force and os.path.lexists(dest):
        raise _exists(dest)  # before downloading anything; checked again when it is put in place
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name[:64]}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            written = fetch(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.chmod(tmp, _umask_mode())
        _place(tmp, dest, force)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return written
