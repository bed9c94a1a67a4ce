"""The price book: every price in claudecli is looked up here, one way, from one cache.

Rates come from ``pricing.prices_for`` (genai-prices, or the config's ``[prices]`` tables) and are kept per
(UTC day, model, standard or batch): in memory for the life of the process, and on disk in
``<cache dir>/prices.json`` so that pricing a call, checking a budget or listing models does not import
genai-prices (~25 ms, a fifth of what claudecli adds to an ``ask``) once that model was priced that day.
Anthropic's prices change on UTC dates, hence the day. The file is tagged with a fingerprint of genai-prices'
data and of the ``[prices]`` tables; when either changes the file is ignored and rewritten. A missing, stale
or unreadable file only means genai-prices is asked again.

The one cost arithmetic is ``ModelPrices.cost``: :meth:`PriceBook.cost` and :meth:`PriceBook.list_cost` are
how the program prices usage. New rates reach the disk on :meth:`PriceBook.save` (the app context saves when
it closes); the file keeps today's rates and those of the days this process asked about.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.core.errors import ConfigError
from claudecli.core.fsutil import atomic_write_text
from claudecli.core.usage import CallMode, TokenUsage
from claudecli.money.pricing import (
    ModelPrices,
    Overrides,
    PriceTier,
    list_usage,
    plausible_rate,
    prices_for,
)

if TYPE_CHECKING:
    from claudecli.core.config import Settings

CACHE_FILE = "prices.json"
_MISSING = object()


class PriceBook:
    """Rates and costs at standard or batch prices, as in force at a moment (default: now).

    Thread-safe: the chat's warm-up looks up the model's rates in the background while a slash command may
    price something in the foreground.
    """

    def __init__(
        self,
        *,
        overrides: Overrides = None,
        cache_file: Path | None = None,
        multipliers: Mapping[str, float] | None = None,
    ) -> None:
        self.overrides = overrides
        self.multipliers = {key: Decimal(str(value)) for key, value in (multipliers or {}).items()}
        self.cache_file = cache_file
        self.fingerprint = prices_fingerprint(overrides)
        self._rates: dict[str, ModelPrices | None] = {}
        self._file: dict[str, Any] | None = None  # the file's entries, read on the first lookup
        self._new: dict[str, Any] = {}  # resolved by this process, not yet on disk
        self._days: set[str] = set()
        self._lock = threading.RLock()

    @classmethod
    def for_settings(cls, settings: Settings) -> PriceBook:
        return cls(
            overrides=settings.prices,
            cache_file=settings.paths.cache_dir / CACHE_FILE,
            multipliers=settings.price_multipliers,
        )

    def rates(
        self, model: str, *, batch: bool = False, when: datetime | None = None, fast: bool = False
    ) -> ModelPrices | None:
        """The model's rates (None when no source prices it); a malformed ``[prices]`` table is a ConfigError."""
        moment = when or datetime.now(UTC)
        day = f"{moment.astimezone(UTC):%Y-%m-%d}"
        key = f"{day}|{model}|{'batch' if batch else 'standard'}{'|fast' if fast else ''}"
        with self._lock:
            self._days.add(day)
            if key not in self._rates:
                self._rates[key] = self._lookup(key, model, batch, moment, fast)
            return self._rates[key]

    def cost(
        self,
        model: str,
        usage: TokenUsage,
        *,
        batch: bool = False,
        when: datetime | None = None,
        mode: CallMode | None = None,
    ) -> Decimal | None:
        """What ``usage`` costs, None when unknown: an unpriced model, or a speed, tier or region with no price.

        The long-context tier is chosen from the whole prompt. Fast mode uses the source's fast price, else
        ``[price_multipliers] fast``; priority capacity and a region other than global need their multiplier.
        """
        mode = mode or CallMode()
        fast = mode.speed == "fast"
        rates = self.rates(model, batch=batch, when=when, fast=fast)
        factor: Decimal | None = Decimal(1)
        if rates is None and fast:
            rates, factor = self.rates(model, batch=batch, when=when), self.multipliers.get("fast")
        for key in _multiplier_keys(mode):
            extra = self.multipliers.get(key)
            factor = None if factor is None or extra is None else factor * extra
        if rates is None or factor is None:
            return None
        return rates.cost(usage) * factor

    def list_cost(
        self, model: str, usage: TokenUsage, *, when: datetime | None = None, mode: CallMode | None = None
    ) -> Decimal | None:
        """The same tokens with nothing cached and no batch discount (the ledger's list price).

        At the call's own speed, tier and region, so that list minus cost is what caching and batching saved.
        """
        return self.cost(model, list_usage(usage), when=when, mode=mode)

    def unpriced(self, model: str, mode: CallMode, *, batch: bool = False) -> str | None:
        """The ``[price_multipliers]`` keys a call in ``mode`` lacks to be priced (its model priced), else None."""
        if mode.standard or self.rates(model, batch=batch) is None:
            return None
        needed = (
            ["fast"] if mode.speed == "fast" and self.rates(model, batch=batch, fast=True) is None else []
        )
        missing = [key for key in needed + _multiplier_keys(mode) if key not in self.multipliers]
        return ", ".join(missing) or None

    def save(self) -> None:
        """Write the rates resolved since the last save (merged with what other processes wrote meanwhile)."""
        with self._lock:
            if not self._new or self.cache_file is None:
                return
            today = f"{datetime.now(UTC):%Y-%m-%d}"
            kept = {**_read(self.cache_file, self.fingerprint), **self._new}
            kept = {key: entry for key, entry in kept.items() if key.split("|", 1)[0] in self._days | {today}}
            document = {"fingerprint": self.fingerprint, "rates": kept}
            with contextlib.suppress(OSError):  # a read-only cache dir costs a genai-prices import next time
                atomic_write_text(self.cache_file, json.dumps(document, sort_keys=True))
            self._new = {}

    def _lookup(self, key: str, model: str, batch: bool, moment: datetime, fast: bool) -> ModelPrices | None:
        """From the file when it holds a readable entry for ``key``; else from genai-prices or the config."""
        if self._file is None:
            self._file = _read(self.cache_file, self.fingerprint) if self.cache_file else {}
        entry = self._file.get(key, _MISSING)
        if entry is not _MISSING:
            with contextlib.suppress(TypeError, ValueError, KeyError, ArithmeticError, AttributeError):
                return None if entry is None else _decode(entry)
        return self._resolve(key, model, batch, moment, fast)

    def _resolve(self, key: str, model: str, batch: bool, moment: datetime, fast: bool) -> ModelPrices | None:
        try:
            prices = prices_for(model, batch=batch, when=moment, overrides=self.overrides, fast=fast)
        except ValueError as exc:  # a malformed [prices] table (the config loader normally refuses it first)
            raise ConfigError(str(exc)) from None
        self._new[key] = None if prices is None else _encode(prices)
        return prices


def _multiplier_keys(mode: CallMode) -> list[str]:
    """The ``[price_multipliers]`` a call in ``mode`` needs besides fast mode: ``priority``, ``geo.REGION``."""
    keys = ["priority"] if mode.service_tier == "priority" else []
    return keys + ([f"geo.{mode.region}"] if mode.region else [])


def prices_fingerprint(overrides: Overrides) -> str:
    """Changes when genai-prices' data or the ``[prices]`` config changes (found without importing it)."""
    spec = importlib.util.find_spec("genai_prices")
    stamp = ""
    if spec is not None and spec.origin:
        data = Path(spec.origin).with_name("data.py")
        with contextlib.suppress(OSError):
            info = data.stat()
            stamp = f"{data}:{info.st_mtime_ns}:{info.st_size}"
    config = json.dumps(overrides or {}, sort_keys=True, default=str)
    return hashlib.sha256(f"{stamp}|{config}".encode()).hexdigest()[:16]


def _read(path: Path, fingerprint: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("fingerprint") != fingerprint:
        return {}
    rates = document.get("rates")
    return rates if isinstance(rates, dict) else {}


def _encode(prices: ModelPrices) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(prices), default=str))


def _decode(data: dict[str, Any]) -> ModelPrices:
    decimal_fields = {f.name for f in fields(ModelPrices) if f.type in ("Decimal", Decimal)}
    values: dict[str, Any] = {
        key: _rate(value) if key in decimal_fields else value for key, value in data.items()
    }
    values["long_context"] = tuple(_decode_tier(tier) for tier in data.get("long_context", ()))
    values["derived"] = tuple(data.get("derived", ()))
    return ModelPrices(**values)


def _decode_tier(tier: dict[str, Any]) -> PriceTier:
    rates = {key: _rate(value) for key, value in tier.items() if key != "above"}
    return PriceTier(above=int(tier["above"]), **rates)


def _rate(text: Any) -> Decimal:
    """A rate read back from the file, or ValueError when it is not a plausible one (the entry is then resolved
    again): a damaged file must not price calls at NaN, infinity or below zero (see ``plausible_rate``)."""
    rate = Decimal(text) if isinstance(text, str) else Decimal("NaN")
    if not plausible_rate(rate):
        raise ValueError(f"not a price: {text!r}")
    return rate
