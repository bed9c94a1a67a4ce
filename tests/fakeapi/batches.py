"""Message Batches: /v1/messages/batches and its sub-routes.

State lives on the fake (`fake.batches`, id → `Batch`). In `batch_mode == "instant"` a batch ends as it is
created; in "manual" it stays in_progress until `fake.finish_batch(id)`. Cancelling moves it to
"canceling" (what the cancel call returns); the next read of it ends it with every unfinished request
canceled. Each request's result is the same reply /v1/messages would give (usage service_tier
"batch"), except `[[batch_error]]` → errored (invalid_request_error) and `[[expire]]` → expired.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .files import check_file_sources
from .messages import generate
from .models import paginate
from .replies import directive, last_user_text
from .validation import beta_names, prefixed, validate_message_params
from .wire import ApiError, Response, invalid, iso, new_id, new_request_id, not_found, utcnow

if TYPE_CHECKING:
    from .server import FakeAnthropic, RecordedRequest

MAX_BATCH_REQUESTS = 100_000
EXPIRY = timedelta(hours=24)
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_OUTCOMES = ("succeeded", "errored", "canceled", "expired")


@dataclass
class Batch:
    id: str
    requests: list[dict[str, Any]]  # [{"custom_id": …, "params": {…}}] as sent
    created_at: datetime
    seq: int  # creation order, for newest-first listing
    processing_status: str = "in_progress"
    ended_at: datetime | None = None
    cancel_initiated_at: datetime | None = None
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom_id → result object

    def request_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("processing", *_OUTCOMES), 0)
        for request in self.requests:
            result = self.results.get(request["custom_id"])
            counts[result["type"] if result else "processing"] += 1
        return counts

    def to_json(self, base_url: str) -> dict[str, Any]:
        ended = self.processing_status == "ended"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.processing_status,
            "request_counts": self.request_counts(),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.created_at + EXPIRY),
            "ended_at": iso(self.ended_at),
            "cancel_initiated_at": iso(self.cancel_initiated_at),
            "archived_at": None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }

    def results_jsonl(self) -> bytes:
        """One line per request, shuffled but deterministic (ordered by a hash of the custom_id)."""
        ordered = sorted(self.requests, key=lambda r: hashlib.sha256(r["custom_id"].encode()).hexdigest())
        lines = [
            json.dumps({"custom_id": r["custom_id"], "result": self.results[r["custom_id"]]}) for r in ordered
        ]
        return ("\n".join(lines) + "\n").encode()


def validate_batch(
    body: Any, models: list[dict[str, Any]], betas: set[str] | None = None
) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list) or not body["requests"]:
        raise invalid("requests: at least one request is required")
    requests = body["requests"]
    if len(requests) > MAX_BATCH_REQUESTS:
        raise invalid(f"requests: a batch may contain at most {MAX_BATCH_REQUESTS} requests")
    seen: set[str] = set()
    for i, request in enumerate(requests):
        if not isinstance(request, dict):
            raise invalid(f"requests.{i}: Input should be an object")
        custom_id = request.get("custom_id")
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise invalid(f"requests.{i}.custom_id: {custom_id!r} must match ^[a-zA-Z0-9_-]{{1,64}}$")
        if custom_id in seen:
            raise invalid(
                f"requests.{i}.custom_id: duplicate custom_id {custom_id!r}; custom_ids must be unique"
            )
        seen.add(custom_id)
        where = f"requests.{i}.params (custom_id {custom_id!r})"
        params = request.get("params")
        try:
            validate_message_params(params, models, betas=betas)
        except ApiError as err:
            raise prefixed(err, where) from None
        if isinstance(params, dict) and params.get("stream"):
            raise invalid(f"{where}: stream: streaming is not supported in batches")
    return requests


def request_result(fake: FakeAnthropic, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = directive(last_user_text(params))
    if name == "expire":
        return {"type": "expired"}
    file_error = _file_error(fake, params)
    if file_error is not None:
        return file_error
    if name == "batch_error":
        error = {"type": "invalid_request_error", "message": "Injected batch request error ([[batch_error]])"}
        return {"type": "errored", "error": {"type": "error", "error": error, "request_id": new_request_id()}}
    return {"type": "succeeded", "message": generate(fake, params, service_tier="batch").message}


def _file_error(fake: FakeAnthropic, params: dict[str, Any]) -> dict[str, Any] | None:
    """The errored result of a request naming a file the API cannot use (an unknown, deleted or expired id)."""
    try:
        check_file_sources(fake, params, None)
    except ApiError as err:
        error = {"type": err.error_type, "message": err.message}
        return {"type": "errored", "error": {"type": "error", "error": error, "request_id": new_request_id()}}
    return None


def end_batch(fake: FakeAnthropic, batch: Batch, *, canceled: bool = False) -> None:
    """Resolve every unfinished request (or cancel them) and mark the batch ended."""
    if batch.processing_status == "ended":
        return
    for request in batch.requests:
        if request["custom_id"] not in batch.results:
            result = {"type": "canceled"} if canceled else request_result(fake, request["params"])
            batch.results[request["custom_id"]] = result
    batch.processing_status = "ended"
    batch.ended_at = utcnow()


def _settle(fake: FakeAnthropic, batch: Batch) -> Batch:
    """A read after a cancel sees the cancellation finished."""
    if batch.processing_status == "canceling":
        end_batch(fake, batch, canceled=True)
    return batch


def _lookup(fake: FakeAnthropic, batch_id: str) -> Batch:
    batch = fake.batches.get(batch_id)
    if batch is None:
        raise not_found(f"message_batch: {batch_id} not found")
    return _settle(fake, batch)


def create_batch(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    requests = validate_batch(req.body, fake.models, beta_names(req.headers))
    with fake.lock:
        fake.batch_creates += 1
        batch = Batch(new_id("msgbatch_"), requests, utcnow(), seq=fake.batch_creates)
        fake.batches[batch.id] = batch
        if fake.batch_mode == "instant":
            end_batch(fake, batch)
        return Response.json(batch.to_json(fake.link_base))


def list_batches(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        batches = sorted(fake.batches.values(), key=lambda b: b.seq, reverse=True)
        items = [_settle(fake, b).to_json(fake.link_base) for b in batches]
    return Response.json(paginate(items, req.query))


def get_batch(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        return Response.json(_lookup(fake, match["batch_id"]).to_json(fake.link_base))


def cancel_batch(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        batch = fake.batches.get(match["batch_id"])
        if batch is None:
            raise not_found(f"message_batch: {match['batch_id']} not found")
        if batch.processing_status == "ended":
            raise invalid(f"Message batch {batch.id} has already ended and cannot be canceled")
        if batch.processing_status == "in_progress":
            batch.processing_status = "canceling"
            batch.cancel_initiated_at = utcnow()
        return Response.json(batch.to_json(fake.link_base))


def delete_batch(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        batch = _lookup(fake, match["batch_id"])
        if batch.processing_status != "ended":
            raise invalid(
                f"Message batch {batch.id} cannot be deleted while it is processing; cancel it first"
            )
        del fake.batches[batch.id]
    return Response.json({"id": batch.id, "type": "message_batch_deleted"})


def batch_results(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        batch = _lookup(fake, match["batch_id"])
        if batch.processing_status != "ended":
            raise invalid(
                f"Message batch {batch.id} has not finished processing; results are not available yet"
            )
        body = batch.results_jsonl()
    return Response(body=body, content_type="application/x-jsonl")
