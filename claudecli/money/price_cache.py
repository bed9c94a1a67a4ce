"""Resolved model rates kept on disk, so pricing a call does not import genai-prices on every run.

Importing genai-prices and resolving a model costs ~25 ms, a fifth of everything claudecli adds to an
``ask`` on top of the SDK. The rates it resolves change only when its data, the ``[prices]`` config or the
date changes, so ``<cache dir>/prices.json`` keeps them under a fingerprint of those three. The arithmetic
is ``ModelPrices.cost`` either way; a stale, missing or unreadable cache only means genai-prices is asked.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
from dataclasses import asdict, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.core.fsutil import atomic_write_text
from claudecli.core.usage import TokenUsage
from claudecli.money.pricing import ModelPrices, PriceTier, list_usage, prices_for

if TYPE_CHECKING:
    from claudecli.core.config import Settings

CACHE_FILE = "prices.json"


def prices_fingerprint(overrides: Any, now: datetime | None = None) -> str:
    """Changes when genai-prices' data, the ``[prices]`` config or the UTC date changes (no import needed)."""
    spec = importlib.util.find_spec("genai_prices")
    stamp = ""
    if spec is not None and spec.origin:
        data = Path(spec.origin).with_name("data.py")
        with contextlib.suppress(OSError):
            info = data.stat()
            stamp = f"{data}:{info.st_mtime_ns}:{info.st_size}"
    config = json.dumps(overrides or {}, sort_keys=True, default=str)
    day = f"{(now or datetime.now(UTC)).astimezone(UTC):%Y-%m-%d}"
    return hashlib.sha256(f"{stamp}|{config}|{day}".encode()).hexdigest()[:16]


def _encode(prices: ModelPrices) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(prices), default=str))


def _decode(data: dict[str, Any]) -> ModelPrices:
    decimal_fields = {f.name for f in fields(ModelPrices) if f.type in ("Decimal", Decimal)}
    values: dict[str, Any] = {
        key: Decimal(value) if key in decimal_fields else value for key, value in data.items()
    }
    values["long_context"] = tuple(_decode_tier(tier) for tier in data.get("long_context", ()))
    values["derived"] = tuple(data.get("derived", ()))
    return ModelPrices(**values)


def _decode_tier(tier: dict[str, Any]) -> PriceTier:
    rates = {key: Decimal(value) for key, value in tier.items() if key != "above"}
    return PriceTier(above=int(tier["above"]), **rates)


class RateCache:
    """The rates of the models priced today, read once and written back (atomically) only if they grew."""

    def __init__(self, settings: Settings, when: datetime) -> None:
        self.path = settings.paths.cache_dir / CACHE_FILE
        self.overrides = settings.prices
        self.when = when
        self.fingerprint = prices_fingerprint(self.overrides, when)
        self.rates: dict[str, Any] = self._load()
        self.changed = False

    def _load(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("fingerprint") != self.fingerprint:
            return {}
        rates = document.get("rates")
        return rates if isinstance(rates, dict) else {}

    def prices(self, model: str, *, batch: bool) -> ModelPrices | None:
        key = f"{model}|{'batch' if batch else 'standard'}"
        if key in self.rates:
            entry = self.rates[key]
            with contextlib.suppress(TypeError, ValueError, KeyError, ArithmeticError):
                return None if entry is None else _decode(entry)
        prices = prices_for(model, batch=batch, when=self.when, overrides=self.overrides)
        self.rates[key] = None if prices is None else _encode(prices)
        self.changed = True
        return prices

    def save(self) -> None:
        if self.changed:
            document = {"fingerprint": self.fingerprint, "rates": self.rates}
            with contextlib.suppress(OSError):
                atomic_write_text(self.path, json.dumps(document, sort_keys=True))
            self.changed = False


def cost_and_list_price(
    settings: Settings, model: str, usage: TokenUsage, *, batch: bool, when: datetime
) -> tuple[Decimal | None, Decimal | None]:
    """A call's cost and its list price (standard rates, nothing cached); None where the price is unknown."""
    cache = RateCache(settings, when)
    rates = cache.prices(model, batch=batch)
    standard = cache.prices(model, batch=False) if batch else rates
    cache.save()
    cost = rates.cost(usage) if rates is not None else None
    list_cost = standard.cost(list_usage(usage)) if standard is not None else None
    return cost, list_cost
