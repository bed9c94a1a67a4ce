"""The worst-case cost of a set of requests, before anything is sent.

Input tokens come from the local estimate (``claudecli.core.tokens``, deliberately on the high side); output is
every request's ``max_tokens``. Requests that carry a ``cache_control`` breakpoint are priced at the cache
write rate (the first run writes the cache). The long-context tier is the one the largest request reaches.
Loads are summed per model, so the price book is asked once per model, not once per line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from claudecli.core.usage import TokenUsage
from claudecli.money.budget import check_spend

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.money.price_book import PriceBook
    from claudecli.money.pricing import ModelPrices


@dataclass
class ModelLoad:
    requests: int = 0
    input_tokens: int = 0
    cache_5m_tokens: int = 0
    cache_1h_tokens: int = 0
    output_tokens: int = 0
    largest_input: int = 0
    largest_output: int = 0
    cached: bool = False

    def usage(self) -> TokenUsage:
        """Every request's estimated input and max_tokens of output, as one usage."""
        return TokenUsage(
            input_tokens=self.input_tokens,
            cache_write_5m_tokens=self.cache_5m_tokens,
            cache_write_1h_tokens=self.cache_1h_tokens,
            output_tokens=self.output_tokens,
        )

    def largest_usage(self, rates: ModelPrices) -> TokenUsage:
        """An upper bound of one request: the largest input at the dearest input rate it may be billed at."""
        one_hour_write = self.cached and rates.cache_write_1h > rates.input
        return TokenUsage(
            input_tokens=0 if one_hour_write else self.largest_input,
            cache_write_1h_tokens=self.largest_input if one_hour_write else 0,
            output_tokens=self.largest_output,
        )


@dataclass
class Estimate:
    models: dict[str, ModelLoad] = field(default_factory=dict)

    def add(self, model: str, input_tokens: int, max_tokens: int, cache_ttl: str | None = None) -> None:
        load = self.models.setdefault(model, ModelLoad())
        load.requests += 1
        if cache_ttl == "1h":
            load.cache_1h_tokens += input_tokens
        elif cache_ttl is not None:
            load.cache_5m_tokens += input_tokens
        else:
            load.input_tokens += input_tokens
        load.output_tokens += max_tokens
        load.largest_input = max(load.largest_input, input_tokens)
        load.largest_output = max(load.largest_output, max_tokens)
        load.cached = load.cached or cache_ttl is not None

    @property
    def requests(self) -> int:
        return sum(load.requests for load in self.models.values())

    def worst_case(self, prices: PriceBook, *, batch: bool) -> Worst:
        """The whole set and its most expensive single request (models with a known price only)."""
        worst = Worst()
        for model, load in sorted(self.models.items()):
            rates = prices.rates(model, batch=batch)
            if rates is None:
                worst.unknown.append(model)
                continue
            flat = rates.at(load.largest_input)  # every request priced at the largest one's tier
            worst.total += flat.cost(load.usage())
            worst.largest_call = max(worst.largest_call, flat.cost(load.largest_usage(flat)))
        return worst


def check_budget(
    app_ctx: AppContext, estimate: Estimate, *, batch: bool, force: bool, share: float = 1.0
) -> None:
    """The worst case, at batch or standard prices, against every budget: scaled to the ``share`` of requests
    still to run (a resumed ``batch run``); models with no known price are named and left out."""
    worst = estimate.worst_case(app_ctx.prices, batch=batch)
    for model in worst.unknown:
        app_ctx.warn(f"no price known for {model}; the estimate leaves its requests out")
    total = worst.total if share == 1.0 else worst.total * Decimal(str(round(share, 6)))
    what = "this batch" if batch else "this run"
    check_spend(app_ctx, total, force=force, what=what, largest_call_usd=worst.largest_call)


@dataclass
class Worst:
    """USD: ``total`` for every request, ``largest_call`` an upper bound of the dearest single one."""

    total: Decimal = Decimal(0)
    largest_call: Decimal = Decimal(0)
    unknown: list[str] = field(default_factory=list)  # models whose price is unknown (left out)


def cache_ttl_of(line: bytes) -> str | None:
    """The TTL of a request's cache breakpoint, judged from its canonical JSON (cheap, no re-walk)."""
    if b'"cache_control"' not in line:
        return None
    return "1h" if b'"ttl":"1h"' in line else "5m"
