"""Token usage as the API reports it, normalised once so pricing, the ledger and the summary agree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


# Far past any call's tokens, and sums of many such rows still fit SQLite's integers.
_MOST_TOKENS = 10**12


def count_of(value: Any) -> int:
    """A count as the API reports it; one of another type, negative or past any call's (an answer not the API's)
    counts as none: it would fail the ledger's write (past SQLite's integers) or lower the spend budgets see."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if 0 <= value <= _MOST_TOKENS else 0


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one call. ``input_tokens`` follows Anthropic: it EXCLUDES cache reads and writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    thinking_tokens: int = 0
    web_search_requests: int = 0
    web_fetch_requests: int = 0  # not billed beyond tokens (kept so a report can say how many)

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def total_input_tokens(self) -> int:
        """Input including cache reads and writes (the OpenAI-style total genai-prices expects)."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @classmethod
    def from_api(cls, usage: Any) -> TokenUsage:
        """Build from an SDK ``Usage`` object or its dict form (``message.usage`` / a results line)."""
        if usage is None:
            return cls()
        creation_total = count_of(_field(usage, "cache_creation_input_tokens"))
        breakdown = _field(usage, "cache_creation")
        write_1h = min(count_of(_field(breakdown, "ephemeral_1h_input_tokens")), creation_total)
        # Without a breakdown every write counts as 5-minute (the API's default TTL); with one, anything the
        # breakdown does not explain is 5-minute too, so the two always add up to the reported total.
        write_5m = creation_total - write_1h
        details = _field(usage, "output_tokens_details")
        server_tools = _field(usage, "server_tool_use")
        return cls(
            input_tokens=count_of(_field(usage, "input_tokens")),
            output_tokens=count_of(_field(usage, "output_tokens")),
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            cache_read_tokens=count_of(_field(usage, "cache_read_input_tokens")),
            thinking_tokens=count_of(_field(details, "thinking_tokens")),
            web_search_requests=count_of(_field(server_tools, "web_search_requests")),
            web_fetch_requests=count_of(_field(server_tools, "web_fetch_requests")),
        )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        mine, theirs = asdict(self), asdict(other)
        return TokenUsage(**{key: mine[key] + theirs[key] for key in mine})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class CallMode:
    """How a call was served, as far as price goes: speed, service tier and inference region.

    Taken from the response's usage (what the API says it did), else from what was asked.
    """

    speed: str = "standard"  # "standard" or "fast"
    service_tier: str = "standard"  # "standard", "priority" or "batch"
    inference_geo: str | None = None  # None or "global": anywhere

    @classmethod
    def of(cls, usage: Any, params: Mapping[str, Any] | None = None) -> CallMode:
        asked = params or {}
        return cls(
            speed=str(_field(usage, "speed") or asked.get("speed") or "standard"),
            service_tier=str(_field(usage, "service_tier") or "standard"),
            inference_geo=_field(usage, "inference_geo") or asked.get("inference_geo") or None,
        )

    @property
    def region(self) -> str | None:
        """The region a price depends on (None: the global default)."""
        return None if self.inference_geo in (None, "global") else self.inference_geo

    @property
    def standard(self) -> bool:
        return self.speed == "standard" and self.service_tier in ("standard", "batch") and self.region is None

    def label(self) -> str:
        """``fast · priority · geo us`` for the summary line ("" when standard)."""
        parts = [self.speed] if self.speed != "standard" else []
        parts += [self.service_tier] if self.service_tier not in ("standard", "batch") else []
        parts += [f"geo {self.region}"] if self.region else []
        return " · ".join(parts)
