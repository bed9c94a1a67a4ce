"""A local, offline token estimate: cheap, deliberately on the high side, used for budgets and caching.

Exact counts come from the count_tokens endpoint (``cost estimate``); this estimate is what we can know
without a network round trip: about four characters a token for text, and a flat figure for images and PDFs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from claudecli.core.usage import TokenUsage

CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1_600  # a large image is at most ~1,600 tokens after the API's resizing
PDF_PAGE_TOKENS = 2_500  # text plus page image, per page, as documented for PDF support
# From this many (estimated) tokens a prefix gets a cache breakpoint. The API ignores one below its model's own
# minimum at no cost, so this need not be per model; prices that assume a cache hit use money.cache_minimum.
CACHE_MIN_TOKENS = 1_024
# Uploaded files this process has seen (file id -> (mime type, size)): a file source carries no bytes, so its
# estimate comes from here (the Files API code records every file it uploads or looks up).
FILE_SIZES: dict[str, tuple[str, int]] = {}


def remember_file(file_id: str, mime_type: str, size: int) -> None:
    FILE_SIZES[file_id] = (mime_type, size)


def _pdf_tokens(base64_length: int) -> int:
    # A PDF page is ~3 KB of base64 at the least; charge a page per 30 KB, at least one.
    return PDF_PAGE_TOKENS * max(1, base64_length // 30_000)


def _file_source_tokens(file_id: Any) -> int:
    mime_type, size = FILE_SIZES.get(str(file_id), ("application/pdf", 0))
    if mime_type == "text/plain":
        return math.ceil(size / CHARS_PER_TOKEN)
    return _pdf_tokens(math.ceil(size * 4 / 3))  # as if it were sent inline, in base64


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def block_tokens(block: Any) -> int:
    if isinstance(block, str):
        return text_tokens(block)
    if not isinstance(block, Mapping):
        return 0
    kind = block.get("type")
    if kind == "text":
        return text_tokens(block.get("text", ""))
    if kind == "image":
        return IMAGE_TOKENS
    if kind == "document":
        source = block.get("source", {})
        if source.get("type") == "text":
            return text_tokens(source.get("data", ""))
        if source.get("type") == "base64":
            return _pdf_tokens(len(source.get("data", "")))
        if source.get("type") == "file":
            return _file_source_tokens(source.get("file_id"))
        return PDF_PAGE_TOKENS
    return text_tokens(json.dumps(block, ensure_ascii=False))


def content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return text_tokens(content)
    if isinstance(content, Iterable):
        return sum(block_tokens(block) for block in content)
    return 0


def tools_tokens(definitions: Iterable[Mapping[str, Any]]) -> int:
    """The input tokens of a request's ``tools`` entries: sent, and paid for, with every request."""
    return sum(text_tokens(json.dumps(tool, ensure_ascii=False)) for tool in definitions)


def estimate_input_tokens(params: Mapping[str, Any]) -> int:
    """Estimate the input tokens of a Messages request body (system, tools, messages)."""
    total = content_tokens(params.get("system") or "")
    total += tools_tokens(params.get("tools") or [])
    for message in params.get("messages") or []:
        total += 4 + content_tokens(message.get("content", ""))
    return total


def filled_in(usage: TokenUsage, params: Mapping[str, Any], answer: str) -> TokenUsage:
    """``usage`` of an answer that came back, with an estimate where it reports no input or no output: a usage
    that could not be read (stripped by a gateway, or of another type) would book a paid answer at $0."""
    if usage.output_tokens and usage.total_input_tokens:  # as every answer the API sends reports it
        return usage
    input_tokens = usage.input_tokens
    if usage.total_input_tokens == 0:  # every request has input
        input_tokens = estimate_input_tokens(params)
    output_tokens = usage.output_tokens or text_tokens(answer)
    return replace(usage, input_tokens=input_tokens, output_tokens=output_tokens)
