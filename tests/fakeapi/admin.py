"""The organisation's Usage and Cost Analytics report (Admin API): `GET /v1/organizations/analytics/usage`
and `GET /v1/organizations/analytics/cost`, in the shapes of the SDK's `BetaAnalyticsUsageItem` and
`BetaAnalyticsCostItem` inside a `SyncReportPageCursor` page.

The fake serves `fake.org_usage` when a test sets it (else `DEFAULT_ORG_USAGE`): daily rows per model, which
it filters to the requested range, groups by `group_by[]=model` and/or buckets by `time_bucket_width=1d`,
and pages with an opaque `page` cursor. Like the real API it wants the beta header, an admin key (here: one
starting with `sk-ant-admin`), and a range of at most 31 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .wire import ApiError, Response, invalid, iso, utcnow

if TYPE_CHECKING:
    from .server import FakeAnthropic, RecordedRequest

BETA = "analytics-usage-cost-2026-08-24"
MAX_RANGE = timedelta(days=31)
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class OrgUsage:
    """One day of one model's usage in the organisation; amounts in cents (decimal strings, like the API)."""

    day: str
    model: str
    requests: int
    uncached_input_tokens: int
    cache_write_5m: int
    cache_write_1h: int
    cache_read: int
    output_tokens: int
    web_searches: int
    amount_cents: str
    list_amount_cents: str


DEFAULT_ORG_USAGE = (
    OrgUsage("2026-11-02", "claude-sonnet-5-5", 40, 120_000, 10_000, 0, 300_000, 50_000, 2, "79.5", "131.0"),
    OrgUsage("2026-11-02", "claude-haiku-5-5", 300, 900_000, 0, 0, 0, 200_000, 0, "19", "19"),
    OrgUsage("2026-11-03", "claude-sonnet-5-5", 10, 30_000, 0, 5_000, 0, 10_000, 0, "20", "22.5"),
    OrgUsage("2026-11-03", "claude-opus-5-5", 5, 20_000, 0, 0, 0, 4_000, 0, "16", "16"),
)


def _parse(query: dict[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"{name}: not an RFC 3339 time: {raw!r}") from None
    if moment.tzinfo is None:
        raise invalid(f"{name}: must be timezone-aware")
    return moment.astimezone(UTC)


def _check(
    fake: FakeAnthropic, req: RecordedRequest
) -> tuple[datetime, datetime, list[str], str | None, int]:
    if BETA not in req.headers.get("anthropic-beta", ""):
        raise invalid(f"this endpoint is in beta: send anthropic-beta: {BETA}")
    token = req.headers.get("authorization", "")[7:]
    if not token.startswith("sk-ant-admin"):
        raise ApiError("authentication_error", "this endpoint needs an Admin API key")
    start = _parse(req.query, "starting_at")
    if start is None:
        raise invalid("starting_at: Field required")
    width = req.query.get("time_bucket_width") or None
    end = _parse(req.query, "ending_at")
    if width is not None and end is None:
        raise invalid("ending_at is required when time_bucket_width is set")
    end = end or min(utcnow(), start + MAX_RANGE)
    if end - start > MAX_RANGE:
        raise invalid("the range may span at most 31 days")
    group_by = [g for g in re.split(r"[,\s]+", req.query.get("group_by[]", "")) if g]
    limit = int(req.query.get("limit") or DEFAULT_LIMIT)
    return start, end, group_by, width, limit


def _rows(
    fake: FakeAnthropic, start: datetime, end: datetime, group_by: list[str], width: str | None
) -> list:
    """(bucket start, bucket end, model or None, summed OrgUsage fields) in a stable order."""
    groups: dict[tuple[str | None, str | None], list[OrgUsage]] = {}
    for usage in getattr(fake, "org_usage", None) or DEFAULT_ORG_USAGE:
        day = datetime.fromisoformat(usage.day).replace(tzinfo=UTC)
        if not start <= day < end:
            continue
        key = (usage.day if width else None, usage.model if "model" in group_by else None)
        groups.setdefault(key, []).append(usage)
    rows = []
    for (day, model), members in sorted(
        groups.items(), key=lambda item: (item[0][0] or "", item[0][1] or "")
    ):
        if day is not None:
            bucket_start = datetime.fromisoformat(day).replace(tzinfo=UTC)
            bucket_end = bucket_start + timedelta(days=1)
        else:
            bucket_start = start.replace(minute=0, second=0, microsecond=0)
            bucket_end = end.replace(minute=0, second=0, microsecond=0)
        rows.append((bucket_start, bucket_end, model, members))
    return rows


def _page(items: list[dict[str, Any]], req: RecordedRequest, limit: int) -> Response:
    offset = int(req.query.get("page") or 0)
    chunk = items[offset : offset + limit]
    more = offset + limit < len(items)
    return Response.json(
        {
            "data": chunk,
            "has_more": more,
            "next_page": str(offset + limit) if more else None,
            "data_refreshed_at": iso(utcnow().replace(minute=0, second=0, microsecond=0)),
        }
    )


def _group(model: str | None) -> dict[str, Any]:
    return {"model": model, "product": None, "workspace_id": None, "api_key_id": None, "service_tier": None}


def usage_report(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    start, end, group_by, width, limit = _check(fake, req)
    items = []
    for bucket_start, bucket_end, model, members in _rows(fake, start, end, group_by, width):
        usage = {
            "uncached_input_tokens": sum(m.uncached_input_tokens for m in members),
            "cache_creation": {
                "ephemeral_5m_input_tokens": sum(m.cache_write_5m for m in members),
                "ephemeral_1h_input_tokens": sum(m.cache_write_1h for m in members),
            },
            "cache_read_input_tokens": sum(m.cache_read for m in members),
            "output_tokens": sum(m.output_tokens for m in members),
            "requests": sum(m.requests for m in members),
            "server_tool_use": {"web_search_requests": sum(m.web_searches for m in members)},
        }
        usage["total_tokens"] = (
            usage["uncached_input_tokens"]
            + sum(usage["cache_creation"].values())
            + usage["cache_read_input_tokens"]
            + usage["output_tokens"]
        )
        items.append(
            {
                "starting_at": iso(bucket_start),
                "ending_at": iso(bucket_end),
                "group": _group(model),
                "usage": usage,
            }
        )
    return _page(items, req, limit)


def cost_report(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    start, end, group_by, width, limit = _check(fake, req)
    items = []
    for bucket_start, bucket_end, model, members in _rows(fake, start, end, group_by, width):
        cost = {
            "amount": str(sum(Decimal(m.amount_cents) for m in members)),
            "list_amount": str(sum(Decimal(m.list_amount_cents) for m in members)),
            "currency": "USD",
            "requests": sum(m.requests for m in members),
        }
        items.append(
            {
                "starting_at": iso(bucket_start),
                "ending_at": iso(bucket_end),
                "group": _group(model),
                "cost": cost,
            }
        )
    return _page(items, req, limit)
