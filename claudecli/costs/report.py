"""`claudecli cost report`: what was spent, from this machine's ledger (or, with ``--org``, the Admin API).

Savings are measured against list price: the same tokens at the standard rate with no caching and no batch
discount. On standard calls the difference is what prompt caching saved; on batch calls it is the batch
discount plus any caching inside the batch (the ledger does not keep the two apart for a batch call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from claudecli.core.errors import UsageError
from claudecli.core.usage import TokenUsage

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.ledger.rollup import GroupTotals

GROUPINGS = ("model", "day", "command", "tag", "profile")
ZERO = Decimal(0)


@dataclass
class ReportRow:
    """One group's totals. ``saved_caching_usd`` / ``saved_batch_usd`` are None when the source cannot split."""

    key: str | None
    calls: int = 0
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal = ZERO
    list_cost_usd: Decimal = ZERO
    saved_usd: Decimal = ZERO
    saved_caching_usd: Decimal | None = ZERO
    saved_batch_usd: Decimal | None = ZERO
    unknown_cost_calls: int = 0

    def add(self, other: ReportRow) -> None:
        self.calls += other.calls
        self.usage = self.usage + other.usage
        self.cost_usd += other.cost_usd
        self.list_cost_usd += other.list_cost_usd
        self.saved_usd += other.saved_usd
        self.saved_caching_usd = _add(self.saved_caching_usd, other.saved_caching_usd)
        self.saved_batch_usd = _add(self.saved_batch_usd, other.saved_batch_usd)
        self.unknown_cost_calls += other.unknown_cost_calls


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


@dataclass
class Report:
    source: str  # "ledger" or "org"
    by: str
    since: datetime
    until: datetime | None
    rows: list[ReportRow]
    refreshed_at: datetime | None = None  # org: when Anthropic last refreshed the data

    @property
    def total(self) -> ReportRow:
        total = ReportRow(key=None)
        for row in self.rows:
            total.add(row)
        return total


def check_grouping(by: str, *, org: bool = False) -> str:
    allowed = ("model", "day") if org else GROUPINGS
    if by not in allowed:
        where = " with --org (the Admin API knows nothing of commands, tags or profiles)" if org else ""
        raise UsageError(f"--by: expected one of {', '.join(allowed)}{where}, got '{by}'")
    return by


def ledger_report(app_ctx: AppContext, since: datetime, until: datetime | None, by: str) -> Report:
    """Totals per group from the local ledger (read from the daily rollup: fast at a million rows)."""
    check_grouping(by)
    rows: dict[str | None, ReportRow] = {}
    for part in app_ctx.ledger.group_totals(since, until, by):  # type: ignore[arg-type]
        rows.setdefault(part.key, ReportRow(key=part.key)).add(_row(part))
    return Report(source="ledger", by=by, since=since, until=until, rows=list(rows.values()))


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
    from claudecli.costs.report_output import print_report, write_csv, write_json
    from claudecli.money.periods import month_start, now_utc, parse_range

    if options.as_json and options.as_csv:
        raise UsageError("--json and --csv: choose one")
    check_grouping(options.by, org=options.org)
    since, until = parse_range(options.since, options.until, default_since=month_start(now_utc()))
    if options.org:
        from claudecli.costs.org import org_report

        report = org_report(app_ctx, since, until, options.by)
    else:
        report = ledger_report(app_ctx, since, until, options.by)
    if options.as_json:
        write_json(app_ctx, report)
    elif options.as_csv:
        write_csv(app_ctx, report)
    else:
        print_report(app_ctx, report)
    return report
