"""The one way a ``--json`` document reaches stdout.

Every document is one JSON object on one line, ``schema_version`` first, ASCII-only (``\\uXXXX`` escapes), so
any stdout encoding can carry it and ``jq`` can read it. Lists are ``{"items": [...]}``, never bare arrays, so
they can carry the version too. A failure under ``--json`` still prints exactly one document
(:func:`error_document`), written by the error boundary when the command had not printed its own.

The shapes are a contract (README, "JSON output"); ``tests/test_json_contract.py`` pins them. Bump
:data:`SCHEMA_VERSION` and list the change in CHANGELOG.md when a field is renamed or removed; adding a field
is not a breaking change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

SCHEMA_VERSION = 2


def iso_or_none(moment: datetime | None) -> str | None:
    """A timestamp as a document shows it: ISO 8601, ``Z`` for UTC; None stays null."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def dumps(document: Mapping[str, Any]) -> str:
    """``document`` as its one line of JSON (no newline), ``schema_version`` first."""
    body = {"schema_version": SCHEMA_VERSION, **{k: v for k, v in document.items() if k != "schema_version"}}
    return json.dumps(body, ensure_ascii=True, default=str)


def emit(app_ctx: AppContext, document: Mapping[str, Any]) -> None:
    """Print the command's one ``--json`` document on stdout."""
    write_document(app_ctx.stdout.file, document)
    app_ctx.emitted = True


def write_document(stream: IO[str], document: Mapping[str, Any]) -> None:
    stream.write(dumps(document) + "\n")
    stream.flush()


def items_document(items: Iterable[Any], **extra: Any) -> dict[str, Any]:
    """A list as a document: ``{"items": [...], **extra}``."""
    return {**extra, "items": list(items)}


def error_document(message: str, exit_code: int) -> dict[str, Any]:
    """What ``--json`` prints when a command fails before it could print its own document."""
    return {"status": "error", "error": message, "exit_code": int(exit_code)}
