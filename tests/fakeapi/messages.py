"""POST /v1/messages (JSON or SSE) and POST /v1/messages/count_tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .caching import min_cache_tokens
from .files import check_request as check_file_sources
from .models import find_model
from .replies import ReplyPlan, plan_reply
from .tokens import count_input_tokens
from .validation import beta_names, validate_message_params
from .wire import Response, SseEvent, new_id

if TYPE_CHECKING:
    from .server import FakeAnthropic, RecordedRequest


@dataclass
class Generated:
    """A finished reply: the plan plus the complete `Message` JSON it becomes."""

    plan: ReplyPlan
    message: dict[str, Any]

    @property
    def usage(self) -> dict[str, Any]:
        return self.message["usage"]


def generate(fake: FakeAnthropic, body: dict[str, Any], service_tier: str = "standard") -> Generated:
    """Plan the reply to a validated request and do its cache accounting (shared with batches)."""
    plan = plan_reply(body)
    entry = find_model(fake.models, str(body["model"])) or {}
    minimum = min_cache_tokens(fake.min_cache_tokens, str(entry.get("id", body["model"])), entry.get("line"))
    usage = fake.cache.account(body, minimum).as_usage()
    if service_tier == "standard" and fake.priority_capacity and body.get("service_tier") != "standard_only":
        service_tier = "priority"
    usage.update(
        output_tokens=plan.output_tokens,
        output_tokens_details={"thinking_tokens": plan.thinking_tokens},
        service_tier=service_tier,
        speed=body.get("speed") or "standard",
        inference_geo=body.get("inference_geo") or "global",
    )
    if plan.server_tool_use is not None:
        usage["server_tool_use"] = dict(plan.server_tool_use)
    message = {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": [block.final for block in plan.blocks],
        "stop_reason": plan.stop_reason,
        "stop_sequence": plan.stop_sequence,
        "stop_details": plan.stop_details,
        "usage": usage,
    }
    return Generated(plan, message)


def sse_events(gen: Generated) -> Iterator[SseEvent]:
    """The event sequence of a streamed reply (usage in message_delta is cumulative)."""
    usage = gen.usage
    start_usage = {k: v for k, v in usage.items() if k != "output_tokens_details"}
    start_usage["output_tokens"] = 1
    shell = {**gen.message, "content": [], "stop_reason": None, "stop_sequence": None, "stop_details": None}
    yield SseEvent("message_start", {"type": "message_start", "message": {**shell, "usage": start_usage}})
    yield SseEvent("ping", {"type": "ping"})
    for index, block in enumerate(gen.plan.blocks):
        yield SseEvent(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": block.start},
        )
        for delta in block.deltas:
            yield SseEvent(
                "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
            )
        yield SseEvent("content_block_stop", {"type": "content_block_stop", "index": index})
    delta = {
        "stop_reason": gen.plan.stop_reason,
        "stop_sequence": gen.plan.stop_sequence,
        "stop_details": gen.plan.stop_details,
    }
    final_usage = {
        key: usage[key]
        for key in (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
            "output_tokens_details",
            "server_tool_use",
        )
        if key in usage
    }
    yield SseEvent("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage})
    yield SseEvent("message_stop", {"type": "message_stop"})


def create_message(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    validate_message_params(req.body, fake.models, betas=beta_names(req.headers))
    check_file_sources(fake, req)
    gen = generate(fake, req.body)
    if req.body.get("stream"):
        return Response.stream(sse_events(gen))
    return Response.json(gen.message)


def count_tokens(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    validate_message_params(req.body, fake.models, count_only=True)
    check_file_sources(fake, req)
    return Response.json({"input_tokens": count_input_tokens(req.body)})
