"""Budgets: `ask` is refused (exit 9, nothing sent) past each budget, warned at 80 %, and `--force` overrides.

Worst case for `ask "[[words:1]]"` on claude-sonnet-5-5 ($2 in / $10 out per MTok) with the default
max_tokens 8192: the local estimate of the prompt (4 + ceil(11 / 4) = 7 tokens) plus 8192 output tokens
= 7 * 2 / 1e6 + 8192 * 10 / 1e6 = $0.081934.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.errors import BudgetExceeded
from claudecli.core.usage import TokenUsage
from claudecli.ledger.store import CallRecord, Ledger
from claudecli.money.budget import cacheable_split, check_budget, check_spend, worst_case_usd
from claudecli.money.periods import day_start, month_start
from tests.conftest import assert_no_traceback

WORST = Decimal("0.081934")
PROMPT = "[[words:1]]"


def seed_spend(home: Path, *amounts_and_times: tuple[str, datetime]) -> None:
    with Ledger(home / "data" / "usage.db") as ledger:
        for amount, ts in amounts_and_times:
            ledger.record(
                CallRecord(
                    command="ask",
                    model="claude-sonnet-5-5",
                    usage=TokenUsage(),
                    cost_usd=Decimal(amount),
                    ts=ts,
                )
            )


def now() -> datetime:
    return datetime.now(UTC)


def messages_posts(fake_api) -> list:
    return fake_api.requests_to("/v1/messages", method="POST")


def check_refused(result, fake_api, *fragments: str) -> None:
    assert result.exit_code == 9, result
    assert_no_traceback(result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("claudecli: error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert "--force" in errors[0]
    assert messages_posts(fake_api) == []
    assert result.stdout == ""


def test_daily_budget_refuses_and_names_what_is_left(
    cli_env, run_cli, fake_api, home, write_config, ledger_rows
):
    write_config("daily_budget = 1\n")
    seed_spend(
        home, ("0.95", now()), ("5", day_start(now()) - timedelta(seconds=1))
    )  # yesterday's not counted
    result = run_cli("ask", PROMPT)
    check_refused(result, fake_api, "daily budget $1.00: $0.0500 left", "could cost up to $0.0819")
    assert len(ledger_rows()) == 2  # nothing sent, nothing booked


def test_monthly_budget_refuses(cli_env, run_cli, fake_api, home, write_config):
    write_config("monthly_budget = 10\n")
    seed_spend(
        home,
        ("9.95", month_start(now()) + timedelta(seconds=1)),
        ("100", month_start(now()) - timedelta(days=2)),
    )
    check_refused(run_cli("ask", PROMPT), fake_api, "monthly budget $10.00: $0.0500 left")


def test_max_cost_per_call_refuses_unless_max_tokens_is_lowered(cli_env, run_cli, fake_api, write_config):
    write_config("max_cost_per_call = 0.05\n")
    check_refused(
        run_cli("ask", PROMPT), fake_api, "could cost up to $0.0819", "over max_cost_per_call $0.0500"
    )
    small = run_cli("ask", "--max-tokens", "100", PROMPT)
    assert small.exit_code == 0, small
    assert len(messages_posts(fake_api)) == 1


def test_warning_at_80_percent_still_sends(cli_env, run_cli, fake_api, home, write_config):
    write_config("daily_budget = 1\n")
    seed_spend(home, ("0.75", now()))  # 0.75 + 0.082 = 83 %
    result = run_cli("ask", "-q", PROMPT)
    assert result.exit_code == 0, result
    assert result.stdout == "w1\n"
    assert "warning: daily budget: $0.7500 of $1.00 spent" in result.stderr and "83 %" in result.stderr
    assert len(messages_posts(fake_api)) == 1


def test_below_80_percent_is_silent(cli_env, run_cli, fake_api, home, write_config):
    write_config("daily_budget = 1\nmonthly_budget = 100\n")
    seed_spend(home, ("0.5", now()))
    result = run_cli("ask", "-q", PROMPT)
    assert (result.exit_code, result.stderr) == (0, "")


def test_force_overrides_with_a_warning(cli_env, run_cli, fake_api, home, write_config, ledger_rows):
    write_config("daily_budget = 1\n")
    seed_spend(home, ("1.5", now()))
    result = run_cli("ask", "--force", PROMPT)
    assert result.exit_code == 0, result
    assert "daily budget $1.00: $0.00 left" in result.stderr and "sending anyway (--force)" in result.stderr
    assert len(messages_posts(fake_api)) == 1
    assert len(ledger_rows()) == 2


def test_budget_over_environment_variable(cli_env, run_cli, fake_api):
    check_refused(
        run_cli("ask", PROMPT, env={"CLAUDECLI_MAX_COST_PER_CALL": "0.01"}), fake_api, "max_cost_per_call"
    )


def test_cost_budget_shows_spend_against_each_budget(base_env, run_cli, home, write_config):
    write_config("daily_budget = 2\nmonthly_budget = 40\nmax_cost_per_call = 0.5\n")
    seed_spend(home, ("0.5", now()), ("9.5", month_start(now())))
    result = run_cli("cost", "budget", "--json")
    assert result.exit_code == 0, result
    budgets = {entry["budget"]: entry for entry in json.loads(result.stdout)["budgets"]}
    today_spent = 10.0 if day_start(now()) == month_start(now()) else 0.5
    assert budgets["daily_budget"]["spent_usd"] == today_spent
    assert budgets["daily_budget"]["left_usd"] == max(2 - today_spent, 0)
    assert budgets["monthly_budget"] == {
        "budget": "monthly_budget", "period": "this month",
        "since": month_start(now()).isoformat().replace("+00:00", "Z"),
        "limit_usd": 40.0, "spent_usd": 10.0, "left_usd": 30.0, "used_percent": 25.0,
        "ledger_set_aside_at": None,
    }  # fmt: skip
    assert budgets["max_cost_per_call"]["limit_usd"] == 0.5
    table = run_cli("cost", "budget").stdout
    assert any(
        line.split()[:2] == ["monthly_budget", "this"] and "25 %" in line for line in table.splitlines()
    )


# -- in process --------------------------------------------------------------------------------------------


def context(environ: dict[str, str]) -> tuple[AppContext, io.StringIO]:
    err = io.StringIO()
    app_ctx = AppContext.create(
        load_settings(environ=environ), stdout=io.StringIO(), stderr=err, stdin=io.StringIO(""), environ={}
    )
    return app_ctx, err


def test_no_budget_never_opens_the_ledger(base_env):
    app_ctx, _ = context(dict(base_env))
    check_budget(app_ctx, {"model": "claude-sonnet-5-5", "max_tokens": 10**6, "messages": []})
    check_spend(app_ctx, Decimal(10**6))
    assert app_ctx._ledger.value is None  # not even built, let alone opened


def test_unknown_price_is_a_warning_not_a_refusal(base_env):
    app_ctx, err = context({**base_env, "CLAUDECLI_DAILY_BUDGET": "1"})
    check_budget(app_ctx, {"model": "claude-mystery-1", "max_tokens": 10**6, "messages": []})
    assert "no price known for claude-mystery-1" in err.getvalue()


def test_worst_case_prices_cache_writes_and_batch(base_env):
    app_ctx, _ = context(dict(base_env))
    system = [{"type": "text", "text": "s" * 8000, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    params = {
        "model": "claude-sonnet-5-5",
        "max_tokens": 1000,
        "system": system,
        "messages": [{"role": "user", "content": "q" * 40}],
    }
    assert cacheable_split(params) == (2000, 14, "1h")  # 8000 / 4; then 4 + 40 / 4
    # 2000 tokens written to the 1-hour cache at $4, 14 input at $2, 1000 output at $10 (per MTok)
    assert worst_case_usd(app_ctx, params) == Decimal("0.008") + Decimal("0.000028") + Decimal("0.01")
    assert (
        worst_case_usd(app_ctx, params, batch=True)
        == (Decimal("0.008") + Decimal("0.000028") + Decimal("0.01")) / 2
    )


def test_check_spend_for_a_batch_compares_the_cap_with_its_largest_request(base_env):
    app_ctx, _ = context({**base_env, "CLAUDECLI_MAX_COST_PER_CALL": "0.10"})
    check_spend(app_ctx, Decimal("5"), what="this batch", largest_call_usd=Decimal("0.05"))
    with pytest.raises(BudgetExceeded, match="one request of this batch could cost up to"):
        check_spend(app_ctx, Decimal("5"), what="this batch", largest_call_usd=Decimal("0.2"))
