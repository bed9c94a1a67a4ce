"""`cost report` over a seeded ledger: totals and savings against hand-computed figures, by every grouping,
as a table, JSON and CSV; plus the daily rollup (migration m004) against a plain scan of `calls`.

The seeded calls (October 2026, UTC); costs and list prices are written as given:

    when              command  model               profile  tag      batch  in      out   cw5m  cr     cost   list
    10-05 09:00       ask      claude-sonnet-5-5   -        -        no     1,000   500   2,000 4,000  0.010  0.020
    10-05 15:30       chat     claude-sonnet-5-5   work     review   no     200     100   0     1,000  0.002  0.003
    10-06 10:00       batch    claude-haiku-5-5    work     nightly  yes    10,000  2,000 0     0      0.001  0.002
    10-07 23:59:59.9  ask      claude-mystery-1    -        review   no     50      10    0     0      ?      ?
    09-30 12:00 and 10-31 00:00: outside the range --since 2026-10-01 --until 2026-10-30

So: 4 calls, cost $0.013, list $0.025, saved $0.012 = $0.011 by caching (standard calls) + $0.001 on batch.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from claudecli.core.errors import UsageError
from claudecli.core.usage import TokenUsage
from claudecli.ledger.store import CallRecord, Ledger
from claudecli.money.periods import parse_moment, parse_range

RANGE = ("--since", "2026-10-01", "--until", "2026-10-30")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SEED = [
    ("2026-10-05T09:00:00", "ask", "claude-sonnet-5-5", None, None, False, (1000, 500, 2000, 4000), "0.010", "0.020"),
    ("2026-10-05T15:30:00", "chat", "claude-sonnet-5-5", "work", "review", False, (200, 100, 0, 1000), "0.002", "0.003"),
    ("2026-10-06T10:00:00", "batch", "claude-haiku-5-5", "work", "nightly", True, (10000, 2000, 0, 0), "0.001", "0.002"),
    ("2026-10-07T23:59:59.900", "ask", "claude-mystery-1", None, "review", False, (50, 10, 0, 0), None, None),
    ("2026-09-30T12:00:00", "ask", "claude-sonnet-5-5", None, None, False, (9, 9, 9, 9), "5", "5"),
    ("2026-10-31T00:00:00", "ask", "claude-sonnet-5-5", None, None, False, (9, 9, 9, 9), "5", "5"),
]  # fmt: skip


def record(when, command, model, profile, tag, batch, tokens, cost, list_cost) -> CallRecord:
    inp, out, cw, cr = tokens
    return CallRecord(
        command=command,
        model=model,
        usage=TokenUsage(input_tokens=inp, output_tokens=out, cache_write_5m_tokens=cw, cache_read_tokens=cr),
        cost_usd=None if cost is None else Decimal(cost),
        list_cost_usd=None if list_cost is None else Decimal(list_cost),
        profile=profile,
        tag=tag,
        is_batch=batch,
        ts=t(when),
    )


@pytest.fixture
def seeded(home: Path) -> Path:
    path = home / "data" / "usage.db"
    with Ledger(path) as ledger:
        ledger.record_many([record(*row) for row in SEED])
    return path


# key -> (calls, input, output, cache write, cache read, cost, list, saved, saved caching, saved batch, unknown)
EXPECTED = {
    "model": {
        "claude-haiku-5-5": (1, 10000, 2000, 0, 0, "0.001", "0.002", "0.001", "0", "0.001", 0),
        "claude-mystery-1": (1, 50, 10, 0, 0, "0", "0", "0", "0", "0", 1),
        "claude-sonnet-5-5": (2, 1200, 600, 2000, 5000, "0.012", "0.023", "0.011", "0.011", "0", 0),
    },
    "day": {
        "2026-10-05": (2, 1200, 600, 2000, 5000, "0.012", "0.023", "0.011", "0.011", "0", 0),
        "2026-10-06": (1, 10000, 2000, 0, 0, "0.001", "0.002", "0.001", "0", "0.001", 0),
        "2026-10-07": (1, 50, 10, 0, 0, "0", "0", "0", "0", "0", 1),
    },
    "command": {
        "ask": (2, 1050, 510, 2000, 4000, "0.010", "0.020", "0.010", "0.010", "0", 1),
        "batch": (1, 10000, 2000, 0, 0, "0.001", "0.002", "0.001", "0", "0.001", 0),
        "chat": (1, 200, 100, 0, 1000, "0.002", "0.003", "0.001", "0.001", "0", 0),
    },
    "tag": {
        None: (1, 1000, 500, 2000, 4000, "0.010", "0.020", "0.010", "0.010", "0", 0),
        "nightly": (1, 10000, 2000, 0, 0, "0.001", "0.002", "0.001", "0", "0.001", 0),
        "review": (2, 250, 110, 0, 1000, "0.002", "0.003", "0.001", "0.001", "0", 1),
    },
    "profile": {
        None: (2, 1050, 510, 2000, 4000, "0.010", "0.020", "0.010", "0.010", "0", 1),
        "work": (2, 10200, 2100, 0, 1000, "0.003", "0.005", "0.002", "0.001", "0.001", 0),
    },
}
TOTAL = (4, 11250, 2610, 2000, 5000, "0.013", "0.025", "0.012", "0.011", "0.001", 1)


def json_figures(entry: dict) -> tuple:
    usage = entry["usage"]
    return (
        entry["calls"],
        usage["input_tokens"],
        usage["output_tokens"],
        usage["cache_write_5m_tokens"] + usage["cache_write_1h_tokens"],
        usage["cache_read_tokens"],
        *(Decimal(str(entry[name])) for name in ("cost_usd", "list_cost_usd", "saved_usd")),
        *(Decimal(str(entry[name])) for name in ("saved_caching_usd", "saved_batch_usd")),
        entry["unknown_cost_calls"],
    )


def as_decimals(figures: tuple) -> tuple:
    return tuple(Decimal(value) if isinstance(value, str) else value for value in figures)


@pytest.mark.parametrize("by", list(EXPECTED))
def test_json_by_each_grouping(seeded, base_env, run_cli, by):
    result = run_cli("cost", "report", *RANGE, "--by", by, "--json")
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert (document["source"], document["by"]) == ("ledger", by)
    assert (document["since"], document["until"]) == ("2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z")
    got = {group["key"]: json_figures(group) for group in document["groups"]}
    assert got == {key: as_decimals(figures) for key, figures in EXPECTED[by].items()}
    assert [group["key"] for group in document["groups"]] == list(EXPECTED[by])  # none first, then sorted
    assert json_figures(document["total"]) == as_decimals(TOTAL)


@pytest.mark.parametrize("by", ["model", "tag"])
def test_csv_by_grouping(seeded, base_env, run_cli, by):
    result = run_cli("cost", "report", *RANGE, "--by", by, "--csv")
    assert result.exit_code == 0, result
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:3] == [by, "calls", "input_tokens"]
    got = {
        row[by] or None: (
            int(row["calls"]),
            int(row["input_tokens"]),
            int(row["output_tokens"]),
            int(row["cache_write_5m_tokens"]) + int(row["cache_write_1h_tokens"]),
            int(row["cache_read_tokens"]),
            *(Decimal(row[name]) for name in ("cost_usd", "list_cost_usd", "saved_usd")),
            *(Decimal(row[name]) for name in ("saved_caching_usd", "saved_batch_usd")),
            int(row["unknown_cost_calls"]),
        )
        for row in rows
    }
    assert got == {key: as_decimals(figures) for key, figures in EXPECTED[by].items()}
    assert result.stderr == ""


def test_table_rows_total_and_savings(seeded, base_env, run_cli):
    result = run_cli("cost", "report", *RANGE, "--by", "command")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "command",
        "calls",
        "input",
        "cache",
        "write",
        "cache",
        "read",
        "output",
        "cost",
        "list",
        "price",
        "saved",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["ask"] == ["2", "1,050", "2,000", "4,000", "510", "$0.0100+?", "$0.0200+?", "$0.0100+?"]
    assert rows["batch"] == ["1", "10,000", "0", "0", "2,000", "$0.0010", "$0.0020", "$0.0010"]
    assert rows["chat"] == ["1", "200", "0", "1,000", "100", "$0.0020", "$0.0030", "$0.0010"]
    assert rows["total"] == ["4", "11,250", "2,000", "5,000", "2,610", "$0.0130+?", "$0.0250+?", "$0.0120+?"]
    assert "\x1b" not in result.stdout
    assert (
        "saved $0.0120 vs list price: $0.0110 by prompt caching on standard calls, "
        "$0.0010 on batch calls (batch discount and caching)"
    ) in result.stderr
    assert "1 call(s) had no known price" in result.stderr


def test_calls_with_an_unknown_price_show_unknown_not_zero(seeded, base_env, run_cli):
    """They showed as $0.00, which reads as "free"."""
    result = run_cli("cost", "report", *RANGE, "--by", "model")
    assert result.exit_code == 0, result
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["claude-mystery-1"] == ["1", "50", "0", "0", "10", "unknown", "unknown", "unknown"]
    assert rows["claude-haiku-5-5"][-3:] == ["$0.0010", "$0.0020", "$0.0010"]  # fully priced: as before
    assert rows["total"][-3:] == ["$0.0130+?", "$0.0250+?", "$0.0120+?"]
    assert "$0.00 " not in result.stdout and not result.stdout.rstrip().endswith("$0.00")
    assert "1 call(s) had no known price" in result.stderr


def test_partial_days_at_the_edges(seeded, base_env, run_cli):
    result = run_cli(
        "cost", "report", "--since", "2026-10-05T12:00", "--until", "2026-10-07T23:59:59.950Z", "--json"
    )
    document = json.loads(result.stdout)
    assert {g["key"]: g["calls"] for g in document["groups"]} == {
        "claude-haiku-5-5": 1,
        "claude-mystery-1": 1,
        "claude-sonnet-5-5": 1,
    }
    assert Decimal(str(document["total"]["cost_usd"])) == Decimal("0.003")


def test_default_range_is_this_month_and_empty_ledger_is_fine(base_env, run_cli):
    result = run_cli("cost", "report", "--json")
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["groups"] == [] and document["total"]["calls"] == 0
    assert document["since"].endswith("-01T00:00:00Z") and document["until"] is None


def test_bad_options_are_usage_errors(base_env, run_cli):
    for args, fragment in (
        (("--by", "colour"), "--by: expected one of model, day, command, tag, profile"),
        (("--since", "last tuesday"), "--since: cannot read 'last tuesday'"),
        (("--since", "2026-11-02", "--until", "2026-11-01"), "is not after --since"),
        (("--json", "--csv"), "choose one"),
        (("--org", "--by", "tag"), "with --org"),
    ):
        result = run_cli("cost", "report", *args)
        assert result.exit_code == 2, (args, result)
        assert fragment in result.stderr and "Traceback" not in result.stderr


# -- in process ------------------------------------------------------------------------------------------


def test_periods() -> None:
    now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
    assert parse_moment("7d", "--since", now=now) == now - timedelta(days=7)
    assert parse_moment("36h", "--since", now=now) == now - timedelta(hours=36)
    assert parse_moment("2w", "--since", now=now) == now - timedelta(weeks=2)
    assert parse_moment("today", "--since", now=now) == t("2026-11-22T00:00:00")
    assert parse_moment("yesterday", "--until", now=now, end=True) == t("2026-11-22T00:00:00")
    assert parse_moment("2026-11-01", "--since", now=now) == t("2026-11-01T00:00:00")
    assert parse_moment("2026-11-01", "--until", now=now, end=True) == t("2026-11-02T00:00:00")
    assert parse_moment("2026-12", "--until", now=now, end=True) == t("2027-01-01T00:00:00")
    assert parse_moment("2026-11-01T09:30+01:00", "--since", now=now) == t("2026-11-01T08:30:00")
    assert parse_range(None, None, default_since=t("2026-11-01T00:00:00"), now=now) == (
        t("2026-11-01T00:00:00"),
        None,
    )
    with pytest.raises(UsageError):
        parse_moment("2026-13", "--since", now=now)


def _plain_scan(ledger: Ledger, since, until, by: str) -> dict:
    """``{key: (calls, known cost, usage)}`` added up in Python from every row in the range."""
    totals: dict = {}
    for call in ledger.iter_calls(since, until):
        key = f"{call.ts:%Y-%m-%d}" if by == "day" else getattr(call, by)
        calls, cost, usage = totals.get(key, (0, Decimal(0), TokenUsage()))
        totals[key] = (calls + 1, cost + (call.cost_usd or 0), usage + call.usage)
    return totals


CALLS = 1200  # ~30 a day over 40 days (3,000 took 7 s on the 2-core machine)


def test_rollup_matches_a_plain_scan_for_random_calls_and_ranges(tmp_path: Path) -> None:
    rng = random.Random(7)
    start = t("2026-01-01T00:00:00")
    records = [
        CallRecord(
            command=rng.choice(["ask", "chat", "batch"]),
            model=rng.choice(["a", "b", "c"]),
            usage=TokenUsage(input_tokens=rng.randrange(1000), output_tokens=rng.randrange(100)),
            cost_usd=None if rng.random() < 0.1 else Decimal(rng.randrange(10**6)) / 10**7,
            list_cost_usd=Decimal(rng.randrange(10**6)) / 10**6,
            profile=rng.choice([None, "work"]),
            tag=rng.choice([None, "x", "y"]),
            is_batch=rng.random() < 0.3,
            ts=start + timedelta(seconds=rng.randrange(40 * 86400)),
        )
        for _ in range(CALLS)
    ]
    with Ledger(tmp_path / "usage.db") as ledger:
        ledger.record_many(records)
        ledger._db().execute("DELETE FROM calls WHERE id % 17 = 0")  # the triggers keep the rollup exact
        ledger._db().execute("UPDATE calls SET model = 'd', cost_usd = 0.5 WHERE id % 13 = 0")
        for _ in range(20):
            since = start + timedelta(seconds=rng.randrange(45 * 86400)) if rng.random() < 0.8 else None
            until = start + timedelta(seconds=rng.randrange(45 * 86400)) if rng.random() < 0.8 else None
            by = rng.choice(["model", "day", "command", "tag", "profile"])
            if since and until and until <= since:
                since, until = until, since
            plain = _plain_scan(ledger, since, until, by)
            fast: dict = {}
            for part in ledger.group_totals(since, until, by):
                calls, cost, usage = fast.get(part.key, (0, Decimal(0), TokenUsage()))
                fast[part.key] = (calls + part.calls, cost + part.cost_usd, usage + part.usage)
            assert fast == plain, (since, until, by)


def test_absurd_relative_since_is_a_usage_error(base_env, run_cli):
    result = run_cli("cost", "report", "--since", "99999999d")
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option",
    [
        ("--until", "9999-12"),
        ("--until", "9999-12-31"),
        ("--since", "9999-12-31T23:59+00:00"),
        ("--since", "0001-01-01T00:00+05:00"),
    ],
)
def test_a_bound_past_the_calendar_is_a_usage_error(base_env, run_cli, option):
    result = run_cli("cost", "report", "--json", *option)
    assert result.exit_code == 2, result
    assert json.loads(result.stdout)["exit_code"] == 2
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr
