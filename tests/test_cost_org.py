"""`cost report --org`: the organisation's usage and cost from the Admin API (the fake's small report).

The fake's report (tests/fakeapi/admin.py, DEFAULT_ORG_USAGE), amounts in cents:

    day         model              requests  uncached in  cw 5m   cw 1h  cache read  output   amount  list
    2026-11-02  claude-sonnet-5-5  40        120,000      10,000  0      300,000     50,000   79.5    131.0
    2026-11-02  claude-haiku-5-5   300       900,000      0       0      0           200,000  19      19
    2026-11-03  claude-sonnet-5-5  10        30,000       0       5,000  0           10,000   20      22.5
    2026-11-03  claude-opus-5-5    5         20,000       0       0      0           4,000    16      16
"""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import assert_no_traceback, assert_secret_free

ADMIN_KEY = "sk-ant-admin-test-ADMINSECRET-42"
NOVEMBER = ("--since", "2026-11-01", "--until", "2026-11-30")


def admin_requests(fake_api, what: str) -> list:
    return fake_api.requests_to(f"/v1/organizations/analytics/{what}", method="GET")


def test_org_report_by_model_renders_the_fakes_report(cli_env, run_cli, fake_api):
    result = run_cli("cost", "report", "--org", *NOVEMBER, "--json", env={"ANTHROPIC_ADMIN_KEY": ADMIN_KEY})
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert (document["source"], document["by"]) == ("org", "model")
    groups = {g["key"]: g for g in document["groups"]}
    sonnet = groups["claude-sonnet-5-5"]
    assert sonnet["calls"] == 50
    assert sonnet["usage"]["input_tokens"] == 150_000 and sonnet["usage"]["output_tokens"] == 60_000
    assert (sonnet["usage"]["cache_write_5m_tokens"], sonnet["usage"]["cache_write_1h_tokens"]) == (
        10_000,
        5_000,
    )
    assert sonnet["usage"]["cache_read_tokens"] == 300_000 and sonnet["usage"]["web_search_requests"] == 2
    assert Decimal(str(sonnet["cost_usd"])) == Decimal("0.995")
    assert Decimal(str(sonnet["list_cost_usd"])) == Decimal("1.535")
    assert Decimal(str(sonnet["saved_usd"])) == Decimal("0.54")
    assert sonnet["saved_caching_usd"] is None  # the Admin API does not split savings by cause
    total = document["total"]
    assert total["calls"] == 355 and Decimal(str(total["cost_usd"])) == Decimal("1.345")
    assert list(groups) == ["claude-haiku-5-5", "claude-opus-5-5", "claude-sonnet-5-5"]

    usage = admin_requests(fake_api, "usage")
    assert len(usage) == 1 and len(admin_requests(fake_api, "cost")) == 1  # 30 days: one window
    assert usage[0].headers["authorization"] == f"Bearer {ADMIN_KEY}"  # the admin key, not the API key
    assert "analytics-usage-cost-2026-08-24" in usage[0].headers["anthropic-beta"]
    assert usage[0].query["group_by[]"] == "model"
    assert usage[0].query["starting_at"] == "2026-11-01T00:00:00Z"
    assert usage[0].query["ending_at"] == "2026-12-01T00:00:00Z"
    assert_secret_free(result.stdout, result.stderr)
    assert ADMIN_KEY not in result.stdout + result.stderr


def test_org_report_by_day_as_a_table_over_two_windows(cli_env, run_cli, fake_api):
    result = run_cli(
        "cost", "report", "--org", "--by", "day", "--since", "2026-10-01", "--until", "2026-11-30",
        env={"ANTHROPIC_ADMIN_KEY": ADMIN_KEY},
    )  # fmt: skip
    assert result.exit_code == 0, result
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["2026-11-02"] == [
        "340",
        "1,020,000",
        "10,000",
        "300,000",
        "250,000",
        "$0.9850",
        "$1.50",
        "$0.5150",
    ]
    assert rows["2026-11-03"] == ["15", "50,000", "5,000", "0", "14,000", "$0.3600", "$0.3850", "$0.0250"]
    assert rows["total"][0] == "355" and rows["total"][5] == "$1.34"
    assert "organisation (Admin API)" in result.stderr
    windows = [r.query["starting_at"] for r in admin_requests(fake_api, "usage")]
    assert windows == ["2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"]  # 61 days: 31 + 30
    assert all(r.query["time_bucket_width"] == "1d" for r in admin_requests(fake_api, "cost"))


def test_org_report_pages_through(cli_env, run_cli, fake_api):
    from tests.fakeapi.admin import OrgUsage

    fake_api.org_usage = [
        OrgUsage(f"2026-11-{day:02d}", f"claude-m{i:04d}", 1, 10, 0, 0, 0, 1, 0, "1", "2")
        for day in (1, 2)
        for i in range(1100)
    ]
    result = run_cli("cost", "report", "--org", *NOVEMBER, "--json", env={"ANTHROPIC_ADMIN_KEY": ADMIN_KEY})
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert len(document["groups"]) == 1100
    assert document["total"]["calls"] == 2200 and Decimal(str(document["total"]["cost_usd"])) == Decimal("22")
    assert [r.query.get("page") for r in admin_requests(fake_api, "cost")] == [None, "1000"]


def test_org_report_needs_an_admin_key(cli_env, run_cli, fake_api):
    result = run_cli("cost", "report", "--org")
    assert result.exit_code == 3, result
    assert "no admin key" in result.stderr and "ANTHROPIC_ADMIN_KEY" in result.stderr
    rejected = run_cli(
        "cost", "report", "--org", *NOVEMBER, env={"ANTHROPIC_ADMIN_KEY": "sk-ant-api-not-admin"}
    )
    assert rejected.exit_code == 3 and "Admin API key" in rejected.stderr
    for outcome in (result, rejected):
        assert_no_traceback(outcome.stderr)
    assert "sk-ant-api-not-admin" not in rejected.stderr
