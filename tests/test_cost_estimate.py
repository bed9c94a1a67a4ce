"""`cost estimate` and `cost prices` against the fake API and hand-computed prices.

The fake counts ceil(len / 4) tokens per text. System prompt: 4,096 characters = 1,024 tokens (just big
enough to cache on Sonnet and Opus; Haiku caches from 4,096 tokens, so it has no cached price); prompt "count these words please" (24 characters) = 6 tokens; so 1,030 input tokens, of
which 1,024 are the cacheable prefix. With --output-tokens 1000, per MTok (genai-prices):

    model              input  output  cache read  batch in/out
    claude-haiku-5-5   0.1    0.5     0.01        0.05 / 0.25
    claude-sonnet-5-5  2      10      0.1         1 / 5
    claude-opus-5-5    4      20      0.2         2 / 10

    now    = 1030 * in + 1000 * out;  batch = 1030 * batch_in + 1000 * batch_out
    cached = 6 * in + 1024 * cache_read + 1000 * out          (all / 1e6)
"""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import assert_no_traceback

SYSTEM = "s" * 4096
PROMPT = "count these words please"
EXPECTED = {
    "claude-haiku-5-5": ("0.000603", "0.0003015", None),  # 1,024 tokens: below Haiku's minimum
    "claude-sonnet-5-5": ("0.01206", "0.00603", "0.0101144"),
    "claude-opus-5-5": ("0.02412", "0.01206", "0.0202288"),
}


def decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def count_requests(fake_api) -> list:
    return fake_api.requests_to("/v1/messages/count_tokens", method="POST")


def test_estimate_counts_with_the_api_and_matches_hand_computed_prices(cli_env, run_cli, fake_api):
    args = ("cost", "estimate", "-s", SYSTEM, "--output-tokens", "1000", "--json")
    result = run_cli(*args, "-m", "haiku", "-m", "sonnet", "-m", "claude-opus-5-5", PROMPT)
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["counted_by"] == "count_tokens"
    got = {
        entry["model"]: tuple(
            decimal_or_none(entry[name]) for name in ("cost_usd", "batch_cost_usd", "cached_cost_usd")
        )
        for entry in document["models"]
    }
    assert got == {model: tuple(map(decimal_or_none, values)) for model, values in EXPECTED.items()}
    assert {(e["input_tokens"], e["prefix_tokens"], e["output_tokens"]) for e in document["models"]} == {
        (1030, 1024, 1000)
    }
    counted = count_requests(fake_api)
    assert [r.body["model"] for r in counted] == [m for m in EXPECTED for _ in range(2)]  # full, prompt only
    assert counted[0].body["system"] == SYSTEM
    assert counted[0].body["messages"] == [{"role": "user", "content": PROMPT}]
    assert fake_api.requests_to("/v1/messages", method="POST") == []  # nothing was sent to a model


def test_default_models_table_and_stdin(cli_env, run_cli, fake_api):
    result = run_cli("cost", "estimate", "--output-tokens", "0", "summarise", input="x" * 400)
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["model", "input", "tokens", "now", "batch", "prefix", "cached"]
    # 400 + 2 + 9 characters = 103 tokens; no system prompt or attachment, so nothing to cache
    assert lines[1].split() == ["claude-haiku-5-5", "103", "$0.000010", "$0.0000052", "-"]
    assert [line.split()[0] for line in lines[1:]] == [
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
    ]
    assert "input tokens counted by the API" in result.stderr
    sent = count_requests(fake_api)[0].body["messages"][0]["content"]
    assert sent == "x" * 400 + "\n\nsummarise"


def test_offline_estimate_is_labelled_and_sends_nothing(cli_env, run_cli, fake_api):
    result = run_cli("cost", "estimate", "--offline", "-m", "sonnet", "--output-tokens", "10", "hello world!")
    assert result.exit_code == 0, result
    row = result.stdout.splitlines()[1].split()
    assert row[:3] == ["claude-sonnet-5-5", "7", "(est.)"]  # 4 + 12 / 4
    assert "estimated locally (offline" in result.stderr
    assert count_requests(fake_api) == []
    document = json.loads(run_cli("cost", "estimate", "--offline", "--json", "hi").stdout)
    assert document["counted_by"] == "local_estimate"


def cached_prices(result) -> dict[str, tuple[int, Decimal | None]]:
    assert result.exit_code == 0, result
    return {
        entry["model"]: (entry["cache_min_tokens"], decimal_or_none(entry["cached_cost_usd"]))
        for entry in json.loads(result.stdout)["models"]
    }


def test_no_cached_price_below_the_models_minimum_cacheable_prefix(cli_env, run_cli, fake_api):
    """A 1,024-token prefix showed a "cached" price on Haiku, whose minimum is 4,096: the API bills it in full."""
    args = ("cost", "estimate", "--output-tokens", "0", "-m", "haiku", "-m", "sonnet", "-m", "claude-opus-5")
    short = cached_prices(run_cli(*args, "-s", "s" * 4096, "--json", PROMPT))
    assert short["claude-haiku-5-5"] == (4096, None)
    assert short["claude-sonnet-5-5"][0] == 1024 and short["claude-sonnet-5-5"][1] is not None
    assert short["claude-opus-5"][0] == 512 and short["claude-opus-5"][1] is not None
    table = run_cli(*args, "-s", "s" * 4096, PROMPT)
    haiku_row = table.stdout.splitlines()[1].split()
    assert haiku_row[0] == "claude-haiku-5-5" and haiku_row[-1] == "-"
    assert "claude-haiku-5-5: 1,024 < 4,096" in table.stderr and "billed as plain input" in table.stderr
    long = cached_prices(run_cli(*args, "-s", "s" * 16384, "--json", PROMPT))  # 4,096 tokens
    assert long["claude-haiku-5-5"] == (4096, Decimal("0.00004156"))  # 6 * 0.1 + 4096 * 0.01, per MTok


def test_cache_minimums_can_be_set_in_config_by_model_or_family(cli_env, run_cli, fake_api, write_config):
    write_config('[cache_min_tokens]\nhaiku = 1024\n"claude-sonnet-5-5" = 2048\n')
    args = ("cost", "estimate", "--output-tokens", "0", "-m", "haiku", "-m", "sonnet", "--json")
    got = cached_prices(run_cli(*args, "-s", "s" * 4096, PROMPT))
    assert got["claude-haiku-5-5"] == (1024, Decimal("0.00001084"))  # 6 * 0.1 + 1024 * 0.01, per MTok
    assert got["claude-sonnet-5-5"] == (2048, None)
    shown = run_cli("config", "show", "--json")
    assert json.loads(shown.stdout)["settings"]["cache_min_tokens"]["value"] == {
        "haiku": 1024,
        "claude-sonnet-5-5": 2048,
    }
    path = write_config('[cache_min_tokens]\nhaiku = "lots"\n')
    bad = run_cli(*args, PROMPT)
    assert bad.exit_code == 2 and bad.stderr == (
        f'claudecli: error: {path}: cache_min_tokens: "haiku" must be a positive whole number\n'
    )


def test_the_minimum_table_by_id_snapshot_family_and_config():
    from claudecli.money.cache_minimum import cache_min_tokens

    assert cache_min_tokens("claude-opus-5") == 512 and cache_min_tokens("claude-opus-5-20260310") == 512
    assert (
        cache_min_tokens("claude-haiku-4-5-20251001") == 4096
        and cache_min_tokens("claude-3-haiku-20240307") == 2048
    )
    assert cache_min_tokens("claude-haiku-9") == 4096  # family from the id when the models list has no line
    assert cache_min_tokens("gateway-small", family="haiku") == 4096  # the models list's line wins
    assert cache_min_tokens("claude-opus-5-5") == cache_min_tokens("claude-sonnet-5-5") == 1024
    assert cache_min_tokens("gateway-model") == 1024
    assert cache_min_tokens("claude-haiku-4-5", overrides={"haiku": 2048}) == 2048  # config beats the table
    assert cache_min_tokens("claude-haiku-4-5", overrides={"claude-haiku-4-5": 1024, "haiku": 2048}) == 1024


def test_the_fake_caches_like_the_api_from_each_models_minimum(cli_env, run_cli, fake_api):
    """ask still marks a 1,500-token system prompt; Sonnet caches it, Haiku (minimum 4,096) ignores the mark."""
    system = "s" * 6000
    for model, written in (("sonnet", 1500), ("haiku", 0)):
        result = run_cli("ask", "--json", "-m", model, "-s", system, "hi")
        assert result.exit_code == 0, result
        body = fake_api.requests_to("/v1/messages", method="POST")[-1].body
        assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}  # still placed
        usage = json.loads(result.stdout)["usage"]
        assert usage["cache_write_5m_tokens"] == written, (model, usage)


def test_estimate_errors(cli_env, run_cli, fake_api):
    retired = run_cli("cost", "estimate", "-m", "claude-3-opus-20240229", "hi")
    assert retired.exit_code == 4 and "retired" in retired.stderr
    empty = run_cli("cost", "estimate", input="")
    assert empty.exit_code == 2 and "empty" in empty.stderr
    offline = run_cli(
        "cost", "estimate", "-m", "claude-sonnet-5-5", "hi", env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    )
    assert offline.exit_code == 8 and "cannot connect" in offline.stderr
    for result in (retired, empty, offline):
        assert_no_traceback(result.stderr)


def test_prices_table_json_and_config_override(cli_env, run_cli, write_config):
    write_config('[prices."my-finetune"]\ninput = 3\noutput = 15\n')
    result = run_cli("cost", "prices", "claude-haiku-5-5", "my-finetune", "claude-mystery-1", "--json")
    assert result.exit_code == 0, result
    entries = {entry["model"]: entry["prices"] for entry in json.loads(result.stdout)["models"]}
    haiku = entries["claude-haiku-5-5"]
    assert haiku["standard"] == {
        "input": 0.1, "output": 0.5, "cache_write_5m": 0.125, "cache_write_1h": 0.2, "cache_read": 0.01,
    }  # fmt: skip
    assert haiku["batch"]["output"] == 0.25
    assert haiku["long_context"][0]["above_input_tokens"] == 100_000
    assert haiku["long_context"][0]["standard"]["input"] == 0.5
    finetune = entries["my-finetune"]
    assert finetune["source"] == "config" and finetune["standard"]["cache_read"] == 0.3
    assert finetune["batch"]["input"] == 1.5
    assert entries["claude-mystery-1"] is None
    assert "no price known for claude-mystery-1" in result.stderr
    table = run_cli("cost", "prices", "haiku", "sonnet").stdout.splitlines()
    assert table[1].split() == [
        "claude-haiku-5-5",
        "$0.1",
        "$0.5",
        "$0.125",
        "$0.2",
        "$0.01",
        "$0.05",
        "$0.25",
        "genai-prices",
    ]
    assert table[2].split()[:4] == ["input", "over", "100,000", "$0.5"]
    assert table[3].split()[0] == "claude-sonnet-5-5"
