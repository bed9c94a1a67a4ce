"""`claudecli cost prices`: the price table genai-prices (or the config's ``[prices]``) gives for models.

Also the price facts `models show` prints. Rates are USD per million tokens; web search USD per 1,000.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.money.pricing import ModelPrices

RATES = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
COLUMNS = (
    Column("model"),
    Column("input", numeric=True),
    Column("output", numeric=True),
    Column("cache write 5m", numeric=True),
    Column("cache write 1h", numeric=True),
    Column("cache read", numeric=True),
    Column("batch in", numeric=True),
    Column("batch out", numeric=True),
    Column("source"),
)


def rate(value: Decimal | None) -> str:
    """``$2``, ``$0.125``, ``$18.75``: a per-MTok rate without trailing zeros."""
    if value is None:
        return "unknown"
    text = f"{value.normalize():f}"
    return f"${text}"


def model_prices(app_ctx: AppContext, model_id: str) -> tuple[ModelPrices | None, ModelPrices | None]:
    """(standard, batch) prices now; (None, None) for a model no source prices."""
    return app_ctx.prices.rates(model_id), app_ctx.prices.rates(model_id, batch=True)


def _rates(prices: ModelPrices) -> dict[str, float]:
    return {name: float(getattr(prices, name)) for name in RATES}


def prices_document(
    model_id: str, standard: ModelPrices | None, batch: ModelPrices | None
) -> dict[str, Any] | None:
    """The JSON form of a model's prices (None when unknown)."""
    if standard is None:
        return None
    batch_tiers = {tier.above: tier for tier in batch.long_context} if batch else {}
    return {
        "model": model_id,
        "priced_as": standard.model_id,
        "source": standard.source,
        "unit": "USD per million tokens",
        "standard": _rates(standard),
        "batch": _rates(batch) if batch else None,
        "web_search_per_1k": float(standard.web_search),
        "long_context": [
            {
                "above_input_tokens": tier.above,
                "standard": {name: float(getattr(tier, name)) for name in RATES},
                "batch": (
                    {name: float(getattr(batch_tiers[tier.above], name)) for name in RATES}
                    if tier.above in batch_tiers
                    else None
                ),
            }
            for tier in standard.long_context
        ],
        "derived": sorted(set(standard.derived) | set(batch.derived if batch else ())),
    }


def price_rows(model_id: str, standard: ModelPrices | None, batch: ModelPrices | None) -> list[list[str]]:
    """Table rows: the standard rates, then one row per long-context tier."""
    if standard is None:
        return [[model_id, *["unknown"] * 7, "-"]]
    source = standard.source + (" (derived: " + ", ".join(standard.derived) + ")" if standard.derived else "")
    rows = [
        [
            model_id,
            *(rate(getattr(standard, name)) for name in RATES),
            rate(batch.input if batch else None),
            rate(batch.output if batch else None),
            source,
        ]
    ]
    batch_tiers = {tier.above: tier for tier in batch.long_context} if batch else {}
    for tier in standard.long_context:
        batch_tier = batch_tiers.get(tier.above)
        rows.append(
            [
                f"  input over {tier.above:,}",
                *(rate(getattr(tier, name)) for name in RATES),
                rate(batch_tier.input if batch_tier else None),
                rate(batch_tier.output if batch_tier else None),
                "",
            ]
        )
    return rows


def show_prices(app_ctx: AppContext, names: list[str]) -> None:
    """Print the price table for ``names`` (ids or aliases), or for every listed model that is not retired."""
    from claudecli.catalog.lookup import load_catalog, lookup

    if names:
        model_ids = [lookup(app_ctx, name)[0] for name in names]
    else:
        catalog = load_catalog(app_ctx)
        if catalog.note:
            app_ctx.warn(catalog.note)
        model_ids = [model.id for model in catalog.models if model.lifecycle != "retired"]
    priced = [(model_id, *model_prices(app_ctx, model_id)) for model_id in model_ids]
    for model_id, standard, _ in priced:
        if standard is None and names:
            app_ctx.warn(f"no price known for {model_id} (neither genai-prices nor [prices] in the config)")
    from claudecli.core.context import OutputMode

    if app_ctx.mode is OutputMode.JSON:
        document = {
            "schema_version": 1,
            "models": [
                {"model": model_id, "prices": prices_document(model_id, standard, batch)}
                for model_id, standard, batch in priced
            ],
        }
        app_ctx.stdout.file.write(json.dumps(document) + "\n")
        return
    rows = [row for model_id, standard, batch in priced for row in price_rows(model_id, standard, batch)]
    print_table(app_ctx, COLUMNS, rows, title="USD per million tokens")
