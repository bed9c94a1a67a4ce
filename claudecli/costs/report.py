"""`claudecli cost report`: what was spent, from this machine's ledger (or, with ``--org``, the Admin API).

Savings are measured against list price: the same tokens at the standard rate with no caching and no batch
discount. On standard calls the difference is what prompt caching saved; on batch calls it is the batch
discount plus any caching inside the batch (the ledger does not keep the two apart for a batch call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from claudecli.core.errors import UsageError
from claudecli.costs.org import org_report
from claudecli.costs.report_data import ZERO, Report, ReportRow, check_grouping
from claudecli.costs.report_output import print_report, write_csv, write_json
from claudecli.money.budget import missing_before
from claudecli.money.periods import month_start, now_utc, parse_range

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.ledger.rollup import GroupTotals


def ledger_report(app_ctx: AppContext, since: datetime, until: datetime | None, by: str) -> Report:
    """Totals per group from the local ledger (read from the daily rollup: fast at a million rows)."""
    check_grouping(by)
    rows: dict[str | None, ReportRow] = {}
    for part in app_ctx.ledger.group_totals(since, until, by):  # type: ignore[arg-type]
        rows.setdefault(part.key, ReportRow(key=part.key)).add(_row(part))
    unsettled = app_ctx.ledger.unsettled(since, until)
    set_aside = [
        (moment, path)
        for moment, path in app_ctx.ledger.set_aside_since(since)
        if until is None or moment < until
    ]
    return Report(
        source="ledger",
        by=by,
        since=since,
        until=until,
        rows=list(rows.values()),
        unsettled=unsettled,
        set_aside=set_aside,
    )


def _row(part: GroupTotals) -> ReportRow:
    return ReportRow(
        key=part.key,
        calls=part.calls,
        usage=part.usage,
        cost_usd=part.cost_usd,
        list_cost_usd=part.list_cost_usd,
        saved_usd=part.saved_usd,
        saved_caching_usd=ZERO if part.is_batch else part.saved_usd,
        saved_batch_usd=part.saved_usd if part.is_batch else ZERO,
        unknown_cost_calls=part.unknown_cost_calls,
    )


@dataclass
class ReportOptions:
    since: str | None = None
    until: str | None = None
    by: str = "model"
    org: bool = False
    as_json: bool = False
    as_csv: bool = False


def run_report(app_ctx: AppContext, options: ReportOptions) -> Report:
    """Build the report (ledger or Admin API) for the range and print it in the chosen format."""
    if options.as_json and options.as_csv:
        raise UsageError("--json and --csv: choose one")
    check_grouping(options.by, org=options.org)
    since, until = parse_range(options.since, options.until, default_since=month_start(now_utc()))
    if options.org:
        report = org_report(app_ctx, since, until, options.by)
    else:
        report = ledger_report(app_ctx, since, until, options.by)
    for moment, path in report.set_aside:
        app_ctx.warn(f"{missing_before(moment, path)}; this report leaves them out")
    if options.as_json:
        write_json(app_ctx, report)
    elif options.as_csv:
        write_csv(app_ctx, report)
    else:
        print_report(app_ctx, report)
    return report
