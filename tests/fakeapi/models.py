"""The model catalogue, cursor paging (shared with batches) and the /v1/models routes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .wire import Response, invalid, not_found

if TYPE_CHECKING:
    from .server import FakeAnthropic, RecordedRequest

DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 1000
_LIFECYCLES = ("active", "deprecated", "retired")


def _support(flag: bool) -> dict[str, bool]:
    return {"supported": flag}


def capabilities(*, modern: bool) -> dict[str, Any]:
    """A full `ModelCapabilities` object; `modern` models support everything, old ones little."""
    s = _support(modern)
    return {
        "batch": _support(True),
        "citations": s,
        "code_execution": s,
        "context_management": {
            "supported": modern,
            "clear_thinking_20251015": s,
            "clear_tool_uses_20250919": s,
            "compact_20260112": s,
        },
        "effort": {"supported": modern, "low": s, "medium": s, "high": s, "max": s, "xhigh": s},
        "image_input": _support(True),
        "pdf_input": s,
        "server_tools": {"supported": modern, "code_execution": s, "web_search": s},
        "structured_outputs": s,
        "thinking": {
            "supported": modern,
            "types": {"adaptive": s, "between_tools": s, "disabled": _support(True), "enabled": s},
        },
    }


def model_entry(
    model_id: str,
    display_name: str,
    created_at: str,
    lifecycle: str = "active",
    *,
    line: str | None = None,
    max_input_tokens: int = 200_000,
    max_tokens: int = 64_000,
    deprecated_at: str | None = None,
    retires_at: str | None = None,
) -> dict[str, Any]:
    """One `ModelInfo` as the API serves it (every field the SDK type knows)."""
    return {
        "type": "model",
        "id": model_id,
        "display_name": display_name,
        "created_at": created_at,
        "lifecycle": lifecycle,
        "deprecated_at": deprecated_at,
        "retires_at": retires_at,
        "line": line,
        "max_input_tokens": max_input_tokens,
        "max_tokens": max_tokens,
        "capabilities": capabilities(modern=lifecycle != "retired"),
    }


def default_models() -> list[dict[str, Any]]:
    """The default catalogue, newest first; lifecycles as the installed SDK (2.16) and the API state them."""
    opus_4_5_deprecated: dict[str, Any] = {
        "lifecycle": "deprecated",
        "deprecated_at": "2026-10-22T00:00:00Z",
        "retires_at": "2027-01-22T00:00:00Z",
    }
    sonnet_4_5_retired: dict[str, Any] = {
        "lifecycle": "retired",
        "deprecated_at": "2026-08-30T00:00:00Z",
        "retires_at": "2026-11-30T00:00:00Z",
    }
    ret: dict[str, Any] = {
        "lifecycle": "retired",
        "deprecated_at": "2025-01-15T00:00:00Z",
        "retires_at": "2025-07-21T00:00:00Z",
    }
    return [
        model_entry("claude-opus-5-5", "Claude Opus 5.5", "2026-09-15T00:00:00Z", line="opus"),
        model_entry(
            "claude-sonnet-5-5",
            "Claude Sonnet 5.5",
            "2026-09-15T00:00:00Z",
            line="sonnet",
            max_input_tokens=1_000_000,
        ),
        model_entry("claude-haiku-5-5", "Claude Haiku 5.5", "2026-08-20T00:00:00Z", line="haiku"),
        model_entry("claude-opus-5", "Claude Opus 5", "2026-03-10T00:00:00Z", line="opus"),
        model_entry("claude-sonnet-5", "Claude Sonnet 5", "2026-03-10T00:00:00Z", line="sonnet"),
        model_entry(
            "claude-opus-4-8", "Claude Opus 4.8", "2025-12-01T00:00:00Z", line="opus", max_tokens=32_000
        ),
        model_entry(
            "claude-opus-4-5", "Claude Opus 4.5", "2025-11-01T00:00:00Z", line="opus", **opus_4_5_deprecated
        ),
        model_entry("claude-sonnet-4-6", "Claude Sonnet 4.6", "2025-10-15T00:00:00Z", line="sonnet"),
        model_entry("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-01T00:00:00Z", line="haiku"),
        model_entry(
            "claude-sonnet-4-5",
            "Claude Sonnet 4.5",
            "2025-09-29T00:00:00Z",
            line="sonnet",
            **sonnet_4_5_retired,
        ),
        model_entry(
            "claude-3-haiku-20240307",
            "Claude Haiku 3",
            "2024-03-07T00:00:00Z",
            max_tokens=4_096,
            line="haiku",
            **ret,
        ),
        model_entry(
            "claude-3-opus-20240229",
            "Claude Opus 3",
            "2024-02-29T00:00:00Z",
            max_tokens=4_096,
            line="opus",
            **ret,
        ),
    ]


def find_model(models: list[dict[str, Any]], model_id: str) -> dict[str, Any] | None:
    """The entry with that id; like the API, an undated alias (or `-latest`) names its newest dated snapshot."""
    exact = next((m for m in models if m.get("id") == model_id), None)
    if exact is not None:
        return exact
    alias = re.compile(re.escape(model_id.removesuffix("-latest")) + r"-\d{8}")
    snapshots = [m for m in models if alias.fullmatch(str(m.get("id")))]
    return max(snapshots, key=lambda m: str(m["id"])) if snapshots else None


def page_limit(query: dict[str, str]) -> int:
    raw = query.get("limit", str(DEFAULT_PAGE_LIMIT))
    try:
        limit = int(raw)
    except ValueError:
        raise invalid(f"limit: Input should be a valid integer, got {raw!r}") from None
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise invalid(f"limit: Input should be between 1 and {MAX_PAGE_LIMIT}")
    return limit


def paginate(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """Cursor paging over `items` (already newest first), as the list endpoints do it.

    `after_id` returns the items after that id, `before_id` the `limit` items just before it;
    `has_more` says whether more items lie further in the paging direction. An unknown cursor gives
    an empty page.
    """
    limit = page_limit(query)
    ids = [item["id"] for item in items]
    after, before = query.get("after_id"), query.get("before_id")
    if after and before:
        raise invalid("after_id and before_id cannot be used together")
    if before:
        end = ids.index(before) if before in ids else 0
        start = max(0, end - limit)
        page, has_more = items[start:end], start > 0
    else:
        start = ids.index(after) + 1 if after in ids else (len(ids) if after else 0)
        page, has_more = items[start : start + limit], start + limit < len(items)
    return {
        "data": page,
        "has_more": has_more,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }


def lifecycle_filter(query: dict[str, str]) -> set[str]:
    """The SDK sends `lifecycle[]=a&lifecycle[]=b` (the server joins repeats with commas)."""
    raw = query.get("lifecycle[]") or query.get("lifecycle") or ""
    wanted = {v for v in re.split(r"[,\s]+", raw) if v}
    unknown = wanted - set(_LIFECYCLES)
    if unknown:
        raise invalid(f"lifecycle: unknown value(s) {sorted(unknown)}; expected one of {list(_LIFECYCLES)}")
    return wanted or {"active", "deprecated"}


def list_models(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    wanted = lifecycle_filter(req.query)
    items = [m for m in fake.models if m.get("lifecycle", "active") in wanted]
    return Response.json(paginate(items, req.query))


def get_model(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    model = find_model(fake.models, match["model_id"])
    if model is None:
        raise not_found(f"model: {match['model_id']}")
    return Response.json(model)
