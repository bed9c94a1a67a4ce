"""The on-disk rate cache prices exactly like pricing.cost_usd, and a hit needs no genai-prices import."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from claudecli.core.config import load_settings
from claudecli.core.usage import TokenUsage
from claudecli.money.price_cache import CACHE_FILE, cost_and_list_price
from claudecli.money.pricing import cost_usd, list_price_usd
from tests.conftest import subprocess_env

WHEN = datetime(2026, 11, 20, 12, tzinfo=UTC)
USAGES = [
    TokenUsage(input_tokens=1_200, output_tokens=300),
    TokenUsage(input_tokens=10, output_tokens=50, cache_write_5m_tokens=4_000, cache_read_tokens=9_000),
    TokenUsage(input_tokens=5, output_tokens=10, cache_write_1h_tokens=2_000, web_search_requests=2),
    TokenUsage(input_tokens=250_000, output_tokens=1_000, cache_read_tokens=10_000),  # long-context tier
]
MODELS = ["claude-haiku-5-5", "claude-sonnet-4-5", "claude-opus-4-6", "claude-sonnet-5-5", "no-such-model"]


@pytest.mark.parametrize("batch", [False, True])
def test_cached_prices_agree_with_pricing_on_miss_and_hit(base_env, batch):
    settings = load_settings()
    for _round in ("miss", "hit"):
        for model in MODELS:
            for usage in USAGES:
                expected = (
                    cost_usd(model, usage, batch=batch, when=WHEN),
                    list_price_usd(model, usage, when=WHEN),
                )
                assert cost_and_list_price(settings, model, usage, batch=batch, when=WHEN) == expected
    assert (settings.paths.cache_dir / CACHE_FILE).exists()


def test_config_override_change_invalidates(base_env, write_config):
    usage = TokenUsage(input_tokens=1_000_000)
    write_config('[prices."claude-haiku-5-5"]\ninput = 1\noutput = 1\n')
    assert cost_and_list_price(load_settings(), "claude-haiku-5-5", usage, batch=False, when=WHEN)[0] == 1
    write_config('[prices."claude-haiku-5-5"]\ninput = 2\noutput = 1\n')
    assert cost_and_list_price(load_settings(), "claude-haiku-5-5", usage, batch=False, when=WHEN)[0] == 2


def test_a_corrupt_cache_is_ignored(base_env):
    settings = load_settings()
    path: Path = settings.paths.cache_dir / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    usage = TokenUsage(input_tokens=100, output_tokens=100)
    assert cost_and_list_price(settings, "claude-haiku-5-5", usage, batch=False, when=WHEN)[0] == cost_usd(
        "claude-haiku-5-5", usage, when=WHEN
    )
    json.loads(path.read_text())  # rewritten whole


def test_a_cache_hit_does_not_import_genai_prices(base_env):
    probe = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from claudecli.core.config import load_settings\n"
        "from claudecli.money.price_cache import cost_and_list_price\n"
        "from claudecli.core.usage import TokenUsage\n"
        "now = datetime.now(UTC)\n"
        "print(cost_and_list_price(load_settings(), 'claude-haiku-5-5', TokenUsage(input_tokens=5), batch=False, when=now))\n"
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
        assert cost_usd(model, usage, when=WHEN) == theirs, (model, usage)
