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


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


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
        creation_total = _int(_field(usage, "cache_creation_input_tokens"))
        breakdown = _field(usage, "cache_creation")
        write_1h = min(_int(_field(breakdown, "ephemeral_1h_input_tokens")), creation_total)
        # Without a breakdown every write counts as 5-minute (the API's default TTL); with one, anything the
        # breakdown does not explain is 5-minute too, so the two always add up to the reported total.
        write_5m = creation_total - write_1h
        details = _field(usage, "output_tokens_details")
        server_tools = _field(usage, "server_tool_use")
        return cls(
            input_tokens=_int(_field(usage, "input_tokens")),
            output_tokens=_int(_field(usage, "output_tokens")),
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            cache_read_tokens=_int(_field(usage, "cache_read_input_tokens")),
            thinking_tokens=_int(_field(details, "thinking_tokens")),
            web_search_requests=_int(_field(server_tools, "web_search_requests")),
            web_fetch_requests=_int(_field(server_tools, "web_fetch_requests")),
        )

    def __add__(self, other: TokenUsage) -> TokenUsage:
        mine, theirs = asdict(self), asdict(other)
        return TokenUsage(**{key: mine[key] + theirs[key] for key in mine})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
