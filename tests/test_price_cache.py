"""The price book prices exactly like the resolver on a miss and from its file on a hit; a hit needs no
genai-prices import; the file follows the config and keeps only the days in use."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from claudecli.core.config import load_settings
from claudecli.core.usage import TokenUsage
from claudecli.money.price_book import CACHE_FILE, PriceBook
from claudecli.money.pricing import list_usage, prices_for
from tests.conftest import subprocess_env

WHEN = datetime(2026, 11, 20, 12, tzinfo=UTC)
USAGES = [
    TokenUsage(input_tokens=1_200, output_tokens=300),
    TokenUsage(input_tokens=10, output_tokens=50, cache_write_5m_tokens=4_000, cache_read_tokens=9_000),
    TokenUsage(input_tokens=5, output_tokens=10, cache_write_1h_tokens=2_000, web_search_requests=2),
    TokenUsage(input_tokens=250_000, output_tokens=1_000, cache_read_tokens=10_000),  # long-context tier
]
MODELS = ["claude-haiku-5-5", "claude-sonnet-4-5", "claude-opus-4-6", "claude-sonnet-5-5", "no-such-model"]


def resolved_cost(
    model: str, usage: TokenUsage, *, batch: bool = False, when: datetime = WHEN
) -> Decimal | None:
    """The uncached reference: the resolver's rates, the one arithmetic."""
    prices = prices_for(model, batch=batch, when=when)
    return None if prices is None else prices.cost(usage)


def stored_days(path: Path) -> set[str]:
    return {key.split("|", 1)[0] for key in json.loads(path.read_text())["rates"]}


@pytest.mark.parametrize("batch", [False, True])
def test_cached_prices_agree_with_the_resolver_on_miss_and_hit(base_env, batch):
    settings = load_settings()
    for _round in ("miss", "hit"):
        book = PriceBook.for_settings(settings)  # a new process: the second round reads the file
        for model in MODELS:
            for usage in USAGES:
                assert book.cost(model, usage, batch=batch, when=WHEN) == resolved_cost(
                    model, usage, batch=batch
                )
                assert book.list_cost(model, usage, when=WHEN) == resolved_cost(model, list_usage(usage))
        book.save()
    assert (settings.paths.cache_dir / CACHE_FILE).exists()


def test_config_override_change_invalidates(base_env, write_config):
    usage = TokenUsage(input_tokens=1_000_000)
    write_config('[prices."claude-haiku-5-5"]\ninput = 1\noutput = 1\n')
    book = PriceBook.for_settings(load_settings())
    assert book.cost("claude-haiku-5-5", usage, when=WHEN) == 1
    book.save()
    write_config('[prices."claude-haiku-5-5"]\ninput = 2\noutput = 1\n')
    assert PriceBook.for_settings(load_settings()).cost("claude-haiku-5-5", usage, when=WHEN) == 2


def test_a_corrupt_cache_is_ignored(base_env):
    settings = load_settings()
    path: Path = settings.paths.cache_dir / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    usage = TokenUsage(input_tokens=100, output_tokens=100)
    book = PriceBook.for_settings(settings)
    assert book.cost("claude-haiku-5-5", usage, when=WHEN) == resolved_cost("claude-haiku-5-5", usage)
    book.save()
    json.loads(path.read_text())  # rewritten whole


def test_a_corrupt_entry_is_resolved_again(base_env):
    settings = load_settings()
    book = PriceBook.for_settings(settings)
    usage = TokenUsage(input_tokens=100, output_tokens=100)
    expected = book.cost("claude-haiku-5-5", usage, when=WHEN)
    book.save()
    path = settings.paths.cache_dir / CACHE_FILE
    document = json.loads(path.read_text())
    document["rates"] = {key: {"input": "cheap"} for key in document["rates"]}
    path.write_text(json.dumps(document))
    assert PriceBook.for_settings(settings).cost("claude-haiku-5-5", usage, when=WHEN) == expected


def test_the_file_keeps_today_and_the_days_in_use(base_env):
    settings = load_settings()
    path = settings.paths.cache_dir / CACHE_FILE
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    old = datetime.now(UTC) - timedelta(days=40)  # e.g. the creation of a batch collected late
    first = PriceBook.for_settings(settings)
    first.rates("claude-haiku-5-5", batch=True, when=old)
    first.rates("claude-haiku-5-5")
    first.save()
    assert stored_days(path) == {f"{old:%Y-%m-%d}", today}

    later = PriceBook.for_settings(settings)  # a later run that prices only today, and something new
    later.rates("claude-sonnet-5-5")
    later.save()
    assert stored_days(path) == {today}
    assert len(json.loads(path.read_text())["rates"]) == 2  # both models of today: merged, not replaced


def test_a_cache_hit_does_not_import_genai_prices(base_env):
    probe = (
        "import sys\n"
        "from claudecli.core.config import load_settings\n"
        "from claudecli.core.usage import TokenUsage\n"
        "from claudecli.money.price_book import PriceBook\n"
        "book = PriceBook.for_settings(load_settings())\n"
        "print(book.cost('claude-haiku-5-5', TokenUsage(input_tokens=5)))\n"
        "book.save()\n"
        "print('genai_prices' in sys.modules)\n"
    )
    run = [sys.executable, "-c", probe]
    first = subprocess.run(run, capture_output=True, text=True, env=subprocess_env(), check=True)
    second = subprocess.run(run, capture_output=True, text=True, env=subprocess_env(), check=True)
    assert first.stdout.splitlines()[1] == "True"
    assert second.stdout.splitlines() == [first.stdout.splitlines()[0], "False"]


@pytest.mark.parametrize(
    "model", ["claude-haiku-5-5", "claude-sonnet-4-5", "claude-opus-4-6", "claude-sonnet-5-5"]
)
def test_our_arithmetic_agrees_with_genai_prices_own_calculation(model):
    """ModelPrices.cost is the one arithmetic; genai-prices' calc_price is the independent judge."""
    from genai_prices import Usage, calc_price

    for usage in USAGES:
        theirs = calc_price(
            Usage(
                input_tokens=usage.total_input_tokens,  # genai-prices counts cached tokens as input
                cache_write_tokens=usage.cache_write_tokens,
                cache_write_5m_tokens=usage.cache_write_5m_tokens,
                cache_write_1h_tokens=usage.cache_write_1h_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                output_tokens=usage.output_tokens,
                web_searches=usage.web_search_requests,
            ),
            model,
            provider_id="anthropic",
            genai_request_timestamp=WHEN,
        ).total_price
        assert PriceBook().cost(model, usage, when=WHEN) == theirs, (model, usage)
