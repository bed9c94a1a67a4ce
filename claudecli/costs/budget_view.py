"""`claudecli cost budget`: spend today and this month (UTC) against the configured budgets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


@dataclass(frozen=True)
class BudgetLine:
    name: str  # the setting
    period: str  # "today" / "this month" / "each call"
    since: datetime | None
    limit: Decimal | None
    spent: Decimal | None

    @property
    def left(self) -> Decimal | None:
        if self.limit is None or self.spent is None:
            return None
        return max(self.limit - self.spent, Decimal(0))

    @property
    def used_percent(self) -> float | None:
        if self.limit is None or self.spent is None or self.limit == 0:
            return None
        return float(self.spent / self.limit * 100)


def budget_lines(app_ctx: AppContext, now: datetime | None = None) -> list[BudgetLine]:
    from claudecli.money.periods import day_start, month_start, now_utc

    settings = app_ctx.settings.values
    now = now or now_utc()

    def money(name: str) -> Decimal | None:
        value = settings.get(name)
        return None if value is None else Decimal(str(value))

    today, month = day_start(now), month_start(now)
    ledger = app_ctx.ledger
    return [
        BudgetLine("daily_budget", "today", today, money("daily_budget"), ledger.spent_since(today)),
        BudgetLine("monthly_budget", "this month", month, money("monthly_budget"), ledger.spent_since(month)),
        BudgetLine("max_cost_per_call", "each call", None, money("max_cost_per_call"), None),
    ]


def _document(line: BudgetLine) -> dict[str, Any]:
    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "budget": line.name,
        "period": line.period,
        "since": None if line.since is None else line.since.isoformat().replace("+00:00", "Z"),
        "limit_usd": num(line.limit),
        "spent_usd": num(line.spent),
        "left_usd": num(line.left),
        "used_percent": None if line.used_percent is None else round(line.used_percent, 2),
    }


def show_budget(app_ctx: AppContext) -> None:
    from claudecli.core.context import OutputMode
    from claudecli.money.pricing import format_usd

    lines = budget_lines(app_ctx)
    if app_ctx.mode is OutputMode.JSON:
        document = {"schema_version": 1, "budgets": [_document(line) for line in lines]}
        app_ctx.stdout.file.write(json.dumps(document) + "\n")
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
            line.name,
            line.period,
            "none" if line.limit is None else format_usd(line.limit),
            "-" if line.spent is None else format_usd(line.spent),
            "-" if line.left is None else format_usd(line.left),
            "-" if line.used_percent is None else f"{line.used_percent:.0f} %",
        ]
        for line in lines
    ]
    print_table(
        app_ctx, columns, rows, title="Budgets (UTC days and months; spend from this machine's ledger)"
    )
    if all(line.limit is None for line in lines):
        app_ctx.note(
            "no budget set: add daily_budget, monthly_budget or max_cost_per_call (USD) to config.toml"
        )
