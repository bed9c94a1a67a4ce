"""Pricing many results fast: ``pricing.prices_for`` once per model, then the same arithmetic per line.

``pricing.cost_usd`` resolves the model in genai-prices on every call (~0.2 ms); 100,000 results would spend
most of a download there. Prices are per-token rates (with a long-context tier chosen by the whole prompt),
so pricing a usage is a handful of multiplications once the rates are known. ``tests/test_batch_units.py``
checks this agrees with ``pricing.cost_usd`` and ``pricing.list_price_usd``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from claudecli.core.usage import TokenUsage
from claudecli.money.pricing import ModelPrices, list_usage, prices_for

if TYPE_CHECKING:
    from claudecli.core.config import Settings


class Pricer:
    """Prices at batch (``batch=True``) or standard rates, as in force at ``when``."""

    def __init__(self, settings: Settings, *, batch: bool, when: datetime | None = None) -> None:
        self.overrides = settings.prices
        self.batch = batch
        self.when = when
        self._rates: dict[tuple[str, bool], ModelPrices | None] = {}

    def _prices(self, model: str, batch: bool) -> ModelPrices | None:
        key = (model, batch)
        if key not in self._rates:
            self._rates[key] = prices_for(model, batch=batch, when=self.when, overrides=self.overrides)
        return self._rates[key]

    def cost(self, model: str, usage: TokenUsage) -> Decimal | None:
        return self._price(model, usage, self.batch)

    def list_cost(self, model: str, usage: TokenUsage) -> Decimal | None:
        """Standard price, no caching, no batch discount (the ledger's ``list_cost_usd``)."""
        return self._price(model, list_usage(usage), False)

    def _price(self, model: str, usage: TokenUsage, batch: bool) -> Decimal | None:
        prices = self._prices(model, batch)
        return None if prices is None else prices.cost(usage)
