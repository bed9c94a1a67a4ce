"""What a cost report holds, whatever its source (this machine's ledger or the Admin API): rows and totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.core.errors import UsageError
from claudecli.core.usage import TokenUsage
from claudecli.ledger.sql import GROUPINGS

if TYPE_CHECKING:
    from claudecli.ledger.write_ahead import Unsettled

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
    unsettled: list[Unsettled] = field(default_factory=list)  # ledger: calls in flight or of unknown outcome
    # ledger: damaged copies set aside within the range; the calls before each moment there are not counted
    set_aside: list[tuple[datetime, Path]] = field(default_factory=list)

    def unsettled_totals(self, status: str) -> tuple[int, Decimal, int]:
        """(calls, their summed worst case, how many of them have no known worst case) with ``status``."""
        calls = [call for call in self.unsettled if call.status == status]
        worst = sum((call.worst_cost_usd for call in calls if call.worst_cost_usd is not None), ZERO)
        return len(calls), worst, sum(1 for call in calls if call.worst_cost_usd is None)

    @property
    def total(self) -> ReportRow:
        total = ReportRow(key=None)
        for row in self.rows:
            total.add(row)
        return total


def check_grouping(by: str, *, org: bool = False) -> str:
    allowed = ("model", "day") if org else GROUPINGS
    if by not in allowed:
        where = (
            " with --org (the Admin API knows nothing of commands, tags, profiles or loops)" if org else ""
        )
        raise UsageError(f"--by: expected one of {', '.join(allowed)}{where}, got '{by}'")
    return by
