"""The core of `claudecli models` (the list) and `claudecli models show ID|ALIAS` (one model in full)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from claudecli.catalog.lookup import Catalog, ModelFacts, aliases_of, fetch_catalog, load_catalog, lookup
from claudecli.core.context import OutputMode
from claudecli.core.errors import NotFoundError
from claudecli.costs.prices_table import model_prices, prices_document, rate
from claudecli.render.emit import emit
from claudecli.render.table import Column, cell_text, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.money.pricing import ModelPrices

LIST_COLUMNS = (
    Column("id"),
    Column("name", drop_order=1),  # the id says it too
    Column("lifecycle"),
    Column("context", numeric=True),
    Column("max output", numeric=True, short="max out"),
    Column("$/MTok in/out", numeric=True),
    Column("released", drop_order=2),
)


@dataclass
class ModelsOptions:
    show_all: bool = False
    refresh: bool = False


def _tokens(count: int | None) -> str:
    """200k, 1M, 4,096: a context size at a glance."""
    if count is None:
        return "-"
    if count >= 1_000_000 and count % 100_000 == 0:
        return f"{count / 1_000_000:g}M"
    if count >= 10_000 and count % 1_000 == 0:
        return f"{count // 1_000}k"
    return f"{count:,}"


def _catalog(app_ctx: AppContext, *, refresh: bool = False) -> Catalog:
    catalog = fetch_catalog(app_ctx) if refresh else load_catalog(app_ctx)
    if catalog.note:
        app_ctx.warn(catalog.note)
    return catalog


def _source(catalog: Catalog) -> dict[str, Any]:
    fetched = catalog.fetched_at
    return {
        "source": catalog.source,
        "fetched_at": None if fetched is None else fetched.isoformat().replace("+00:00", "Z"),
    }


def list_models(app_ctx: AppContext, options: ModelsOptions) -> None:
    """Print the models list (retired ones only with ``show_all``) with standard input/output prices."""

    catalog = _catalog(app_ctx, refresh=options.refresh)
    models = [m for m in catalog.models if options.show_all or m.lifecycle != "retired"]
    prices = {model.id: app_ctx.prices.rates(model.id) for model in models}
    if app_ctx.mode is OutputMode.JSON:
        entries = []
        for model in models:
            rates = prices[model.id]
            entry = model.as_dict()
            entry["aliases"] = aliases_of(app_ctx, model.id, catalog)
            entry["price_per_mtok"] = (
                None if rates is None else {"input": float(rates.input), "output": float(rates.output)}
            )
            entries.append(entry)
        emit(app_ctx, {**_source(catalog), "models": entries})
        return
    rows = [_list_row(model, prices[model.id]) for model in models]
    print_table(app_ctx, LIST_COLUMNS, rows)
    hidden = sum(1 for m in catalog.models if m.lifecycle == "retired") if not options.show_all else 0
    if hidden:
        app_ctx.note(f"{hidden} retired model(s) hidden; --all shows them")


def _list_row(model: ModelFacts, rates: ModelPrices | None) -> list[str]:
    price = "unknown" if rates is None else f"${rates.input} / ${rates.output}"
    released = "-" if model.created_at is None else f"{model.created_at:%Y-%m-%d}"
    return [
        model.id,
        model.display_name,
        model.lifecycle,
        _tokens(model.context_window),
        _tokens(model.max_output_tokens),
        price,
        released,
    ]


def show_model(app_ctx: AppContext, name: str) -> None:
    """Everything known about one model: facts, aliases, every price, lifecycle dates, replacement."""

    catalog = _catalog(app_ctx)
    named, _ = lookup(app_ctx, name, catalog)
    facts = catalog.find(named)  # an id, or the API's undated alias of a dated one (as `ask -m` accepts)
    if facts is None:
        raise NotFoundError(
            f"model '{named}' is not in the models list", hint="`claudecli models --all` lists every model"
        )
    model_id = facts.id
    standard, batch = model_prices(app_ctx, model_id)
    aliases = aliases_of(app_ctx, model_id, catalog)
    if app_ctx.mode is OutputMode.JSON:
        document = {
            **facts.as_dict(),
            "aliases": aliases,
            "prices": prices_document(model_id, standard, batch),
        }
        emit(app_ctx, {**_source(catalog), "model": document})
        return
    lines = _show_lines(facts, aliases, standard, batch)
    width = max(len(label) for label, _ in lines)
    text = "\n".join(f"{label.ljust(width)}  {cell_text(value)}" for label, value in lines) + "\n"
    app_ctx.stdout.file.write(text)
    app_ctx.stdout.file.flush()


def _show_lines(facts: ModelFacts, aliases: list[str], standard: Any, batch: Any) -> list[tuple[str, str]]:

    facts_dict = facts.as_dict()
    lines = [
        ("id", facts.id),
        ("name", facts.display_name),
        ("lifecycle", facts.lifecycle),
        ("family", facts.line or "-"),
        ("aliases", ", ".join(aliases) or "-"),
        ("context window", "-" if facts.context_window is None else f"{facts.context_window:,} tokens"),
        ("max output", "-" if facts.max_output_tokens is None else f"{facts.max_output_tokens:,} tokens"),
        ("released", facts_dict["released"] or "-"),
        ("deprecated", facts_dict["deprecated_at"] or "-"),
        ("retires", facts_dict["retires_at"] or "-"),
    ]
    if facts.lifecycle != "active":
        lines.append(("replacement", facts.replacement or "-"))
    if standard is None:
        return [*lines, ("prices", "unknown (neither genai-prices nor [prices] in the config knows it)")]

    def rates(prices: Any) -> str:
        return (
            f"input {rate(prices.input)} · output {rate(prices.output)} · cache write 5m "
            f"{rate(prices.cache_write_5m)} · 1h {rate(prices.cache_write_1h)} · cache read {rate(prices.cache_read)}"
        )

    lines.append(("price /MTok", rates(standard)))
    if batch is not None:
        lines.append(("batch /MTok", rates(batch)))
    for tier in standard.long_context:
        lines.append((f"over {tier.above:,} in", rates(tier)))
    if standard.web_search:
        lines.append(("web search", f"{rate(standard.web_search)} per 1,000"))
    derived = f" (derived: {', '.join(standard.derived)})" if standard.derived else ""
    lines.append(("price source", standard.source + derived))
    return lines
