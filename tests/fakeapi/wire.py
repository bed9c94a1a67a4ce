"""Wire-level building blocks shared by every route: ids, timestamps, errors and responses."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_ALPHABET = string.ascii_letters + string.digits

# HTTP status for each error type, used when a handler raises ApiError by type only.
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def new_id(prefix: str, length: int = 24) -> str:
    """A random id shaped like the real ones: `msg_01…`, `toolu_01…`, `req_01…`."""
    return prefix + "01" + "".join(secrets.choice(_ALPHABET) for _ in range(length - 2))


def new_request_id() -> str:
    return new_id("req_")


def iso(ts: datetime | None) -> str | None:
    """RFC 3339 in UTC with a `Z` suffix, as the API writes timestamps."""
    if ts is None:
        return None
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def utcnow() -> datetime:
    return datetime.now(UTC)


class ApiError(Exception):
    """Raised by handlers and validators; the server turns it into the API's error body."""

    def __init__(
        self,
        error_type: str,
        message: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status if status is not None else ERROR_STATUS.get(error_type, 500)
        self.headers = dict(headers or {})
        self.details: dict[str, Any] | None = None  # `error.details` (its `error_code` names the cause)


def invalid(message: str) -> ApiError:
    return ApiError("invalid_request_error", message)


def not_found(message: str) -> ApiError:
    return ApiError("not_found_error", message)


def error_body(
    error_type: str, message: str, request_id: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if details is not None:
        error["details"] = details
    return {"type": "error", "error": error, "request_id": request_id}


@dataclass
class SseEvent:
    """One server-sent event: `event: <name>` then `data: <json>`."""

    name: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        payload = json.dumps(self.data, separators=(",", ":"))
        return f"event: {self.name}\ndata: {payload}\n\n".encode()

    @property
    def is_delta(self) -> bool:
        return self.name == "content_block_delta"


@dataclass
class Response:
    """What a route handler returns. Exactly one of `body` / `events` is used.

    `events` makes a chunked `text/event-stream` response whose events are written one by one, so
    faults (drop, mid-stream error) and `token_delay` can act between them.
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    events: Iterable[SseEvent] | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status=status, body=json.dumps(data).encode(), headers=dict(headers or {}))

    @classmethod
    def error(cls, err: ApiError, request_id: str) -> Response:
        body = error_body(err.error_type, err.message, request_id, err.details)
        return cls.json(body, status=err.status, headers=err.headers)

    @classmethod
    def stream(cls, events: Iterable[SseEvent]) -> Response:
        return cls(content_type="text/event-stream; charset=utf-8", events=events)
