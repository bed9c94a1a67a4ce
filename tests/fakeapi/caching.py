"""Prompt-cache accounting: which input tokens are read from cache, written to it, or neither.

Model of the real behaviour, simplified but deterministic:

- Breakpoints are blocks carrying `cache_control: {"type": "ephemeral", "ttl": "5m"|"1h"}` (ttl defaults
  to 5m) among tools → system → message content blocks; a top-level `cache_control` in the request marks
  the last block. The prefix a breakpoint closes is every element (see `tokens.flatten`) up to and
  including it.
- A prefix's identity is a running hash of the model and the elements' canonical JSON without
  `cache_control`, so a prefix written at one breakpoint is found again when later requests put their
  breakpoint further on (a chat moving its breakpoint to the newest message reads the previous turn).
- Lookup walks back from the last breakpoint over every element position (the real API looks back
  about 20 blocks; the fake has no limit) and takes the longest live cached prefix: its tokens are
  `cache_read_input_tokens`, and reading refreshes its TTL.
- Every breakpoint past that hit whose prefix has at least `min_tokens` tokens (the model's minimum
  cacheable prefix, see `MIN_CACHE_TOKENS`; a shorter one is ignored, at no cost) is written; the tokens
  from the hit to the last such breakpoint are `cache_creation_input_tokens`, each segment attributed
  to the ttl of the breakpoint that closes it.
- `input_tokens` is the rest: total − read − creation.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .tokens import Element, flatten

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}

# The smallest prefix the API caches, by model id (dated snapshots included) or family (`line`), as
# Anthropic's prompt-caching docs give them in late 2026; any other model: DEFAULT_MIN_CACHE_TOKENS.
DEFAULT_MIN_CACHE_TOKENS = 1024
MIN_CACHE_TOKENS: dict[str, int] = {
    "claude-opus-5": 512,
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
    "haiku": 4096,
}


def min_cache_tokens(table: dict[str, int], model_id: str, line: str | None) -> int:
    """The minimum for `model_id` in `table`: its id, its id without a date, then its family."""
    undated = re.sub(r"-\d{8}$", "", model_id)
    for key in (model_id, undated, line):
        if key is not None and key in table:
            return table[key]
    return DEFAULT_MIN_CACHE_TOKENS


@dataclass
class CacheEntry:
    ttl: str
    touched: float  # clock time of the last write or read

    def alive(self, now: float) -> bool:
        return now - self.touched <= TTL_SECONDS[self.ttl]


@dataclass(frozen=True)
class CacheUsage:
    input_tokens: int
    cache_read_input_tokens: int = 0
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.ephemeral_5m_input_tokens + self.ephemeral_1h_input_tokens

    def as_usage(self) -> dict[str, Any]:
        """The input side of a `Usage` object."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.ephemeral_5m_input_tokens,
                "ephemeral_1h_input_tokens": self.ephemeral_1h_input_tokens,
            },
        }


def prefix_hashes(model: str, elements: list[Element]) -> list[str]:
    """hashes[i] identifies the prefix elements[0..i] for `model`."""
    digest = hashlib.sha256(model.encode()).digest()
    out = []
    for element in elements:
        digest = hashlib.sha256(digest + element.identity.encode()).digest()
        out.append(digest.hex())
    return out


def breakpoints(body: dict[str, Any], elements: list[Element]) -> list[tuple[int, str]]:
    """(element index, ttl) of every breakpoint, in prefix order."""
    points = {i: str(e.cache_control.get("ttl", "5m")) for i, e in enumerate(elements) if e.cache_control}
    top = body.get("cache_control")
    if isinstance(top, dict) and elements:
        points.setdefault(len(elements) - 1, str(top.get("ttl", "5m")))
    return sorted(points.items())


class PromptCache:
    """The fake's cache store; thread-safe. `clock` returns seconds (monotonic plus the test offset)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[str, CacheEntry] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def account(self, body: dict[str, Any], min_tokens: int) -> CacheUsage:
        """Split this request's input tokens into uncached / read / written, updating the store."""
        elements = flatten(body)
        cumulative = []
        running = 0
        for element in elements:
            running += element.tokens
            cumulative.append(running)
        points = breakpoints(body, elements)
        if not points:
            return CacheUsage(input_tokens=running)
        hashes = prefix_hashes(str(body.get("model", "")), elements)
        with self._lock:
            now = self._clock()
            hit = self._longest_hit(hashes[: points[-1][0] + 1], now)
            read = cumulative[hit] if hit is not None else 0
            written = {"5m": 0, "1h": 0}
            boundary = read
            for index, ttl in points:
                if (hit is not None and index <= hit) or cumulative[index] < min_tokens:
                    continue
                written[ttl] += cumulative[index] - boundary
                boundary = cumulative[index]
                self._entries[hashes[index]] = CacheEntry(ttl, now)
        return CacheUsage(
            input_tokens=running - boundary,
            cache_read_input_tokens=read,
            ephemeral_5m_input_tokens=written["5m"],
            ephemeral_1h_input_tokens=written["1h"],
        )

    def _longest_hit(self, hashes: list[str], now: float) -> int | None:
        """Index of the longest live cached prefix among `hashes`; refreshes it. Caller holds the lock."""
        for index in range(len(hashes) - 1, -1, -1):
            entry = self._entries.get(hashes[index])
            if entry is None:
                continue
            if not entry.alive(now):
                del self._entries[hashes[index]]
                continue
            entry.touched = now
            return index
        return None
