"""Budgets: refuse a call whose worst-case cost would overrun what is left. (Filled in with `cost`.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claudecli.context import AppContext


def check_budget(app_ctx: AppContext, params: dict[str, Any], *, force: bool = False) -> None:
    """Raise BudgetExceeded when the call could overrun a configured budget; warn at 80 %."""
    return None
