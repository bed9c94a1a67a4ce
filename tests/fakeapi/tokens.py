"""Deterministic token counting.

The rule, chosen so tests can compute expected numbers by hand:

- a text counts `ceil(len(text) / 4)` tokens (0 for "", at least 1 otherwise);
- an image or document block counts a fixed 1,500 tokens;
- a tool definition counts the tokens of its canonical JSON (sorted keys, no spaces, no cache_control);
- a tool_use block counts its name plus its input's canonical JSON; a tool_result counts its content;
  a thinking block its thinking text; any other block its canonical JSON;
- there is no per-message or per-request overhead.

Input tokens = tools + system + every message (role "system" messages included). Output tokens are
counted by the reply generator: one token per word.

The request is flattened into `Element`s (one per tool, system block and message content block, in the
order tools → system → messages) because prompt caching needs the same units: a cache breakpoint is a
`cache_control` on one of them, and the prefix it closes is every element up to and including it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MEDIA_BLOCK_TOKENS = 1500
_MEDIA_TYPES = {"image", "document"}


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


def strip_cache_control(obj: Any) -> Any:
    """A copy of a block without `cache_control`, so moving a breakpoint does not change identity."""
    if isinstance(obj, dict):
        return {k: v for k, v in obj.items() if k != "cache_control"}
    return obj


def block_tokens(block: Any) -> int:
    if isinstance(block, str):
        return text_tokens(block)
    if not isinstance(block, dict):
        return text_tokens(canonical(block))
    kind = block.get("type")
    if kind == "text":
        return text_tokens(str(block.get("text", "")))
    if kind in _MEDIA_TYPES:
        return MEDIA_BLOCK_TOKENS
    if kind in ("tool_use", "server_tool_use"):
        return text_tokens(str(block.get("name", "")) + canonical(block.get("input", {})))
    if kind == "tool_result":
        return content_tokens(block.get("content", ""))
    if kind == "thinking":
        return text_tokens(str(block.get("thinking", "")))
    if kind == "redacted_thinking":
        return text_tokens(str(block.get("data", "")))
    return text_tokens(canonical(strip_cache_control(block)))


def content_tokens(content: Any) -> int:
    if isinstance(content, list):
        return sum(block_tokens(b) for b in content)
    return block_tokens(content)


@dataclass(frozen=True)
class Element:
    """One countable, cacheable unit of a request."""

    identity: str  # canonical JSON of where it sits and what it holds, without cache_control
    tokens: int
    cache_control: dict[str, Any] | None


def _element(where: list[Any], block: Any, tokens: int) -> Element:
    cc = block.get("cache_control") if isinstance(block, dict) else None
    return Element(
        canonical([*where, strip_cache_control(block)]), tokens, cc if isinstance(cc, dict) else None
    )


def _as_blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content) if isinstance(content, list) else []


def flatten(body: dict[str, Any]) -> list[Element]:
    """The request's elements in prefix order: tools, then system, then messages."""
    out: list[Element] = []
    for tool in body.get("tools") or []:
        out.append(_element(["tool"], tool, text_tokens(canonical(strip_cache_control(tool)))))
    for block in _as_blocks(body.get("system") or []):
        out.append(_element(["system"], block, block_tokens(block)))
    for i, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict):
            continue
        for block in _as_blocks(message.get("content")):
            out.append(_element(["message", i, message.get("role")], block, block_tokens(block)))
    return out


def count_input_tokens(body: dict[str, Any]) -> int:
    return sum(e.tokens for e in flatten(body))
