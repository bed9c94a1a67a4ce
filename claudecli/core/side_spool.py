"""Rows a store could not take, kept beside it (``<store>.spool.jsonl``, 0600) until a run that can imports them.

One JSON object a line, each with a unique ``spool_id`` so an import repeated after a crash books nothing twice
(see :meth:`claudecli.core.store.MigratedStore`). Writers and the importer take an exclusive ``flock`` on the file
and check, once they hold it, that the name still points at the file they opened: the importer deletes the file
while holding the lock, so a writer that was waiting starts a new file instead of appending to a deleted one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUFFIX = ".spool.jsonl"


def spool_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


def _still_named(fd: int, path: Path) -> bool:
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


@contextlib.contextmanager
def _locked(path: Path, flags: int) -> Iterator[int | None]:
    """The spool file opened and exclusively locked, or None when it does not exist (and ``flags`` don't create)."""
    while True:
        try:
            fd = os.open(path, flags, 0o600)
        except FileNotFoundError:
            yield None
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _still_named(fd, path):
                yield fd
                return
        finally:
            os.close(fd)  # closing releases the lock


def append(store_path: Path, record: dict[str, Any]) -> Path:
    """Add ``record`` to the store's spool (created 0600 if needed); return the spool's path."""
    path = spool_path(store_path)
    data = (json.dumps({"spool_id": uuid.uuid4().hex, **record}, ensure_ascii=True) + "\n").encode("ascii")
    with _locked(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
        assert fd is not None
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    return path


@contextlib.contextmanager
def drained(store_path: Path) -> Iterator[list[dict[str, Any]]]:
    """The spooled records, locked; the spool is deleted when the block ends without an exception.

    A line that is not a whole JSON object (a writer killed mid-line) is skipped.
    """
    path = spool_path(store_path)
    with _locked(path, os.O_RDONLY) as fd:
        if fd is None:
            yield []
            return
        with os.fdopen(os.dup(fd), "rb") as handle:
            lines = handle.read().splitlines()
        records = []
        for line in lines:
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and isinstance(record.get("spool_id"), str):
                    records.append(record)
        yield records
        os.unlink(path)
