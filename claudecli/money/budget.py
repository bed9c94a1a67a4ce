"""Budgets: refuse a call whose worst-case cost would overrun what is left; warn at 80 %.

CONTRACT (used by ask, each chat turn, batch submit and batch run):
- ``check_budget(app_ctx, params, *, force=False, batch=False)``: for one Messages request body.
- ``check_spend(app_ctx, worst_case_usd, *, force=False, what="this call", largest_call_usd=None)``: for a
  precomputed amount (a whole batch at batch prices; ``largest_call_usd``, when given, is what
  ``max_cost_per_call`` is compared with instead of the total).
Both raise ``BudgetExceeded`` (exit code 9) naming what is left and what it would cost; ``force`` skips the
refusal (the warning still shows). With no budget configured they do nothing and cost nothing (not even
opening the ledger).

Rules: the worst case is the input (a local estimate, at the cache-write rate up to the last cache
breakpoint) plus ``max_tokens`` of output, at the model's price (batch price for batches). ``daily_budget``
counts spend since midnight UTC, ``monthly_budget`` since the first of the month UTC, over every call in
this machine's ledger (all profiles). A call is refused when its worst case exceeds what is left (or nothing
is left); a warning shows when spend plus the worst case reaches 80 % of a budget. ``max_cost_per_call`` is a
cap, not a budget: it refuses, never warns. A model with no known price is warned about, not refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.core.errors import BudgetExceeded
from claudecli.core.tokens import block_tokens, text_tokens
from claudecli.core.usage import CallMode, TokenUsage
from claudecli.money.periods import day_start, month_start, now_utc
from claudecli.money.pricing import format_usd

if TYPE_CHECKING:
    from claudecli.core.config import Settings
    from claudecli.core.context import AppContext

WARN_AT = Decimal("0.8")


@dataclass(frozen=True)
class Budget:
    """One budget setting and the window it covers; ``since`` is None for the per-call cap."""

    name: str  # the setting: daily_budget / monthly_budget / max_cost_per_call
    label: str  # "daily" / "monthly" / "per-call"
    period: str  # "today" / "this month" / "each call"
    limit: Decimal | None  # None: not configured
    since: datetime | None


def budgets(settings: Settings, now: datetime | None = None) -> list[Budget]:
    """The three budget settings, configured or not, with the UTC window each covers at ``now``."""
    now = now or now_utc()

    def limit(name: str) -> Decimal | None:
        value = settings.values.get(name)
        return None if value is None else Decimal(str(value))

    return [
        Budget("daily_budget", "daily", "today", limit("daily_budget"), day_start(now)),
        Budget("monthly_budget", "monthly", "this month", limit("monthly_budget"), month_start(now)),
        Budget("max_cost_per_call", "per-call", "each call", limit("max_cost_per_call"), None),
    ]


def check_budget(
    app_ctx: AppContext, params: dict[str, Any], *, force: bool = False, batch: bool = False
) -> None:
    """Raise BudgetExceeded when the call could overrun a configured budget; warn at 80 %."""
    if all(budget.limit is None for budget in budgets(app_ctx.settings)):
        return
    worst = worst_case_usd(app_ctx, params, batch=batch)
    if worst is None:
        app_ctx.warn(f"no price known for {params.get('model')}: budgets cannot limit this call")
    check_spend(app_ctx, worst or Decimal(0), force=force)


def check_spend(
    app_ctx: AppContext,
    worst_case_usd: Decimal,
    *,
    force: bool = False,
    what: str = "this call",
    largest_call_usd: Decimal | None = None,
) -> None:
    """Compare a worst-case amount with every configured budget; see the module docstring for the rules."""
    configured = [budget for budget in budgets(app_ctx.settings) if budget.limit is not None]
    caps = [budget for budget in configured if budget.since is None]
    periods = [budget for budget in configured if budget.since is not None]
    warn_set_aside(app_ctx, periods)
    problems = [
        *(_over_cap(cap, worst_case_usd, what, largest_call_usd) for cap in caps),
        *(_over_period(app_ctx, budget, worst_case_usd, what) for budget in periods),
    ]
    problems = [problem for problem in problems if problem]
    if not problems:
        return
    if force:
        app_ctx.warn("; ".join(problems) + "; sending anyway (--force)")
        return
    raise BudgetExceeded("refused by budget: " + "; ".join(problems), hint="--force sends it anyway")


def _over_cap(cap: Budget, worst_case_usd: Decimal, what: str, largest_call_usd: Decimal | None) -> str:
    """The refusal of ``max_cost_per_call`` (a cap: it refuses, never warns), or ''."""
    one_call = worst_case_usd if largest_call_usd is None else largest_call_usd
    if cap.limit is None or one_call <= cap.limit:
        return ""
    subject = what if largest_call_usd is None else f"one request of {what}"
    return (
        f"{subject} could cost up to {format_usd(one_call)}, over max_cost_per_call {format_usd(cap.limit)}"
    )


def spent_since(app_ctx: AppContext, since: datetime) -> Decimal:
    """What a budget counts since ``since``: the ledger's calls (unsettled ones at their worst case) and the
    worst case of batches whose results are not booked yet (``AppContext.pending_spend``)."""
    return app_ctx.ledger.spent_since(since) + (app_ctx.pending_spend(since) or Decimal(0))


def _over_period(app_ctx: AppContext, budget: Budget, worst_case_usd: Decimal, what: str) -> str:
    """The refusal of a daily or monthly budget, or '' (after a warning when it would reach 80 %)."""
    if budget.limit is None or budget.since is None:
        return ""
    spent = spent_since(app_ctx, budget.since)
    left = budget.limit - spent
    if left <= 0 or worst_case_usd > left:
        return (
            f"{budget.label} budget {format_usd(budget.limit)}: {format_usd(max(left, Decimal(0)))} left, "
            f"{what} could cost up to {format_usd(worst_case_usd)}"
        )
    if budget.limit > 0 and spent + worst_case_usd >= WARN_AT * budget.limit:
        share = (spent + worst_case_usd) / budget.limit * 100
        app_ctx.warn(
            f"{budget.label} budget: {format_usd(spent)} of {format_usd(budget.limit)} spent; with {what} "
            f"(up to {format_usd(worst_case_usd)}) that could reach {share:.0f} %"
        )
    return ""


def missing_before(moment: datetime, path: Path) -> str:
    """The words for a damaged ledger set aside at ``moment``: the calls it holds are missing."""
    return (
        f"calls made before {moment:%Y-%m-%d %H:%M} UTC are not in the usage ledger: it was damaged then and "
        f"set aside as {path}"
    )


def warn_set_aside(app_ctx: AppContext, periods: list[Budget]) -> None:
    """A budget counts only what the ledger holds: after a damaged ledger was set aside within its period, the
    spend before that moment is not counted, and the user is told - by every command that checks a budget (once
    each), since the budget is not what it says until the period ends (or the copy is recovered and removed)."""
    starts = [budget.since for budget in periods if budget.since is not None]
    if not starts:
        return
    for moment, path in app_ctx.ledger.set_aside_since(min(starts)):
        labels = [budget.label for budget in periods if budget.since is not None and moment > budget.since]
        which = f"{' and '.join(labels)} budget{'s' if len(labels) > 1 else ''}"
        app_ctx.warn_once(f"{which}: {missing_before(moment, path)}; only later calls count")


def worst_case_usd(app_ctx: AppContext, params: Mapping[str, Any], *, batch: bool = False) -> Decimal | None:
    """The most one request can cost: estimated input (cache writes at their rate) plus max_tokens of output."""
    mode = CallMode.of(None, params)  # fast mode costs several times as much: the worst case says so
    return app_ctx.prices.cost(str(params.get("model")), worst_case_usage(params), batch=batch, mode=mode)


def worst_case_usage(params: Mapping[str, Any]) -> TokenUsage:
    """A TokenUsage for the worst case of ``params``: the prefix up to the last breakpoint as a cache write,
    and, for a web search tool with ``max_uses``, that many searches (without it the count is unbounded)."""
    prefix, rest, ttl = cacheable_split(params)
    return TokenUsage(
        input_tokens=rest,
        cache_write_5m_tokens=prefix if ttl != "1h" else 0,
        cache_write_1h_tokens=prefix if ttl == "1h" else 0,
        output_tokens=int(params.get("max_tokens") or 0),
        web_search_requests=_most_searches(params),
    )


def _most_searches(params: Mapping[str, Any]) -> int:
    return sum(
        tool["max_uses"]
        for tool in params.get("tools") or []
        if isinstance(tool, dict)
        and str(tool.get("type", "")).startswith("web_search_")
        and isinstance(tool.get("max_uses"), int)
    )


def cacheable_split(params: Mapping[str, Any]) -> tuple[int, int, str | None]:
    """(estimated tokens up to and including the last cache breakpoint, tokens after it, the longest TTL).

    The parts add up to ``claudecli.core.tokens.estimate_input_tokens(params)``; order is tools, system, messages.
    """
    elements: list[tuple[int, Any]] = []
    for tool in params.get("tools") or []:
        elements.append((text_tokens(json.dumps(tool, ensure_ascii=False)), _cache_mark(tool)))
    system = params.get("system") or ""
    if isinstance(system, str):
        elements.append((text_tokens(system), None))
    else:
        elements += [(block_tokens(block), _cache_mark(block)) for block in system]
    for message in params.get("messages") or []:
        content = message.get("content", "")
        blocks = [content] if isinstance(content, str) else list(content)
        for index, block in enumerate(blocks or [""]):
            elements.append((block_tokens(block) + (4 if index == 0 else 0), _cache_mark(block)))
    marks = [index for index, (_, mark) in enumerate(elements) if mark is not None]
    if not marks:
        return 0, sum(tokens for tokens, _ in elements), None
    last = marks[-1]
    prefix = sum(tokens for tokens, _ in elements[: last + 1])
    ttls = {str(elements[index][1].get("ttl") or "5m") for index in marks}
    return prefix, sum(tokens for tokens, _ in elements[last + 1 :]), "1h" if "1h" in ttls else "5m"


def _cache_mark(block: Any) -> Mapping[str, Any] | None:
    mark = block.get("cache_control") if isinstance(block, Mapping) else None
    return mark if isinstance(mark, Mapping) else None
