"""The output line of one request, shared by ``batch results``, ``collect`` and ``run``: jsonl, text or csv.

jsonl (the default; one object per line, the contract scripts rely on)::

    {"custom_id": "line-000001", "status": "succeeded", "text": "…", "model": "…", "stop_reason": "end_turn",
     "usage": {…TokenUsage…}, "cost_usd": 0.00035}
    {"custom_id": "line-000002", "status": "errored", "error": {"type": "invalid_request_error", "message": "…"}}
    {"custom_id": "line-000003", "status": "expired"}          (or "canceled")

text: ``==> custom_id <==`` then the answer (or ``==> custom_id [errored] <==`` and the error), blank line.
csv: a header, then custom_id,status,text,error,model,stop_reason,input_tokens,output_tokens,
cache_write_tokens,cache_read_tokens,cost_usd.

Every record is handed to the sink in one ``write`` call, so an O_APPEND file written with one ``write(2)``
per record (``batch run``) can only ever end in the middle of its *last* record (``resume`` reads it back).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from claudecli.core.errors import UsageError
from claudecli.core.fsutil import require_parent
from claudecli.core.usage import CallMode, TokenUsage
from claudecli.money.pricing import format_usd

FORMATS = ("jsonl", "text", "csv")
SUFFIXES = {"jsonl": ".jsonl", "text": ".txt", "csv": ".csv"}
OUTCOMES = ("succeeded", "errored", "canceled", "expired")
CSV_HEADER = (
    "custom_id", "status", "text", "error", "model", "stop_reason",
    "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cost_usd",
)  # fmt: skip


@dataclass
class ResultLine:
    custom_id: str
    status: str  # succeeded | errored | canceled | expired
    text: str = ""
    model: str | None = None
    stop_reason: str | None = None
    usage: TokenUsage | None = None
    cost_usd: Decimal | None = None
    error_type: str | None = None
    error_message: str | None = None
    mode: CallMode | None = None  # as the API served it (priced by it; not part of the output line)

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"custom_id": self.custom_id, "status": self.status}
        if self.status == "succeeded":
            doc.update(
                text=self.text,
                model=self.model,
                stop_reason=self.stop_reason,
                usage=(self.usage or TokenUsage()).as_dict(),
                cost_usd=None if self.cost_usd is None else float(self.cost_usd),
            )
        elif self.status == "errored":
            doc["error"] = {"type": self.error_type, "message": self.error_message}
        return doc


def message_text(message: dict[str, Any]) -> str:
    return "".join(
        block.get("text", "") for block in message.get("content") or [] if block.get("type") == "text"
    )


RESULT_TYPES = frozenset({"succeeded", "errored", "canceled", "expired"})


def from_api(raw: dict[str, Any]) -> ResultLine:
    """One line of the API's results JSONL (not yet priced)."""
    result = raw.get("result") or {}
    kind = result.get("type", "errored")
    if (
        kind not in RESULT_TYPES
    ):  # a gateway's line: "status": 5 was written, and tallied as a kind of its own
        raise ValueError(f"a result of type {kind!r}")
    line = ResultLine(custom_id=str(raw.get("custom_id")), status=kind)
    if kind == "succeeded":
        message = result.get("message")
        if not isinstance(message, dict):  # it was written as a success with no text, at no cost
            raise ValueError("a succeeded result without its message")
        line.text = message_text(message)
        line.model = message.get("model")
        line.stop_reason = message.get("stop_reason")
        line.usage = TokenUsage.from_api(message.get("usage"))
        line.mode = CallMode.of(message.get("usage"))
    elif kind == "errored":
        error = (result.get("error") or {}).get("error") or result.get("error") or {}
        line.error_type = error.get("type")
        line.error_message = error.get("message")
    return line


class Sink(Protocol):
    """Where records go: a text file or stdout, or ``batch run``'s one-write-per-record file."""

    def write(self, text: str, /) -> object: ...


class LineWriter(Protocol):
    def write(self, line: ResultLine) -> None: ...


class JsonlWriter:
    def __init__(self, handle: Sink) -> None:
        self.handle = handle

    def write(self, line: ResultLine) -> None:
        self.handle.write(json.dumps(line.document()) + "\n")


class TextWriter:
    def __init__(self, handle: Sink) -> None:
        self.handle = handle

    def write(self, line: ResultLine) -> None:
        if line.status == "succeeded":
            self.handle.write(f"==> {line.custom_id} <==\n{line.text}\n\n")
            return
        detail = f"{line.error_type}: {line.error_message}" if line.status == "errored" else line.status
        self.handle.write(f"==> {line.custom_id} [{line.status}] <==\n{detail}\n\n")


class CsvWriter:
    def __init__(self, handle: Sink, *, header: bool = True) -> None:
        self.handle = handle
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        if header:
            self.handle.write(self._row(CSV_HEADER))

    def _row(self, values: tuple[object, ...]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(values)
        return self.buffer.getvalue()

    def write(self, line: ResultLine) -> None:
        usage = line.usage or TokenUsage()
        error = f"{line.error_type}: {line.error_message}" if line.status == "errored" else ""
        cost = "" if line.cost_usd is None else f"{line.cost_usd:f}"
        row = self._row(
            (
                line.custom_id,
                line.status,
                line.text,
                error,
                line.model or "",
                line.stop_reason or "",
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_write_tokens,
                usage.cache_read_tokens,
                cost,
            )
        )
        self.handle.write(row)


def make_writer(fmt: str, handle: Sink, *, header: bool = True) -> LineWriter:
    if fmt == "text":
        return TextWriter(handle)
    if fmt == "csv":
        return CsvWriter(handle, header=header)
    return JsonlWriter(handle)


@dataclass
class Tally:
    """Counts per outcome and the total cost, for the summary line on stderr."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    cost_usd: Decimal = Decimal(0)
    unknown_cost: int = 0

    def add(self, line: ResultLine) -> None:
        self.counts[line.status] = self.counts.get(line.status, 0) + 1
        if line.status == "succeeded":
            if line.cost_usd is None:
                self.unknown_cost += 1
            else:
                self.cost_usd += line.cost_usd

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self, prices: str) -> str:
        parts = " · ".join(f"{count} {kind}" for kind, count in self.counts.items())
        cost = format_usd(self.cost_usd)
        if self.unknown_cost:
            cost += f" (+{self.unknown_cost} at an unknown price)"
        return f"{self.total} results: {parts} · {cost} at {prices} prices"


def check_target(path: Path) -> None:
    """Refuse an output path that can only fail (a directory, a missing directory) before anything is sent."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give a file name for the results")
    require_parent(path, str(path))


def cannot_write(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write {path}: {exc.strerror or exc}")


class RecordFile:
    """``-o FILE`` opened O_APPEND (0600; results hold answers); each record goes out in one ``write(2)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, text: str, /) -> int:
        data = memoryview(text.encode("utf-8"))
        try:
            while data:  # a regular file takes it all at once; the loop only guards a short write
                data = data[os.write(self.fd, data) :]
        except OSError as exc:
            raise cannot_write(self.path, exc) from None
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def empty(self) -> bool:
        return os.fstat(self.fd).st_size == 0

    def close(self) -> None:
        os.close(self.fd)
