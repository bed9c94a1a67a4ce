"""Every Message Batches API call of this package, through the SDK client, with errors translated.

The SDK's objects stay in here: callers get :class:`RemoteBatch`. The create call posts the spool's streamed
body through the SDK client's ``post`` (auth, retries, retry-after cap and error mapping all apply) instead
of ``batches.create(requests=[…])``, which would hold every request as Python objects *and* as encoded JSON.
Results are read line by line from the raw streamed response (``with_streaming_response``): constant memory,
no model objects per line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from claudecli.core.sdk_errors import cannot_read, translate_errors
from claudecli.core.usage import count_of

if TYPE_CHECKING:
    import anthropic

    from claudecli.batch.spool import SpoolBody

COUNT_KINDS = ("processing", "succeeded", "errored", "canceled", "expired")


@dataclass(frozen=True)
class RemoteBatch:
    id: str
    processing_status: str
    created_at: datetime
    ended_at: datetime | None = None
    expires_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"

    @property
    def total(self) -> int:
        return sum(self.counts.get(kind, 0) for kind in COUNT_KINDS)

    @property
    def done(self) -> int:
        return self.total - self.counts.get("processing", 0)


def _remote(batch: Any) -> RemoteBatch:
    """The batch as claudecli keeps it. The SDK builds its types from a 200 without checking them, so a gateway's
    JSON of another shape arrives with fields missing or of other types: that is an answer claudecli cannot
    read (a ServerError: ``batch submit`` then reconciles, as after any create whose outcome is unknown)."""
    batch_id, status, created_at = (
        getattr(batch, name, None) for name in ("id", "processing_status", "created_at")
    )
    if not (
        isinstance(batch_id, str)
        and batch_id
        and isinstance(status, str)
        and isinstance(created_at, datetime)
    ):
        raise cannot_read("not a batch: no id, state or creation time")
    counts = getattr(batch, "request_counts", None)
    return RemoteBatch(
        id=batch_id,
        processing_status=status,
        created_at=created_at,
        ended_at=_moment(getattr(batch, "ended_at", None)),
        expires_at=_moment(getattr(batch, "expires_at", None)),
        counts={kind: count_of(getattr(counts, kind, 0)) for kind in COUNT_KINDS},
    )


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def create(client: anthropic.Anthropic, body: SpoolBody, betas: tuple[str, ...] = ()) -> RemoteBatch:
    from anthropic.types.messages import MessageBatch

    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if betas:
        headers["anthropic-beta"] = ",".join(betas)
    with translate_errors():
        batch = client.post(
            "/v1/messages/batches",
            cast_to=MessageBatch,
            content=body,
            options={"headers": headers},
        )
    return _remote(batch)


def retrieve(client: anthropic.Anthropic, batch_id: str) -> RemoteBatch:
    with translate_errors():
        return _remote(client.messages.batches.retrieve(batch_id))


def cancel(client: anthropic.Anthropic, batch_id: str) -> RemoteBatch:
    with translate_errors():
        return _remote(client.messages.batches.cancel(batch_id))


def delete(client: anthropic.Anthropic, batch_id: str) -> None:
    with translate_errors():
        client.messages.batches.delete(batch_id)


def created_since(client: anthropic.Anthropic, since: datetime) -> Iterator[RemoteBatch]:
    """Remote batches created at or after ``since``, newest first (stops paging once older ones show)."""
    with translate_errors():
        for batch in client.messages.batches.list(limit=100):
            if batch.created_at < since:
                return
            yield _remote(batch)


@contextlib.contextmanager
def result_lines(client: anthropic.Anthropic, batch_id: str) -> Iterator[Iterator[str]]:
    """The raw JSONL result lines of an ended batch, streamed."""
    with translate_errors(), client.messages.batches.with_streaming_response.results(batch_id) as response:
        yield (line for line in response.iter_lines() if line.strip())
