"""Atomic file writes: every state file is written to a temp file beside it, then renamed over."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(
    path: Path, mode: str = "w", *, private: bool = False, encoding: str | None = "utf-8"
) -> Iterator[IO]:
    """Open a temp file next to ``path``; on success fsync and rename it over ``path``; on error remove it.

    ``private`` makes the file 0600 (anything that may hold a key or a prompt).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o600 if private else 0o644)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str, *, private: bool = False) -> None:
    with atomic_open(path, "w", private=private) as handle:
        handle.write(text)


def require_parent(path: Path, what: str) -> None:
    """Refuse ``path`` when its directory does not exist: claudecli creates no directory the user did not name."""
    parent = path.parent
    if not parent.is_dir():
        from claudecli.core.errors import UsageError

        raise UsageError(f"{what}: the directory {parent} does not exist", hint="create it first")


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
