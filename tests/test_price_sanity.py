"""A damaged price cache or an infinite `[prices]` rate never prices a call at NaN, infinity or below zero.

Such a figure printed `"cost_usd": NaN` (not JSON), was booked in the ledger (whose integer sums then overflowed,
so every later budget check failed with "integer overflow"), and would pass any budget check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claudecli.money.price_book import CACHE_FILE
from tests.conftest import assert_no_traceback

# claude-sonnet-5-5 at $2 in / $10 out per MTok; "[[words:5]]" costs a few tokens in and 5 out.
PROMPT = "[[words:5]]"


def strict_json(text: str) -> dict:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def damage_rates(path: Path, value: str) -> None:
    document = json.loads(path.read_text())
    for entry in document["rates"].values():
        if entry:
            entry["output"] = value
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-5", "1e400"])
def test_a_damaged_rate_in_the_price_cache_is_priced_again(cli_env, run_cli, home, value):
    first = run_cli("ask", "--json", "-q", PROMPT)
    assert first.exit_code == 0, first.stderr
    honest = strict_json(first.stdout)["cost_usd"]
    damage_rates(home / "cache" / CACHE_FILE, value)

    again = run_cli("ask", "--json", "-q", PROMPT)
    assert again.exit_code == 0, again.stderr
    assert strict_json(again.stdout)["cost_usd"] == honest
    report = run_cli("cost", "report", "--json")
    assert report.exit_code == 0, report.stderr
    assert strict_json(report.stdout)["total"]["cost_usd"] == pytest.approx(2 * honest)


@pytest.mark.parametrize("value", ["inf", "+inf", "nan"])
def test_an_infinite_config_price_is_a_config_error(cli_env, run_cli, write_config, value):
    write_config(f'[prices."claude-sonnet-5-5"]\ninput = 2\noutput = {value}\n')
    result = run_cli("ask", "--json", PROMPT)
    assert result.exit_code == 2, result.stdout
    document = strict_json(result.stdout)
    assert document["status"] == "error"
    assert "finite non-negative number" in document["error"]
    assert_no_traceback(result.stderr)
