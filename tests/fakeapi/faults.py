"""Faults that tests queue on the fake to make the next request to a path misbehave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["status", "drop_after", "sse_error_after", "hang", "stall_after", "body"]


@dataclass(frozen=True)
class Fault:
    """One queued misbehaviour. Build it with the classmethods, not the constructor.

    - `status`: answer with an HTTP error and the API's error body instead of handling the request.
    - `drop_after`: streaming: send `message_start`, `content_block_start` and `n` content-block deltas,
      then close the socket with no terminating chunk; non-streaming: close without any response.
    - `sse_error_after`: streaming: after `n` deltas send `event: error` and end the stream cleanly;
      non-streaming: answer with the matching HTTP error (e.g. 529 for overloaded_error).
    - `hang`: wait `seconds` before handling the request normally (client timeouts fire first).
    - `body`: answer with `code` and this raw body (`content_type`) instead of handling the request, as a
      broken gateway or proxy would: HTML with a 200, JSON of the wrong shape.
    - `stall_after`: handle the request (a batch is created, say), then wait `seconds` before answering: the
      window in which a test kills the client, as a crash between the call and its bookkeeping would.

    A `status` fault made with `echo_credential=True` appends the credential the request presented (the bearer
    token or x-api-key, or the decoded `user:password` of Basic auth) to its message, as a careless gateway does.

    Deltas are counted over all `content_block_delta` events, thinking ones included. `model` (set by
    `FakeAnthropic.enqueue(..., model=M)`) limits a fault to requests whose body names that model; requests
    for other models pass it by (it stays queued).
    """

    kind: FaultKind
    code: int = 0
    error_type: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    n: int = 0
    seconds: float = 0.0
    echo_credential: bool = False
    model: str | None = None
    raw: bytes = b""
    content_type: str = "application/json"

    def applies_to(self, body: object) -> bool:
        return self.model is None or (isinstance(body, dict) and body.get("model") == self.model)

    @classmethod
    def status(
        cls,
        code: int,
        error_type: str,
        message: str = "Injected fault",
        headers: dict[str, str] | None = None,
        *,
        echo_credential: bool = False,
    ) -> Fault:
        return cls(
            "status",
            code=code,
            error_type=error_type,
            message=message,
            headers=dict(headers or {}),
            echo_credential=echo_credential,
        )

    @classmethod
    def drop_after(cls, n: int) -> Fault:
        return cls("drop_after", n=n)

    @classmethod
    def sse_error_after(
        cls, n: int, error_type: str = "overloaded_error", message: str = "Overloaded"
    ) -> Fault:
        return cls("sse_error_after", n=n, error_type=error_type, message=message)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls("hang", seconds=seconds)

    @classmethod
    def stall_after(cls, seconds: float) -> Fault:
        return cls("stall_after", seconds=seconds)

    @classmethod
    def body(cls, raw: bytes, code: int = 200, content_type: str = "application/json") -> Fault:
        return cls("body", code=code, raw=raw, content_type=content_type)
