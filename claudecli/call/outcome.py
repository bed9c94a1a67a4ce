"""What one API call produced: the answer, its usage and cost, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from claudecli.core.usage import CallMode, TokenUsage


@dataclass
class CallOutcome:
    model: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal | None = None
    list_cost_usd: Decimal | None = None
    latency_ms: int | None = None
    ttft_ms: int | None = None
    stop_reason: str | None = None
    request_id: str | None = None
    status: str = "ok"  # "ok", "interrupted", or the error type
    text: str = ""
    thinking: str = ""
    content: list[dict[str, Any]] = field(default_factory=list)
    max_tokens: int | None = None
    is_batch: bool = False
    fallback_from: CallOutcome | None = None  # the overloaded call this one stood in for (its own ledger row)
    mode: CallMode = field(default_factory=CallMode)  # speed, service tier and region, as served
    unbilled: bool = (
        False  # answered with an HTTP error status: it costs nothing (core.client.answered_with_error)
    )

    @property
    def complete(self) -> bool:
        return self.status == "ok"
