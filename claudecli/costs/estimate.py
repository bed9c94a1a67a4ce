"""`claudecli cost estimate`: what a prompt would cost on several models, before sending it.

Input tokens are exact, from the free count_tokens endpoint (one count per model: tokenizers differ), or a
local estimate with ``--offline``. Output is ``--output-tokens`` (default: ``max_tokens``, the most the call
could produce, which is also what budgets assume). Three prices per model: now (standard), at batch price,
and with the cacheable prefix (system prompt and attachments, what ``ask`` caches) read from the cache, as
a repeat of the call within the cache TTL would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.call.attachments import FileRefs, attachment_blocks
from claudecli.call.prompt_input import read_prompt, read_text_option
from claudecli.call.request import user_content
from claudecli.catalog.lookup import load_catalog, resolve_model
from claudecli.core.context import OutputMode
from claudecli.core.sdk_errors import cannot_read, translate_errors
from claudecli.core.tokens import CACHE_MIN_TOKENS, estimate_input_tokens
from claudecli.core.usage import TokenUsage
from claudecli.money.cache_minimum import cache_min_tokens
from claudecli.money.pricing import format_usd
from claudecli.render.emit import emit
from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

DEFAULT_MODELS = ("haiku", "sonnet", "opus")


@dataclass
class EstimateOptions:
    prompt_words: list[str]
    attach: list[str] = field(default_factory=list)
    system: str | None = None
    models: list[str] = field(default_factory=list)
    output_tokens: int | None = None
    offline: bool = False
    use_stdin: bool = True


@dataclass(frozen=True)
class ModelEstimate:
    model: str
    input_tokens: int
    prefix_tokens: int  # the cacheable part: system prompt and attachments
    output_tokens: int
    cost_usd: Decimal | None
    batch_cost_usd: Decimal | None
    cached_cost_usd: Decimal | None  # None also when there is nothing (big enough) to cache
    first_call_cached_usd: Decimal | None  # the call that writes the cache
    cache_min_tokens: int = 0  # the model's minimum cacheable prefix

    def as_dict(self) -> dict[str, Any]:
        def num(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "prefix_tokens": self.prefix_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": num(self.cost_usd),
            "batch_cost_usd": num(self.batch_cost_usd),
            "cached_cost_usd": num(self.cached_cost_usd),
            "first_call_cached_cost_usd": num(self.first_call_cached_usd),
            "cache_min_tokens": self.cache_min_tokens,
        }


@dataclass
class _Request:
    system: str | None
    full: list[dict[str, Any]]  # messages with attachments and prompt
    prompt_only: list[dict[str, Any]]
    has_prefix: bool


def _build_request(app_ctx: AppContext, options: EstimateOptions) -> _Request:

    settings = app_ctx.settings
    system = (
        read_text_option(options.system, "-s/--system") if options.system is not None else settings.system
    )
    attachments = attachment_blocks(options.attach, FileRefs(app_ctx))
    prompt = read_prompt(options.prompt_words, app_ctx.stdin, use_stdin=options.use_stdin)
    content = user_content(prompt, attachments, cache=False, ttl=settings.cache_ttl)
    return _Request(
        system=system or None,
        full=[{"role": "user", "content": content}],
        prompt_only=[{"role": "user", "content": prompt}],
        has_prefix=bool(system or attachments),
    )


def _count(app_ctx: AppContext, model: str, request: _Request, offline: bool) -> tuple[int, int]:
    """(input tokens, prefix tokens) of the request on ``model``."""
    if offline:

        def count(messages: list[dict[str, Any]], system: str | None) -> int:
            params: dict[str, Any] = {"messages": messages}
            if system:
                params["system"] = system
            return estimate_input_tokens(params)
    else:

        def count(messages: list[dict[str, Any]], system: str | None) -> int:
            extra: dict[str, Any] = {"system": system} if system else {}
            with translate_errors():
                counted = app_ctx.client.messages.count_tokens(
                    model=model,
                    messages=messages,  # type: ignore[arg-type]
                    **extra,
                )
            tokens = getattr(counted, "input_tokens", None)
            if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:  # a gateway's JSON
                raise cannot_read("a token count without input_tokens")
            return tokens

    total = count(request.full, request.system)
    if not request.has_prefix:
        return total, 0
    return total, max(0, total - count(request.prompt_only, None))


def estimate_for(
    app_ctx: AppContext, model: str, total: int, prefix: int, output: int, *, min_cache_tokens: int
) -> ModelEstimate:
    """Prices of one model. A "cached" price only where the prefix would really be cached: ``ask`` marks it
    (at least ``CACHE_MIN_TOKENS``) and the API caches it (at least the model's ``min_cache_tokens``)."""

    standard = TokenUsage(input_tokens=total, output_tokens=output)
    cacheable = prefix >= max(CACHE_MIN_TOKENS, min_cache_tokens)
    ttl_1h = app_ctx.settings.cache_ttl == "1h"
    write = TokenUsage(
        input_tokens=total - prefix,
        cache_write_5m_tokens=0 if ttl_1h else prefix,
        cache_write_1h_tokens=prefix if ttl_1h else 0,
        output_tokens=output,
    )
    read = TokenUsage(input_tokens=total - prefix, cache_read_tokens=prefix, output_tokens=output)
    prices = app_ctx.prices
    return ModelEstimate(
        model=model,
        input_tokens=total,
        prefix_tokens=prefix,
        output_tokens=output,
        cost_usd=prices.cost(model, standard),
        batch_cost_usd=prices.cost(model, standard, batch=True),
        cached_cost_usd=prices.cost(model, read) if cacheable else None,
        first_call_cached_usd=prices.cost(model, write) if cacheable else None,
        cache_min_tokens=min_cache_tokens,
    )


def _min_cache_tokens(app_ctx: AppContext, model: str, offline: bool) -> int:
    """The model's minimum cacheable prefix (config, then the built-in table), by id or by family."""

    facts = load_catalog(app_ctx, quick=True, offline=offline).find(model)
    family = facts.line if facts is not None else None
    return cache_min_tokens(model, family=family, overrides=app_ctx.settings.cache_min_tokens)


def run_estimate(app_ctx: AppContext, options: EstimateOptions) -> list[ModelEstimate]:
    """Count, price and print; returns the estimates (for tests and callers)."""

    if not options.offline:  # the SDK loads while the prompt is read (claudecli.core.warmup)
        app_ctx.warm_up([app_ctx.prime_client])
    request = _build_request(app_ctx, options)
    output = app_ctx.settings.max_tokens if options.output_tokens is None else options.output_tokens
    model_ids = list(
        dict.fromkeys(
            resolve_model(app_ctx, name, offline=options.offline) for name in options.models or DEFAULT_MODELS
        )
    )
    estimates = []
    for model in model_ids:
        total, prefix = _count(app_ctx, model, request, options.offline)
        minimum = _min_cache_tokens(app_ctx, model, options.offline)
        estimates.append(estimate_for(app_ctx, model, total, prefix, output, min_cache_tokens=minimum))
    _print(app_ctx, estimates, options, output)
    return estimates


def _print(
    app_ctx: AppContext, estimates: list[ModelEstimate], options: EstimateOptions, output: int
) -> None:

    counted_by = "local_estimate" if options.offline else "count_tokens"
    if app_ctx.mode is OutputMode.JSON:
        document = {
            "counted_by": counted_by,
            "models": [estimate.as_dict() for estimate in estimates],
        }
        emit(app_ctx, document)
        return
    how = (
        "input estimated locally (offline, about 4 characters a token): not exact"
        if options.offline
        else "input tokens counted by the API (count_tokens)"
    )
    source = "max_tokens; --output-tokens N to change" if options.output_tokens is None else "--output-tokens"
    title = f"Estimate: {how}; {output:,} output tokens ({source})"
    columns = [
        Column("model"),
        Column("input tokens", numeric=True),
        Column("now", numeric=True),
        Column("batch", numeric=True),
        Column("prefix cached", numeric=True),
    ]
    rows = [
        [
            e.model,
            f"{e.input_tokens:,}" + (" (est.)" if options.offline else ""),
            format_usd(e.cost_usd),
            format_usd(e.batch_cost_usd),
            "-" if e.cached_cost_usd is None else format_usd(e.cached_cost_usd),
        ]
        for e in estimates
    ]
    print_table(app_ctx, columns, rows, title=title)
    if any(e.cached_cost_usd is not None for e in estimates):
        app_ctx.note(
            "prefix cached: a repeat within the cache TTL, system prompt and attachments read from cache"
        )
    too_short = [e for e in estimates if e.cached_cost_usd is None and e.prefix_tokens]
    if too_short:
        shortfalls = ", ".join(
            f"{e.model}: {e.prefix_tokens:,} < {max(e.cache_min_tokens, CACHE_MIN_TOKENS):,}"
            for e in too_short
        )
        app_ctx.note(
            "prefix cached: '-' where the prefix (system prompt and attachments) is shorter than the model "
            f"caches ({shortfalls} tokens): it would be billed as plain input"
        )
    elif all(e.cached_cost_usd is None for e in estimates):
        app_ctx.note("prefix cached: '-' as there is no system prompt or attachment to cache")
