"""Pricing against hand-computed figures.

List prices (USD per million tokens) as genai-prices 0.2.3 has them, looked up once and copied here:

    model              input  output  write 5m  write 1h  read   batch (from 2026-10-14)
    claude-haiku-4-5   1      5       1.25      2         0.1    variant: half of each
    claude-sonnet-4-5  3      15      3.75      6         0.3    variant: half; all x2 (output x1.5) over 200k
    claude-opus-4-5    5      25      6.25      10        0.5    variant: half of each
    claude-opus-4-1    15     75      18.75     30        1.5    no variant: claudecli halves
    claude-haiku-5-5   0.1    0.5     0.125     0.2       0.01   all x5 over 100k input
    claude-sonnet-5-5  2      10      2.5       4         0.1
    claude-opus-4-6    5      25 from 2026-03-13; before: input 10 / output 37.5 over 200k
    claude-2           8      24      (none: claudecli derives 10 / 16 / 0.8)
    web search         $10 per 1,000 (not discounted in batch)
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from claudecli.core.errors import ConfigError
from claudecli.core.usage import TokenUsage
from claudecli.money.price_book import PriceBook
from claudecli.money.pricing import PriceTier, format_usd, override_problems, prices_for

WHEN = datetime(2026, 11, 1, tzinfo=UTC)  # after genai-prices' batch variants start (2026-10-14)
BEFORE_BATCH_VARIANTS = datetime(2026, 6, 1, tzinfo=UTC)
M = 1_000_000

PLAIN = TokenUsage(input_tokens=10_000, output_tokens=2_000)
MIXED = TokenUsage(
    input_tokens=1_000,
    cache_write_5m_tokens=2_000,
    cache_write_1h_tokens=3_000,
    cache_read_tokens=4_000,
    output_tokens=500,
)


def cost_usd(
    model: str, usage: TokenUsage, *, batch: bool = False, when: datetime | None = None, overrides=None
) -> D | None:
    """What the program's one pricing path (a price book, nothing cached yet) charges for ``usage``."""
    return PriceBook(overrides=overrides).cost(model, usage, batch=batch, when=when)


def list_price_usd(
    model: str, usage: TokenUsage, *, when: datetime | None = None, overrides=None
) -> D | None:
    return PriceBook(overrides=overrides).list_cost(model, usage, when=when)


def test_import_does_not_load_genai_prices_or_anthropic() -> None:
    code = (
        "import sys, claudecli.money.pricing, claudecli.money.price_book\n"
        "print([m for m in ('genai_prices', 'anthropic') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("model", "name", "rates"),
    [
        ("claude-haiku-4-5", "Claude Haiku 4.5", ("1", "5", "1.25", "2", "0.1")),
        ("claude-sonnet-4-5", "Claude Sonnet 4.5", ("3", "15", "3.75", "6", "0.3")),
        ("claude-opus-4-5", "Claude Opus 4.5", ("5", "25", "6.25", "10", "0.5")),
        ("claude-opus-4-1", "Claude Opus 4.1", ("15", "75", "18.75", "30", "1.5")),
        ("claude-sonnet-5-5", "Claude Sonnet 5.5", ("2", "10", "2.5", "4", "0.1")),
        ("claude-haiku-5-5", "Claude Haiku 5.5", ("0.1", "0.5", "0.125", "0.2", "0.01")),
    ],
)
def test_list_prices_come_from_genai_prices(model: str, name: str, rates: tuple[str, ...]) -> None:
    prices = prices_for(f"{model}-20250929", when=WHEN)  # a dated snapshot id matches too
    assert prices is not None
    got = (prices.input, prices.output, prices.cache_write_5m, prices.cache_write_1h, prices.cache_read)
    assert got == tuple(D(rate) for rate in rates)
    assert (prices.model_id, prices.model_name, prices.source, prices.batch) == (
        model,
        name,
        "genai-prices",
        False,
    )
    assert prices.web_search == 10 and prices.derived == ()


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-haiku-4-5", D(10_000 * 1 + 2_000 * 5) / M),  # 0.02
        ("claude-sonnet-4-5", D(10_000 * 3 + 2_000 * 15) / M),  # 0.06
        ("claude-opus-4-5", D(10_000 * 5 + 2_000 * 25) / M),  # 0.10
        ("claude-opus-4-1", D(10_000 * 15 + 2_000 * 75) / M),  # 0.30
        ("claude-sonnet-5-5", D(10_000 * 2 + 2_000 * 10) / M),  # 0.04
    ],
)
def test_plain_input_and_output(model: str, expected: D) -> None:
    assert cost_usd(model, PLAIN, when=WHEN) == expected
    assert list_price_usd(model, PLAIN, when=WHEN) == expected  # nothing cached, nothing batched


def test_cache_writes_5m() -> None:
    usage = TokenUsage(input_tokens=100, cache_write_5m_tokens=10_000)
    assert cost_usd("claude-sonnet-4-5", usage, when=WHEN) == D(100 * 3 + 10_000 * D("3.75")) / M  # 0.0378
    assert list_price_usd("claude-sonnet-4-5", usage, when=WHEN) == D(10_100 * 3) / M  # 0.0303


def test_cache_writes_1h_cost_more_than_5m() -> None:
    usage = TokenUsage(input_tokens=100, cache_write_1h_tokens=10_000)
    assert cost_usd("claude-sonnet-4-5", usage, when=WHEN) == D(100 * 3 + 10_000 * 6) / M  # 0.0603
    assert cost_usd("claude-haiku-4-5", usage, when=WHEN) == D(100 * 1 + 10_000 * 2) / M  # 0.0201


def test_cache_reads() -> None:
    usage = TokenUsage(input_tokens=1_000, cache_read_tokens=100_000, output_tokens=1_000)
    assert cost_usd("claude-opus-4-5", usage, when=WHEN) == D(1_000 * 5 + 100_000 * D("0.5") + 1_000 * 25) / M
    assert list_price_usd("claude-opus-4-5", usage, when=WHEN) == D(101_000 * 5 + 1_000 * 25) / M  # 0.53


def test_mixed_usage_prices_each_kind_at_its_rate() -> None:
    def alone(**tokens: int) -> D:
        cost = cost_usd("claude-sonnet-4-5", TokenUsage(**tokens), when=WHEN)
        assert cost is not None
        return cost

    parts = [
        alone(input_tokens=1_000),
        alone(cache_write_5m_tokens=2_000),
        alone(cache_write_1h_tokens=3_000),
        alone(cache_read_tokens=4_000),
        alone(output_tokens=500),
    ]
    assert parts == [
        D(1_000 * 3) / M,
        D(2_000 * D("3.75")) / M,
        D(3_000 * 6) / M,
        D(4_000 * D("0.3")) / M,
        D(500 * 15) / M,
    ]
    # 3000 + 7500 + 18000 + 1200 + 7500 micro-dollars
    assert cost_usd("claude-sonnet-4-5", MIXED, when=WHEN) == sum(parts) == D("0.0372")
    # no caching: all 10,000 prompt tokens at $3 + 500 at $15
    assert list_price_usd("claude-sonnet-4-5", MIXED, when=WHEN) == D(10_000 * 3 + 500 * 15) / M


def test_matches_genai_prices_own_reading_of_an_anthropic_response() -> None:
    """genai-prices' Anthropic extractor must agree with TokenUsage.from_api + our conversion."""
    import genai_prices

    raw = {
        "model": "claude-sonnet-4-5-20250929",
        "usage": {
            "input_tokens": 1_000,
            "cache_creation_input_tokens": 5_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 2_000, "ephemeral_1h_input_tokens": 3_000},
            "cache_read_input_tokens": 4_000,
            "output_tokens": 500,
        },
    }
    theirs = genai_prices.extract_usage(raw, provider_id="anthropic").calc_price(genai_request_timestamp=WHEN)
    ours = cost_usd("claude-sonnet-4-5-20250929", TokenUsage.from_api(raw["usage"]), when=WHEN)
    assert ours == theirs.total_price == D("0.0372")


def test_batch_uses_genai_prices_batch_variant() -> None:
    prices = prices_for("claude-haiku-4-5", batch=True, when=WHEN)
    assert prices is not None and prices.batch and prices.derived == ()
    assert (prices.input, prices.output, prices.cache_write_1h) == (D("0.5"), D("2.5"), D(1))
    assert (
        cost_usd("claude-haiku-4-5", PLAIN, batch=True, when=WHEN)
        == D(10_000 * D("0.5") + 2_000 * D("2.5")) / M
    )


def test_batch_is_half_where_genai_prices_has_no_batch_price() -> None:
    # claude-opus-4-1 has no batch variant at all
    prices = prices_for("claude-opus-4-1", batch=True, when=WHEN)
    assert prices is not None and prices.derived == ("batch",)
    assert (
        cost_usd("claude-opus-4-1", PLAIN, batch=True, when=WHEN)
        == D(10_000 * D("7.5") + 2_000 * D("37.5")) / M
    )
    # before 2026-10-14 genai-prices models no batch price, yet batch was already 50 %
    early = prices_for("claude-haiku-4-5", batch=True, when=BEFORE_BATCH_VARIANTS)
    assert early is not None and early.derived == ("batch",)
    assert cost_usd("claude-haiku-4-5", PLAIN, batch=True, when=BEFORE_BATCH_VARIANTS) == D("0.01")


def test_batch_and_cache_multipliers_stack() -> None:
    # sonnet 4.5 batch: 1.5 / 1.875 / 3 / 0.15 / 7.5
    expected = D(1_000 * D("1.5") + 2_000 * D("1.875") + 3_000 * 3 + 4_000 * D("0.15") + 500 * D("7.5")) / M
    assert cost_usd("claude-sonnet-4-5", MIXED, batch=True, when=WHEN) == expected == D("0.0186")
    # opus 4.1, halved by claudecli: 7.5 / 9.375 / 15 / 0.75 / 37.5
    expected = D(1_000 * D("7.5") + 2_000 * D("9.375") + 3_000 * 15 + 4_000 * D("0.75") + 500 * D("37.5")) / M
    assert cost_usd("claude-opus-4-1", MIXED, batch=True, when=WHEN) == expected == D("0.093")
    # the list price ignores both caching and batch
    assert list_price_usd("claude-opus-4-1", MIXED, when=WHEN) == D(10_000 * 15 + 500 * 75) / M


def test_long_context_tier_counts_cache_in_the_prompt() -> None:
    prices = prices_for("claude-sonnet-4-5", when=WHEN)
    assert prices is not None
    assert prices.long_context == (PriceTier(200_000, D(6), D("22.5"), D("7.5"), D(12), D("0.6")),)
    # 150k input + 60k cache reads = 210k > 200k: every token at the tier rate
    usage = TokenUsage(input_tokens=150_000, cache_read_tokens=60_000, output_tokens=1_000)
    expected = D(150_000 * 6 + 60_000 * D("0.6") + 1_000 * D("22.5")) / M  # 0.9585
    assert cost_usd("claude-sonnet-4-5", usage, when=WHEN) == expected
    flat = prices.at(usage.total_input_tokens)
    assert flat.input == 6 and flat.long_context == ()
    # the batch variant is tiered too: half of the above
    assert cost_usd("claude-sonnet-4-5", usage, batch=True, when=WHEN) == expected / 2
    # exactly 200k is not above the threshold
    at_limit = TokenUsage(input_tokens=200_000, output_tokens=1_000)
    assert cost_usd("claude-sonnet-4-5", at_limit, when=WHEN) == D(200_000 * 3 + 1_000 * 15) / M


def test_haiku_5_5_tier_above_100k() -> None:
    usage = TokenUsage(input_tokens=100_001, output_tokens=1_000)
    assert cost_usd("claude-haiku-5-5", usage, when=WHEN) == D(100_001 * D("0.5") + 1_000 * D("2.5")) / M
    below = TokenUsage(input_tokens=100_000, output_tokens=1_000)
    assert cost_usd("claude-haiku-5-5", below, when=WHEN) == D(100_000 * D("0.1") + 1_000 * D("0.5")) / M


def test_when_selects_date_dependent_price() -> None:
    usage = TokenUsage(input_tokens=300_000, output_tokens=1_000)
    old = datetime(2026, 1, 15, tzinfo=UTC)  # claude-opus-4-6 still had a >200k tier
    assert cost_usd("claude-opus-4-6", usage, when=old) == D(300_000 * 10 + 1_000 * D("37.5")) / M  # 3.0375
    assert cost_usd("claude-opus-4-6", usage, when=WHEN) == D(300_000 * 5 + 1_000 * 25) / M  # 1.525
    old_prices, new_prices = prices_for("claude-opus-4-6", when=old), prices_for("claude-opus-4-6", when=WHEN)
    assert old_prices is not None and old_prices.long_context[0].above == 200_000
    assert new_prices is not None and new_prices.long_context == ()


def test_missing_cache_prices_are_derived_from_input() -> None:
    prices = prices_for("claude-2", when=WHEN)  # genai-prices has only input 8 / output 24
    assert prices is not None
    assert (prices.cache_write_5m, prices.cache_write_1h, prices.cache_read) == (D(10), D(16), D("0.8"))
    assert prices.derived == (
        "cache_write_5m",
        "cache_write_1h",
        "cache_read",
        "web_search",
    )  # web search: $10/1k
    expected = D(1_000 * 8 + 2_000 * 10 + 3_000 * 16 + 4_000 * D("0.8") + 500 * 24) / M
    assert cost_usd("claude-2", MIXED, when=WHEN) == expected


def test_web_search_is_priced_and_not_batch_discounted() -> None:
    usage = TokenUsage(input_tokens=10_000, web_search_requests=3)
    assert cost_usd("claude-haiku-4-5", usage, when=WHEN) == D(10_000 * 1) / M + D(3 * 10) / 1000
    assert cost_usd("claude-haiku-4-5", usage, batch=True, when=WHEN) == D(10_000 * D("0.5")) / M + D("0.03")
    assert list_price_usd("claude-haiku-4-5", usage, when=WHEN) == D("0.04")


def test_unknown_model_is_none_not_an_error() -> None:
    for model in ("gpt-4o", "claude-nonexistent-9", ""):
        assert prices_for(model, when=WHEN) is None
        assert cost_usd(model, MIXED, when=WHEN) is None
        assert cost_usd(model, MIXED, batch=True) is None
        assert list_price_usd(model, MIXED) is None
    assert format_usd(cost_usd("gpt-4o", MIXED)) == "unknown"


def test_default_when_is_now() -> None:
    assert cost_usd("claude-sonnet-4-5", PLAIN) == D("0.06")


def test_config_override_replaces_genai_prices() -> None:
    overrides = {"claude-sonnet-4-5": {"input": 1, "output": 2}}
    prices = prices_for("claude-sonnet-4-5-20250929", when=WHEN, overrides=overrides)
    assert prices is not None and prices.source == "config" and prices.long_context == ()
    assert (prices.cache_write_5m, prices.cache_write_1h, prices.cache_read) == (D("1.25"), D(2), D("0.1"))
    expected = D(1_000 * 1 + 2_000 * D("1.25") + 3_000 * 2 + 4_000 * D("0.1") + 500 * 2) / M  # 0.0109
    assert cost_usd("claude-sonnet-4-5", MIXED, overrides=overrides) == expected
    assert cost_usd("claude-sonnet-4-5", MIXED, batch=True, overrides=overrides) == expected / 2
    assert list_price_usd("claude-sonnet-4-5", MIXED, overrides=overrides) == D(10_000 * 1 + 500 * 2) / M
    # an id that merely starts with a configured one keeps genai-prices' price
    other = {"claude-sonnet-4": {"input": 1, "output": 1}}
    assert cost_usd("claude-sonnet-4-5", PLAIN, when=WHEN, overrides=other) == D("0.06")
    assert cost_usd("claude-sonnet-4-20250514", PLAIN, when=WHEN, overrides=other) == D(10_000 + 2_000) / M


def test_config_override_explicit_batch_prices() -> None:
    overrides = {"claude-sonnet-4-5": {"input": 1, "output": 2, "batch_input": 0.4, "batch_output": 1.2}}
    prices = prices_for("claude-sonnet-4-5", batch=True, overrides=overrides)
    assert prices is not None and prices.derived == ("cache_write_5m", "cache_write_1h", "cache_read")
    # cache rates scale like input (x0.4): 0.5 / 0.8 / 0.04
    expected = (
        D(1_000 * D("0.4") + 2_000 * D("0.5") + 3_000 * D("0.8") + 4_000 * D("0.04") + 500 * D("1.2")) / M
    )
    assert cost_usd("claude-sonnet-4-5", MIXED, batch=True, overrides=overrides) == expected == D("0.00456")


def test_config_override_adds_a_model() -> None:
    overrides = {"my-proxy-claude": {"input": 2, "output": 8, "cache_read": 0.5, "web_search": 5}}
    prices = prices_for("my-proxy-claude", overrides=overrides)
    assert prices is not None and prices.model_name == "my-proxy-claude"
    assert prices.derived == ("cache_write_5m", "cache_write_1h")
    usage = TokenUsage(**{**MIXED.as_dict(), "web_search_requests": 2})
    expected = D(1_000 * 2 + 2_000 * D("2.5") + 3_000 * 4 + 4_000 * D("0.5") + 500 * 8) / M + D(2 * 5) / 1000
    assert cost_usd("my-proxy-claude", usage, overrides=overrides) == expected == D("0.035")


def test_malformed_overrides() -> None:
    bad: dict[str, dict[str, object]] = {
        "a": {"input": "cheap", "output": 1, "typo": 1},
        "b": {"input": 1},
        "c": {"input": -1, "output": 1},
    }
    problems = override_problems(bad)
    assert problems == [
        'prices."a": unknown key(s) typo',
        "prices.\"a\".input: expected a finite non-negative number up to 1,000,000, got 'cheap'",
        'prices."b": both input and output are required (USD per million tokens)',
        'prices."c".input: expected a finite non-negative number up to 1,000,000, got -1',
    ]
    assert override_problems({"ok": {"input": 1, "output": 2}}) == []
    with pytest.raises(ValueError, match="required"):
        prices_for("b", overrides=bad)
    with pytest.raises(ConfigError, match="required"):
        cost_usd("b", MIXED, overrides=bad)


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-5-5", "claude-2"])
@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("prompt", [10_000, 250_000])
def test_every_kind_is_priced_at_the_tier_of_the_whole_prompt(model: str, batch: bool, prompt: int) -> None:
    usage = TokenUsage(
        input_tokens=prompt,
        cache_write_5m_tokens=7_000,
        cache_write_1h_tokens=11_000,
        cache_read_tokens=13_000,
        output_tokens=3_000,
        web_search_requests=1,
    )
    prices = prices_for(model, batch=batch, when=WHEN)
    assert prices is not None
    rates = prices.at(usage.total_input_tokens)
    by_hand = (
        prompt * rates.input / M
        + 7_000 * rates.cache_write_5m / M
        + 11_000 * rates.cache_write_1h / M
        + 13_000 * rates.cache_read / M
        + 3_000 * rates.output / M
        + rates.web_search / 1000
    )
    assert cost_usd(model, usage, batch=batch, when=WHEN) == by_hand > 0


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "unknown"),
        (D(0), "$0.00"),
        (D("1234.5678"), "$1,234.57"),
        (D("1"), "$1.00"),
        (D("0.0372"), "$0.0372"),
        (D("0.01"), "$0.0100"),
        (D("0.0012345"), "$0.0012"),
        (D("0.00042123"), "$0.00042"),
        (D("0.0000015"), "$0.0000015"),
        (0.25, "$0.2500"),
        (D("-0.5"), "-$0.5000"),
    ],
)
def test_format_usd(value: D | float | None, text: str) -> None:
    assert format_usd(value) == text


def test_web_search_price_falls_back_to_anthropics_documented_rate():
    """genai-prices gives no web search price for some models: $10 per 1,000 (documented), marked derived."""
    from claudecli.money.pricing import WEB_SEARCH_PER_1K, prices_for

    old = prices_for("claude-3-haiku")
    assert old is not None and old.web_search == WEB_SEARCH_PER_1K == 10 and "web_search" in old.derived
    current = prices_for("claude-sonnet-5-5")
    assert current is not None and current.web_search == 10 and "web_search" not in current.derived
