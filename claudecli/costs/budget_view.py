"""`claudecli cost budget`: spend today and this month (UTC) against the configured budgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.core.context import OutputMode
from claudecli.money.budget import Budget, budgets, spent_since, warn_set_aside
from claudecli.money.pricing import format_usd
from claudecli.render.emit import emit, iso_or_none
from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


@dataclass(frozen=True)
class BudgetLine:
    budget: Budget
    spent: Decimal | None  # None for the per-call cap: it has no period to spend in
    # the last damaged ledger set aside in the period: the spend before that moment is not counted
    set_aside_at: datetime | None = None

    @property
    def left(self) -> Decimal | None:
        if self.budget.limit is None or self.spent is None:
            return None
        return max(self.budget.limit - self.spent, Decimal(0))

    @property
    def used_percent(self) -> float | None:
        limit = self.budget.limit
        if limit is None or self.spent is None or limit == 0:
            return None
        return float(self.spent / limit * 100)


def budget_lines(app_ctx: AppContext) -> list[BudgetLine]:
    """Every budget setting with what was spent in its period (spend shows even with no budget set)."""
    return [
        BudgetLine(budget, None, None)
        if budget.since is None
        else BudgetLine(budget, spent_since(app_ctx, budget.since), _last_set_aside(app_ctx, budget.since))
        for budget in budgets(app_ctx.settings)
    ]


def _last_set_aside(app_ctx: AppContext, since: datetime) -> datetime | None:
    copies = app_ctx.ledger.set_aside_since(since)
    return copies[-1][0] if copies else None


def _document(line: BudgetLine) -> dict[str, Any]:
    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    budget = line.budget
    return {
        "budget": budget.name,
        "period": budget.period,
        "since": None if budget.since is None else budget.since.isoformat().replace("+00:00", "Z"),
        "limit_usd": num(budget.limit),
        "spent_usd": num(line.spent),
        "left_usd": num(line.left),
        "used_percent": None if line.used_percent is None else round(line.used_percent, 2),
        "ledger_set_aside_at": iso_or_none(line.set_aside_at),
    }


def show_budget(app_ctx: AppContext) -> None:

    lines = budget_lines(app_ctx)
    warn_set_aside(app_ctx, [line.budget for line in lines])
    if app_ctx.mode is OutputMode.JSON:
        emit(app_ctx, {"budgets": [_document(line) for line in lines]})
        return
    columns = [
        Column("budget"),
        Column("period"),
        Column("limit", numeric=True),
        Column("spent", numeric=True),
        Column("left", numeric=True),
        Column("used", numeric=True),
    ]
    rows = [
        [
            line.budget.name,
            line.budget.period,
            "none" if line.budget.limit is None else format_usd(line.budget.limit),
            "-" if line.spent is None else format_usd(line.spent),
            "-" if line.left is None else format_usd(line.left),
            "-" if line.used_percent is None else f"{line.used_percent:.0f} %",
        ]
        for line in lines
    ]
    print_table(
        app_ctx,
        columns,
        rows,
        title="Budgets (UTC days and months; this machine's ledger and uncollected batches)",
    )
    if all(line.budget.limit is None for line in lines):
        app_ctx.note(
            "no budget set: add daily_budget, monthly_budget or max_cost_per_call (USD) to config.toml"
        )
