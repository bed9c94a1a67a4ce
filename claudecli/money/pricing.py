"""Rates of a model, from genai-prices' list prices or a ``[prices."model-id"]`` config table, and the one
cost arithmetic (``ModelPrices.cost``). The program looks rates up through ``claudecli.money.price_book``.

No price is written down here: genai-prices supplies every list price, long-context tier, date-dependent price
and Message Batches variant; it is imported inside the functions that need it, so importing this module stays
cheap. The only numbers here are Anthropic's multipliers of the input price, used solely to fill a price the
source lacks: cache write 1.25x (5-minute TTL) or 2x (1-hour TTL), cache read 0.1x, batch 50 % (stacking); and
Anthropic's documented web search price ($10 per 1,000 searches) for a model genai-prices gives none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.core.usage import TokenUsage

if TYPE_CHECKING:
    from genai_prices.types import ModelInfo, ModelPrice, TieredPrices

MTOK = Decimal(1_000_000)
WRITE_5M, WRITE_1H, READ, BATCH = Decimal("1.25"), Decimal(2), Decimal("0.1"), Decimal("0.5")
WEB_SEARCH_PER_1K = Decimal(10)  # Anthropic's documented price, only where genai-prices has none
RATE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
OVERRIDE_KEYS = (*RATE_FIELDS, "batch_input", "batch_output", "web_search")
# Each cache rate: its genai-prices price key and its multiple of the input price.
_CACHE = {
    "cache_write_5m": ("cache_write_mtok", WRITE_5M),
    "cache_write_1h": ("cache_write_1h_mtok", WRITE_1H),
    "cache_read": ("cache_read_mtok", READ),
}
_BATCH_CONTEXT = {"processing": "batch"}
_FAST_CONTEXT = {"speed": "fast"}
# A config table for "claude-x" also covers its dated snapshots "claude-x-20250929", "claude-x@20250929", ...
_SNAPSHOT_SUFFIX = re.compile(r"(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2}|-latest)$")

Overrides = Mapping[str, Mapping[str, Any]] | None  # the config's [prices."model-id"] tables

MAX_RATE = 1_000_000  # USD per million tokens (or per 1,000 searches): far above any real price


@dataclass(frozen=True)
class PriceTier:
    """Rates (USD/MTok) for EVERY token of a request whose input, cache included, exceeds ``above`` tokens."""

    above: int
    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal


@dataclass(frozen=True)
class ModelPrices:
    """One model's prices in USD per million tokens (``web_search``: USD per 1,000 searches).

    ``derived`` names the rates filled from input by Anthropic's multipliers because the source lacks them;
    ``"batch"`` in it means claudecli applied the 50 % batch discount (no batch price in the source for that
    model and date).
    """

    model_id: str
    model_name: str
    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    web_search: Decimal = Decimal(0)
    batch: bool = False
    source: str = "genai-prices"  # or "config"
    long_context: tuple[PriceTier, ...] = ()
    derived: tuple[str, ...] = ()

    def cost(self, usage: TokenUsage) -> Decimal:
        """What ``usage`` costs at these rates (the long-context tier chosen from the whole prompt)."""
        return sum(_parts(self.at(usage.total_input_tokens), usage).values(), Decimal(0))

    def at(self, total_input_tokens: int) -> ModelPrices:
        """The flat rates for a request with this much input (cache included): those of the tier passed."""
        for tier in reversed(self.long_context):
            if total_input_tokens > tier.above:
                return replace(self, long_context=(), **{name: getattr(tier, name) for name in RATE_FIELDS})
        return replace(self, long_context=())


def prices_for(
    model: str,
    *,
    batch: bool = False,
    when: datetime | None = None,
    overrides: Overrides = None,
    fast: bool = False,
) -> ModelPrices | None:
    """Prices of ``model`` at ``when`` (default now); None when neither genai-prices nor the config has it.

    A config table replaces genai-prices for its id and that id's dated snapshots; a malformed table raises
    ValueError (``override_problems`` reports them all up front). ``fast``: the fast-mode price, None when the
    source has none for this model (a config table never has one; ``[price_multipliers] fast`` fills in). This resolves afresh on every call: the
    program asks ``claudecli.money.price_book.PriceBook``, which keeps what this returns.
    """
    by_id = {key.lower(): key for key in overrides or ()}
    key = by_id.get(model.lower()) or by_id.get(_SNAPSHOT_SUFFIX.sub("", model.lower()))
    if key is not None and overrides is not None:
        return None if fast else _config_prices(key, overrides[key], batch=batch)
    return _genai_resolve(model, batch, when or datetime.now(tz=UTC), fast=fast)


def list_usage(usage: TokenUsage) -> TokenUsage:
    """The same tokens as if nothing were cached: every input token at the input rate (list price)."""
    return TokenUsage(
        input_tokens=usage.total_input_tokens,
        output_tokens=usage.output_tokens,
        web_search_requests=usage.web_search_requests,
    )


def _parts(rates: ModelPrices, usage: TokenUsage) -> dict[str, Decimal]:
    """USD per kind of token at flat ``rates`` (a tier already chosen)."""
    return {
        "input": usage.input_tokens * rates.input / MTOK,
        "cache_write_5m": usage.cache_write_5m_tokens * rates.cache_write_5m / MTOK,
        "cache_write_1h": usage.cache_write_1h_tokens * rates.cache_write_1h / MTOK,
        "cache_read": usage.cache_read_tokens * rates.cache_read / MTOK,
        "output": usage.output_tokens * rates.output / MTOK,
        "web_search": usage.web_search_requests * rates.web_search / 1000,
    }


def format_usd(value: Decimal | float | None) -> str:
    """``$12.35``, ``$0.0123``, tiny amounts to 2 significant digits (``$0.00042``); None is ``unknown``."""
    if value is None:
        return "unknown"
    amount = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if amount == 0:
        text = "0.00"
    elif amount >= 1:
        text = f"{amount:,.2f}"
    elif amount >= Decimal("0.01"):
        text = f"{amount:.4f}"
    else:
        text = f"{amount.quantize(Decimal(1).scaleb(amount.adjusted() - 1)):f}"
    return f"{sign}${text}"


def override_problems(overrides: Overrides) -> list[str]:
    """Every problem in the ``[prices]`` config tables, for the config loader or ``doctor`` to report."""
    problems: list[str] = []
    for model_id, table in (overrides or {}).items():
        if unknown := sorted(set(table) - set(OVERRIDE_KEYS)):
            problems.append(f'prices."{model_id}": unknown key(s) {", ".join(unknown)}')
        try:
            _config_prices(model_id, table, batch=False)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


# --- genai-prices ---


def _genai_resolve(model: str, batch: bool, when: datetime, *, fast: bool = False) -> ModelPrices | None:
    """Ask genai-prices for the price in force at ``when``: date constraints, batch variant and all.

    ``calc_price`` on an empty usage yields the resolved ``model_price``, which _complete fills gaps of.
    """
    import genai_prices

    if fast and batch:
        return None  # genai-prices has no price for both at once: a multiplier from the config fills in
    context = _FAST_CONTEXT if fast else _BATCH_CONTEXT if batch else None
    try:
        calc = genai_prices.calc_price(
            genai_prices.Usage(),
            model,
            provider_id="anthropic",
            genai_request_timestamp=when,
            price_context=context,
        )
    except LookupError:
        return None
    if fast and not _has_variant(calc.model, when, _FAST_CONTEXT):
        return None
    engine, derived = _complete(calc.model_price, halve=batch and not _has_batch_variant(calc.model, when))
    return _model_prices(calc.model, engine, batch, derived)


def _has_batch_variant(model: ModelInfo, when: datetime) -> bool:
    """Whether genai-prices prices batch for this model at ``when`` (its variants carry start dates)."""
    return _has_variant(model, when, _BATCH_CONTEXT)


def _has_variant(model: ModelInfo, when: datetime, context: Mapping[str, str]) -> bool:
    """Whether genai-prices has a price variant for ``context`` (batch, fast) of this model at ``when``."""
    return any(
        all(context.get(key) == value for key, value in variant.when.items())
        and (variant.constraint is None or variant.constraint.active(when))
        for variant in model.price_variants or ()
    )


def _complete(price: ModelPrice, *, halve: bool) -> tuple[ModelPrice, tuple[str, ...]]:
    """Apply the 50 % batch discount if genai-prices did not, and fill missing cache prices from input.

    genai-prices has a generic ``cache_write_mtok`` (Anthropic's default 5-minute TTL) and, for current
    models, ``cache_write_1h_mtok``; a model lacking one gets 1.25x / 2x / 0.1x of input.
    """
    from genai_prices.types import ModelPrice

    values = {key: val for key, val in vars(price).items() if not key.startswith("_") and val is not None}
    derived = ["batch"] if halve else []
    if halve:
        values = {key: _scale(val, BATCH) if key.endswith("_mtok") else val for key, val in values.items()}
    for name, (key, factor) in _CACHE.items():
        if key not in values and "input_mtok" in values:
            values[key] = _scale(values["input_mtok"], factor)
            derived.append(name)
    return ModelPrice(**values), tuple(derived)


def _model_prices(model: ModelInfo, engine: ModelPrice, batch: bool, derived: tuple[str, ...]) -> ModelPrices:
    """Flatten a genai-prices price into ModelPrices, its TieredPrices into ``long_context``."""
    from genai_prices.types import TieredPrices

    fields = {
        "input": engine.input_mtok,
        "output": engine.output_mtok,
        "cache_write_5m": engine.cache_write_mtok if (w5m := engine.cache_write_5m_mtok) is None else w5m,
        "cache_write_1h": engine.cache_write_1h_mtok,
        "cache_read": engine.cache_read_mtok,
    }
    starts = sorted({tier.start for v in fields.values() if isinstance(v, TieredPrices) for tier in v.tiers})
    return ModelPrices(
        model_id=model.id,
        model_name=model.name or model.id,
        **{name: _rate_at(value, 0) for name, value in fields.items()},
        web_search=WEB_SEARCH_PER_1K
        if engine.web_searches_kcount is None
        else _rate_at(engine.web_searches_kcount, 0),
        batch=batch,
        source="genai-prices",
        long_context=tuple(PriceTier(s, *(_rate_at(v, s + 1) for v in fields.values())) for s in starts),
        derived=derived if engine.web_searches_kcount is not None else (*derived, "web_search"),
    )


def _scale(value: Decimal | TieredPrices, factor: Decimal) -> Decimal | TieredPrices:
    from genai_prices.types import Tier, TieredPrices

    if isinstance(value, TieredPrices):
        return TieredPrices(value.base * factor, [Tier(t.start, t.price * factor) for t in value.tiers])
    return value * factor


def _rate_at(value: Decimal | TieredPrices | None, total_input_tokens: int) -> Decimal:
    """genai-prices' cliff rule: the highest tier whose start the whole prompt exceeds prices every token."""
    from genai_prices.types import TieredPrices

    if isinstance(value, TieredPrices):
        passed = [tier.price for tier in value.tiers if total_input_tokens > tier.start]
        return passed[-1] if passed else value.base
    return Decimal(0) if value is None else value


# --- config tables ---


def _config_prices(model_id: str, table: Mapping[str, Any], *, batch: bool) -> ModelPrices:
    """ModelPrices from ``[prices."model-id"]``: missing cache rates come from input by the multipliers.

    Batch: ``batch_input`` / ``batch_output`` if given, else 50 %; cache rates scale like input (they stack).
    """
    value = {key: _config_decimal(model_id, table, key) for key in OVERRIDE_KEYS}
    base_in, base_out = value["input"], value["output"]
    if base_in is None or base_out is None:
        raise ValueError(f'prices."{model_id}": both input and output are required (USD per million tokens)')
    derived = [name for name in _CACHE if value[name] is None]
    rates = {"input": base_in, "output": base_out}
    rates |= {name: base_in * mult if (v := value[name]) is None else v for name, (_, mult) in _CACHE.items()}
    if batch:
        batch_in, batch_out = value["batch_input"], value["batch_output"]
        factor = batch_in / base_in if batch_in is not None and base_in else BATCH
        rates = {name: rate * factor for name, rate in rates.items()}
        rates["output"] = base_out * BATCH if batch_out is None else batch_out
        derived += ["batch"] if batch_in is None or batch_out is None else []
    return ModelPrices(
        model_id=model_id,
        model_name=model_id,
        **rates,
        web_search=value["web_search"] or Decimal(0),
        batch=batch,
        source="config",
        long_context=(),
        derived=tuple(derived),
    )


def _config_decimal(model_id: str, table: Mapping[str, Any], key: str) -> Decimal | None:
    raw = table.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal) or not plausible_rate(raw):
        raise ValueError(
            f'prices."{model_id}".{key}: expected a finite non-negative number up to {MAX_RATE:,}, got {raw!r}'
        )
    return raw if isinstance(raw, Decimal) else Decimal(str(raw))


def plausible_rate(number: int | float | Decimal) -> bool:
    """A rate a price could be: finite, zero or more, at most ``MAX_RATE``. TOML reads ``inf`` and ``nan``, and
    a damaged cache may say anything: such a rate would price calls at NaN or infinity (not JSON), overflow the
    ledger's integer sums, and pass every budget check (NaN compares false with everything)."""
    finite = number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)
    return finite and 0 <= number <= MAX_RATE
