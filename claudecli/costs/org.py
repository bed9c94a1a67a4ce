"""`cost report --org`: the organisation's usage and cost from the Admin API, i.e. every machine's spend.

Uses the SDK's Usage and Cost Analytics endpoints (``client.beta.organization.analytics.usage`` and
``.cost``; ``GET /v1/organizations/analytics/{usage,cost}``) with an admin key (``ANTHROPIC_ADMIN_KEY`` or
``admin_key``). The API serves at most 31 days per request, so longer ranges are asked for in windows.
Amounts come in cents (as decimal strings); the report shows USD. Data is per whole hour (or UTC day with
``--by day``), as the API aggregates it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from claudecli.core.client import build_admin_client
from claudecli.core.sdk_errors import cannot_read, translate_errors
from claudecli.core.usage import TokenUsage
from claudecli.costs.report_data import Report, ReportRow, check_grouping

MAX_WINDOW = timedelta(days=31)
PAGE_LIMIT = 1000
CENTS = Decimal(100)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def windows(since: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """``[since, until)`` cut into consecutive windows of at most 31 days."""
    start = since
    while start < until:
        end = min(start + MAX_WINDOW, until)
        yield start, end
        start = end


def _query(by: str, start: datetime, end: datetime) -> dict[str, Any]:
    query: dict[str, Any] = {"starting_at": _iso(start), "ending_at": _iso(end), "limit": PAGE_LIMIT}
    if by == "model":
        query["group_by"] = ["model"]
    else:
        query["time_bucket_width"] = "1d"
    return query


def _key(item: Any, by: str) -> str | None:
    if by == "model":
        return item.group.model
    return f"{item.starting_at.astimezone(UTC):%Y-%m-%d}"


def org_report(app_ctx: Any, since: datetime, until: datetime | None, by: str) -> Report:
    """Fetch usage and cost for ``[since, until)`` (until defaults to now) grouped by model or UTC day."""

    check_grouping(by, org=True)
    end = until or datetime.now(UTC)
    client = build_admin_client(app_ctx.settings)
    rows: dict[str | None, ReportRow] = {}
    refreshed: datetime | None = None
    try:
        with translate_errors(), _readable():
            analytics = client.beta.organization.analytics
            for start, stop in windows(since, end):
                usage_page = _report_page(analytics.usage.list(**_query(by, start, stop)))
                for item in usage_page:
                    key = _key(item, by)
                    _add_usage(rows.setdefault(key, ReportRow(key=key)), item.usage)
                refreshed = usage_page.data_refreshed_at or refreshed
                for cost_item in _report_page(analytics.cost.list(**_query(by, start, stop))):
                    key = _key(cost_item, by)
                    _add_cost(rows.setdefault(key, ReportRow(key=key)), cost_item.cost)
    finally:
        client.close()
    ordered = sorted(rows.values(), key=lambda row: (row.key is not None, row.key or ""))
    return Report(source="org", by=by, since=since, until=until, rows=ordered, refreshed_at=refreshed)


@contextlib.contextmanager
def _readable() -> Iterator[None]:
    """A report of another shape (a gateway's JSON under a 200; the SDK builds its types without checking them)
    is a server error, exit 7, never an unexpected failure, nor a report of nothing."""
    try:
        yield
    except (AttributeError, TypeError, ValueError, ArithmeticError) as exc:
        raise cannot_read("not a usage or cost report") from exc


def _report_page(page: Any) -> Any:
    if not isinstance(getattr(page, "data", None), list):  # `{}` read as a report of no spend
        raise cannot_read("not a usage or cost report")
    return page


def _add_usage(row: ReportRow, usage: Any) -> None:
    creation = usage.cache_creation
    row.usage = row.usage + TokenUsage(
        input_tokens=usage.uncached_input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_5m_tokens=creation.ephemeral_5m_input_tokens,
        cache_write_1h_tokens=creation.ephemeral_1h_input_tokens,
        cache_read_tokens=usage.cache_read_input_tokens,
        web_search_requests=usage.server_tool_use.web_search_requests,
    )
    row.calls += usage.requests or 0
    row.saved_caching_usd = None  # the Admin API does not split savings by cause
    row.saved_batch_usd = None


def _add_cost(row: ReportRow, cost: Any) -> None:
    amount = Decimal(cost.amount) / CENTS
    list_amount = Decimal(cost.list_amount) / CENTS
    row.cost_usd += amount
    row.list_cost_usd += list_amount
    row.saved_usd += list_amount - amount
    row.saved_caching_usd = None
    row.saved_batch_usd = None
