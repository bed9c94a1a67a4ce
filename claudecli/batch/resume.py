"""Reading a ``batch run -o FILE`` back to resume it: which custom_ids already have a record.

Records are appended with one ``write(2)`` each (``output.RecordFile``), so a run killed mid-write leaves at
most its *last* record incomplete. That record is cut off so appending continues on a record boundary;
nothing else is ever removed, and a file that is not claudecli's output is refused rather than touched.

* jsonl: one JSON object per line, starting ``{"custom_id": "``; a last line without its newline (or one
  that does not parse) is the cut-off record.
* csv: parsed with the csv module (quoted answers span lines): the header, then rows of every column; a
  last row without its newline, or ending inside quotes, is the cut-off record.
* text: not resumable. An answer can contain anything, a ``==> id <==`` header line included, so no
  reading of the file can tell which records are complete.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from claudecli.batch.output import CSV_HEADER
from claudecli.core.errors import UsageError

JSONL_PREFIX = b'{"custom_id": "'
CSV_HEADER_LINE = (",".join(CSV_HEADER) + "\n").encode()


def completed_ids(path: Path, fmt: str) -> set[str]:
    """custom_ids already written to ``path``; an incomplete last record is cut off the file first."""
    if not path.exists() or path.stat().st_size == 0:
        return set()
    if fmt == "text":
        raise UsageError(
            f"{path}: text output cannot be resumed (an answer may contain anything, record headers included)",
            hint="use --format jsonl or csv for a resumable run, or write to a new file",
        )
    with path.open("rb+") as handle:
        done, end = _csv_records(handle, path) if fmt == "csv" else _jsonl_records(handle, path)
        handle.truncate(end)
    return done


def _foreign(path: Path, line: int, fmt: str) -> UsageError:
    return UsageError(
        f"{path}:{line}: not a claudecli {fmt} results file; it is left as it is",
        hint="give -o a new file (or the file an earlier run of this input wrote)",
    )


def _jsonl_records(handle: BinaryIO, path: Path) -> tuple[set[str], int]:
    """The ids of the complete lines, and where the file should end."""
    done: set[str] = set()
    offset = 0
    for number, raw in enumerate(handle, 1):
        doc = None
        if raw.endswith(b"\n"):
            with contextlib.suppress(ValueError, RecursionError):
                doc = json.loads(raw)
        if isinstance(doc, dict) and isinstance(doc.get("custom_id"), str):
            done.add(doc["custom_id"])
        elif raw.startswith(JSONL_PREFIX[: len(raw)]) and _at_end(handle):
            return done, offset  # the last record, cut short
        else:
            raise _foreign(path, number, "jsonl")
        offset += len(raw)
    return done, offset


def _csv_records(handle: BinaryIO, path: Path) -> tuple[set[str], int]:
    """The ids of the complete rows, and where the file should end."""
    state = {"offset": 0, "newline": False}

    def lines() -> Iterator[str]:
        for raw in handle:
            state["offset"] += len(raw)
            state["newline"] = raw.endswith(b"\n")
            yield raw.decode("utf-8", "replace")

    done: set[str] = set()
    end = 0  # where the last complete row (or the header) ends
    reader = csv.reader(lines(), strict=True)
    try:
        for row in reader:
            if state["newline"] and len(row) == len(CSV_HEADER) and (end or tuple(row) == CSV_HEADER):
                if end:
                    done.add(row[0])
                end = int(state["offset"])
            elif _at_end(handle) and (end or _torn_header(handle)):
                break  # the last row (or the header), cut short
            else:
                raise _foreign(path, reader.line_num, "csv")
    except csv.Error:  # the file ends inside a quoted field: the last row was cut short
        if not (_at_end(handle) and (end or _torn_header(handle))):
            raise _foreign(path, reader.line_num, "csv") from None
    return done, end


def _at_end(handle: BinaryIO) -> bool:
    """Whether nothing follows what was read (the caller stops reading either way)."""
    return not handle.read(1)


def _torn_header(handle: BinaryIO) -> bool:
    handle.seek(0)
    return CSV_HEADER_LINE.startswith(handle.read(len(CSV_HEADER_LINE) + 1))
