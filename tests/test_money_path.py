"""One money path: the same usage is priced to the same figure by every command that prices anything.

One prompt goes through `ask` (its --json cost and its ledger row), `batch run` (its output line and ledger row)
and `batch submit` + `batch collect` (the booked result) against the fake API; `cost estimate` prices the
same tokens before sending; `cost prices` and `models` show the rates the figure is made of. Standard and
batch figures each agree everywhere, down to the nano-dollar.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from claudecli.batch.estimate import Estimate
from claudecli.core.usage import TokenUsage
from claudecli.money.price_book import PriceBook

MODEL = "claude-sonnet-5-5"
PROMPT = "How much does this cost? [[words:7]]"
M = Decimal(1_000_000)


def money(value: float | None) -> Decimal:
    """A cost as printed (a JSON number or a REAL column) back as the decimal it was written from."""
    assert value is not None
    return Decimal(str(value))


def usage_of(row: dict) -> TokenUsage:
    return TokenUsage(**{name: row[name] for name in TokenUsage().as_dict()})


def json_of(result) -> dict:
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def at_rates(rates: dict, usage: TokenUsage) -> Decimal:
    """``usage`` (uncached input and output only) at the USD/MTok rates a table printed."""
    assert usage.cache_write_tokens == usage.cache_read_tokens == usage.web_search_requests == 0
    return (usage.input_tokens * money(rates["input"]) + usage.output_tokens * money(rates["output"])) / M


def test_every_command_prices_one_usage_to_the_same_figure(cli_env, run_cli, tmp_path: Path, ledger_rows):
    asked = json_of(run_cli("ask", "--json", "-m", MODEL, PROMPT))
    (ask_row,) = ledger_rows()
    usage = usage_of(ask_row)
    assert usage.as_dict() == asked["usage"] and usage.output_tokens == 7 and usage.input_tokens > 0
    standard = money(asked["cost_usd"])
    assert money(ask_row["cost_usd"]) == money(ask_row["list_cost_usd"]) == standard

    estimate = json_of(run_cli("cost", "estimate", "--json", "-m", MODEL, "--output-tokens", "7", PROMPT))
    (estimated,) = estimate["models"]
    assert estimated["input_tokens"] == usage.input_tokens  # the same tokens, counted before sending
    assert money(estimated["cost_usd"]) == standard
    batch = money(estimated["batch_cost_usd"])
    assert 0 < batch < standard

    (listed,) = json_of(run_cli("cost", "prices", "--json", MODEL))["models"]
    assert at_rates(listed["prices"]["standard"], usage) == standard
    assert at_rates(listed["prices"]["batch"], usage) == batch
    models = json_of(run_cli("models", "--json"))["models"]
    (entry,) = [model for model in models if model["id"] == MODEL]
    assert at_rates(entry["price_per_mtok"], usage) == standard

    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"id": "one", "model": MODEL, "prompt": PROMPT}) + "\n")
    out = tmp_path / "run.jsonl"
    assert run_cli("batch", "run", str(jobs), "-o", str(out)).exit_code == 0
    (line,) = [json.loads(text) for text in out.read_text().splitlines()]
    assert line["usage"] == usage.as_dict() and money(line["cost_usd"]) == standard
    (run_row,) = [row for row in ledger_rows() if row["command"] == "batch-run"]
    assert money(run_row["cost_usd"]) == money(run_row["list_cost_usd"]) == standard

    assert run_cli("batch", "submit", str(jobs)).exit_code == 0  # the fake ends it at once
    assert run_cli("batch", "collect", "--out-dir", str(tmp_path / "collected")).exit_code == 0
    (booked,) = [row for row in ledger_rows() if row["command"] == "batch"]
    assert usage_of(booked) == usage and booked["is_batch"] == 1
    assert money(booked["cost_usd"]) == batch
    assert money(booked["list_cost_usd"]) == standard  # list price: no batch discount, nothing cached


def test_a_batch_worst_case_prices_its_loads_at_the_largest_requests_tier():
    """haiku 5.5: $0.1 in, $0.5 out, $0.2 per 1-hour cache write; every rate x5 once a prompt passes 100k."""
    rate_in, rate_out, rate_write_1h = Decimal("0.1"), Decimal("0.5"), Decimal("0.2")
    estimate = Estimate()
    estimate.add("claude-haiku-5-5", 60_000, 1_000)
    estimate.add("claude-haiku-5-5", 50_000, 2_000, cache_ttl="1h")
    estimate.add("no-such-model", 10, 10)
    worst = estimate.worst_case(PriceBook(), batch=False)
    assert worst.total == (60_000 * rate_in + 50_000 * rate_write_1h + 3_000 * rate_out) / M
    # one request at most: the largest input at the dearest input rate (a cache write), the largest output
    assert worst.largest_call == (60_000 * rate_write_1h + 2_000 * rate_out) / M
    assert worst.unknown == ["no-such-model"]

    estimate.add("claude-haiku-5-5", 100_001, 10)  # past the tier: every request is priced at it
    tiered = estimate.worst_case(PriceBook(), batch=False)
    assert tiered.total == 5 * (160_001 * rate_in + 50_000 * rate_write_1h + 3_010 * rate_out) / M
    batch = estimate.worst_case(PriceBook(), batch=True)
    assert batch.total == tiered.total / 2 and batch.largest_call == tiered.largest_call / 2
