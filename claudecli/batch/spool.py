"""The validated requests on disk, split into batches, and streamed from there as each create call's body.

Each canonical request is one line of compact JSON (``{"custom_id", "params"}``, newlines inside strings are
escaped by JSON, so a raw ``\\n`` only ever separates requests). A batch is a contiguous byte range of the
spool; its body ``{"requests":[r1,r2,…]}`` is produced on the fly by swapping the separators for commas, so
submitting 100 MB of requests never holds 100 MB in memory, and the body can be replayed on a retry.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from claudecli.core.fsutil import ensure_private_dir

API_MAX_REQUESTS = 100_000
API_MAX_BYTES = 256_000_000  # the API says 256 MB; stay on the safe side of MB vs MiB
PREFIX = b'{"requests":['
SUFFIX = b"]}"
_OVERHEAD = len(PREFIX) + len(SUFFIX)
_CHUNK = 1 << 20
STALE_AFTER_S = 24 * 3600


@dataclass
class PartRange:
    """One batch: ``count`` requests occupying ``length`` bytes (newlines included) from ``offset``."""

    offset: int
    length: int = 0
    count: int = 0

    @property
    def body_bytes(self) -> int:
        return _OVERHEAD + max(0, self.length - 1)


class Spool:
    """Append canonical request lines; they are grouped into parts of at most ``max_requests``/``max_bytes``."""

    def __init__(self, directory: Path, *, max_requests: int, max_bytes: int) -> None:
        ensure_private_dir(directory)
        _remove_stale(directory)
        fd, name = tempfile.mkstemp(prefix="spool-", suffix=".jsonl", dir=directory)  # 0600
        self.path = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "wb", buffering=_CHUNK)
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.parts: list[PartRange] = []
        self._offset = 0

    def fits(self, line: bytes) -> bool:
        """Whether a request this size fits in a batch at all."""
        return _OVERHEAD + len(line) <= self.max_bytes

    def add(self, line: bytes) -> None:
        current = self.parts[-1] if self.parts else None
        if (
            current is None
            or current.count >= self.max_requests
            or current.body_bytes + len(line) + (1 if current.count else 0) > self.max_bytes
        ):
            current = PartRange(self._offset)
            self.parts.append(current)
        self._file.write(line)
        self._file.write(b"\n")
        current.length += len(line) + 1
        current.count += 1
        self._offset += len(line) + 1

    @property
    def count(self) -> int:
        return sum(part.count for part in self.parts)

    def finish(self) -> None:
        if not self._file.closed:
            self._file.close()

    def remove(self) -> None:
        self.finish()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def body(self, index: int) -> SpoolBody:
        self.finish()
        return SpoolBody(self.path, self.parts[index])

    def lines(self) -> Iterator[bytes]:
        """Every request line, in input order (without the newline)."""
        self.finish()
        with self.path.open("rb") as handle:
            for line in handle:
                yield line.rstrip(b"\n")


def _remove_stale(directory: Path) -> None:
    """Spool files a killed run left behind (they hold prompts: do not keep them around)."""
    cutoff = time.time() - STALE_AFTER_S
    for path in directory.glob("spool-*.jsonl"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


class SpoolBody:
    """The JSON body of one create call, streamed from the spool; iterable again for a retry."""

    def __init__(self, path: Path, part: PartRange) -> None:
        self.path = path
        self.part = part

    def __len__(self) -> int:
        return self.part.body_bytes

    def __iter__(self) -> Iterator[bytes]:
        yield PREFIX
        remaining = self.part.length - 1  # the last request's newline is not part of the body
        with self.path.open("rb") as handle:
            handle.seek(self.part.offset)
            while remaining > 0:
                block = handle.read(min(_CHUNK, remaining))
                if not block:
                    raise OSError(f"spool file {self.path} is shorter than expected")
                remaining -= len(block)
                yield block.replace(b"\n", b",")
        yield SUFFIX
