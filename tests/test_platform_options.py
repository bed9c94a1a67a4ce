"""Platform options: --beta, --speed, --service-tier, --inference-geo (issue 14, part 4).

Against the fake API (real SDK, real HTTP, real SQLite). The fake accepts fast mode only on the models that offer
it and only with its beta header, checks the tier and region, and reports them back in `usage` as the API does.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from claudecli.money.price_book import PriceBook
from tests.conftest import assert_no_traceback

OPUS, SONNET = "claude-opus-5-5", "claude-sonnet-5-5"
FAST_BETA = "fast-mode-2026-02-01"
MESSAGES = "/v1/messages"


def last_post(fake_api):
    return fake_api.requests_to(MESSAGES, method="POST")[-1]


def standard_cost(model: str, row: dict) -> Decimal:
    """What the row's tokens cost at the model's standard price (genai-prices, as the product prices them)."""
    from claudecli.core.usage import TokenUsage

    usage = TokenUsage(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"])
    cost = PriceBook().cost(model, usage)
    assert cost is not None
    return cost


def test_beta_flags_send_the_header_through_the_beta_resource(cli_env, run_cli, fake_api, write_config):
    write_config('betas = ["context-1m-2025-08-07"]\n')
    result = run_cli("ask", "--beta", "interleaved-thinking-2025-05-14", "[[words:2]]")
    assert result.exit_code == 0, result
    assert result.stdout == "w1 w2\n"
    header = last_post(fake_api).headers["anthropic-beta"]
    assert header.split(",") == ["context-1m-2025-08-07", "interleaved-thinking-2025-05-14"]


def test_fast_mode_adds_its_beta_is_priced_fast_and_booked(cli_env, run_cli, fake_api, ledger_rows):
    result = run_cli("ask", "-m", "opus", "--speed", "fast", "--json", "[[words:3]]")
    assert result.exit_code == 0, result
    request = last_post(fake_api)
    assert request.body["speed"] == "fast"
    assert FAST_BETA in request.headers["anthropic-beta"]
    (row,) = ledger_rows()
    assert row["speed"] == "fast" and row["service_tier"] is None and row["inference_geo"] is None
    fast, standard = Decimal(str(row["cost_usd"])), standard_cost(OPUS, row)
    assert fast == standard * 2  # genai-prices' fast-mode price for Opus 5.5 ($8/$40 against $4/$20)
    assert json.loads(result.stdout)["cost_usd"] == pytest.approx(float(fast))


def test_fast_mode_on_a_model_without_it_is_the_apis_one_line_error(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-m", "sonnet", "--speed", "fast", "hi")
    assert result.exit_code == 5, result  # the API's 400
    assert "fast mode is not available" in result.stderr
    assert_no_traceback(result.stderr)


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--speed", "turbo", "must be one of standard, fast"),
        ("--service-tier", "priority", "must be one of auto, standard_only"),
        ("--inference-geo", "u s", "must be a region name"),
        ("--beta", "bad name!", "is not a beta name"),
    ],
)
def test_bad_platform_values_are_usage_errors_before_anything_is_sent(
    cli_env, run_cli, fake_api, flag, value, words
):
    result = run_cli("ask", flag, value, "hi")
    assert result.exit_code == 2, result
    assert words in result.stderr
    assert fake_api.requests_to(MESSAGES, method="POST") == []


def test_a_region_or_priority_without_a_price_says_unknown_not_zero(
    cli_env, run_cli, fake_api, ledger_rows, write_config
):
    result = run_cli("ask", "--inference-geo", "us", "[[words:2]]")
    assert result.exit_code == 0, result
    assert last_post(fake_api).body["inference_geo"] == "us"
    assert "price unknown for geo us" in result.stderr and "$0.00" not in result.stderr
    (row,) = ledger_rows()
    assert row["inference_geo"] == "us" and row["cost_usd"] is None

    write_config("[price_multipliers]\npriority = 1.5\ngeo = { us = 1.1 }\n")
    fake_api.priority_capacity = True
    result = run_cli("ask", "--inference-geo", "us", "--service-tier", "auto", "[[words:2]]")
    assert result.exit_code == 0, result
    row = ledger_rows()[-1]
    assert (row["service_tier"], row["inference_geo"]) == ("priority", "us")
    expected = standard_cost(SONNET, row) * Decimal("1.5") * Decimal("1.1")
    assert Decimal(str(row["cost_usd"])) == pytest.approx(expected)
    assert "[priority · geo us]" in result.stderr  # the summary names how the call was served


def test_standard_only_is_sent_and_keeps_the_standard_tier(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.priority_capacity = True
    result = run_cli("ask", "--service-tier", "standard_only", "[[words:2]]")
    assert result.exit_code == 0, result
    assert last_post(fake_api).body["service_tier"] == "standard_only"
    assert ledger_rows()[0]["service_tier"] is None and ledger_rows()[0]["cost_usd"] > 0


def test_cost_report_groups_by_speed_tier_and_geo(cli_env, run_cli, fake_api):
    assert run_cli("ask", "-m", "opus", "--speed", "fast", "[[words:2]]").exit_code == 0
    assert run_cli("ask", "-m", "opus", "[[words:2]]").exit_code == 0
    result = run_cli("cost", "report", "--by", "speed", "--json")
    assert result.exit_code == 0, result
    groups = {group["key"]: group["calls"] for group in json.loads(result.stdout)["groups"]}
    assert groups == {None: 1, "fast": 1}
    for by in ("tier", "geo"):
        assert run_cli("cost", "report", "--by", by).exit_code == 0


def test_a_dotenv_cannot_turn_on_fast_mode_or_betas(cli_env, run_cli, fake_api, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("CLAUDECLI_SPEED=fast\nCLAUDECLI_BETAS=some-beta-2026-01-01\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("ask", "-m", "opus", "[[words:2]]")
    assert result.exit_code == 0, result
    request = last_post(fake_api)
    assert "speed" not in request.body and "anthropic-beta" not in request.headers
    assert "ignoring CLAUDECLI_SPEED" in result.stderr and "ignoring CLAUDECLI_BETAS" in result.stderr


def test_batch_run_and_submit_carry_the_options(cli_env, run_cli, fake_api, tmp_path, ledger_rows):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("[[words:2]]\n")
    out = str(tmp_path / "out.jsonl")
    result = run_cli("batch", "run", str(jobs), "--text", "-m", "opus", "--speed", "fast", "-o", out)
    assert result.exit_code == 0, result
    request = last_post(fake_api)
    assert request.body["speed"] == "fast" and FAST_BETA in request.headers["anthropic-beta"]
    assert ledger_rows()[-1]["speed"] == "fast"

    result = run_cli(
        "batch", "submit", str(jobs), "--text", "--inference-geo", "us", "--beta", "x-2026-01-01"
    )
    assert result.exit_code == 0, result
    create = fake_api.requests_to("/v1/messages/batches", method="POST")[-1]
    assert create.body["requests"][0]["params"]["inference_geo"] == "us"
    assert create.headers["anthropic-beta"] == "x-2026-01-01"


def test_chat_sends_the_options(cli_env, fake_api):
    import io

    from claudecli.chat.session_store import SessionStore
    from claudecli.chat.state import ChatState
    from claudecli.chat.turn import run_turn
    from claudecli.core.config import load_settings
    from claudecli.core.context import AppContext

    settings = load_settings().with_flags(speed="standard", inference_geo="global")
    app_ctx = AppContext.create(
        settings, stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(""), environ={}
    )
    store = SessionStore(settings.paths.sessions_file)
    try:
        chat = ChatState.fresh(app_ctx, store, model=SONNET, system=None, thinking=None, name=None)
        run_turn(chat, "[[words:2]]")
    finally:
        store.close()
        app_ctx.close()
    body = last_post(fake_api).body
    assert (body["speed"], body["inference_geo"]) == ("standard", "global")
