"""`claudecli models`, the models cache and aliases, against the fake API (real SDK, real HTTP)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from claudecli.catalog.lookup import load_catalog, model_info, resolve_model
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.errors import NotFoundError, UsageError
from tests.conftest import assert_no_traceback
from tests.fakeapi.models import model_entry

DEAD_URL = "http://127.0.0.1:9"


def model_gets(fake_api) -> list:
    return fake_api.requests_to("/v1/models", method="GET")


def messages_posts(fake_api) -> list:
    return fake_api.requests_to("/v1/messages", method="POST")


def cache_file(home: Path) -> Path:
    return home / "cache" / "models.json"


def age_cache(home: Path, hours: float) -> None:
    document = json.loads(cache_file(home).read_text())
    fetched = datetime.now(UTC) - timedelta(hours=hours)
    document["fetched_at"] = fetched.isoformat().replace("+00:00", "Z")
    cache_file(home).write_text(json.dumps(document))


def in_process_context(environ: dict[str, str]) -> tuple[AppContext, io.StringIO]:
    settings = load_settings(environ=environ)
    err = io.StringIO()
    app_ctx = AppContext.create(settings, stdout=io.StringIO(), stderr=err, stdin=io.StringIO(""), environ={})
    return app_ctx, err


# -- the list ---------------------------------------------------------------------------------------------


def test_models_pages_through_every_lifecycle_and_caches(cli_env, run_cli, fake_api, home):
    extra = [
        model_entry(f"claude-extra-{i:03d}", f"Extra {i}", "2023-01-01T00:00:00Z", line=None)
        for i in range(230)
    ]
    fake_api.models = fake_api.models + extra
    result = run_cli("models", "--json")
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    ids = [entry["id"] for entry in document["models"]]
    assert len(ids) == 9 + 230  # retired ones hidden
    assert ids[:3] == ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"]
    gets = model_gets(fake_api)
    assert len(gets) == 3  # 242 models, 100 a page
    assert all(get.query["lifecycle[]"] == "active,deprecated,retired" for get in gets)
    assert "after_id" not in gets[0].query and gets[1].query["after_id"] == "claude-extra-087"
    assert document["source"] == "api"
    assert cache_file(home).exists()

    again = run_cli("models", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["source"] == "cache"
    assert len(model_gets(fake_api)) == 3  # served from the cache: no request
    assert run_cli("models", "--refresh").exit_code == 0
    assert len(model_gets(fake_api)) == 6


def test_table_columns_prices_and_retired_hidden_unless_all(cli_env, run_cli):
    result = run_cli("models")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "id",
        "name",
        "lifecycle",
        "context",
        "max",
        "output",
        "$/MTok",
        "in/out",
        "released",
    ]
    sonnet = next(line for line in lines if line.startswith("claude-sonnet-5-5 "))
    assert "Claude Sonnet 5.5" in sonnet and "active" in sonnet and "1M" in sonnet and "64k" in sonnet
    assert "$2 / $10" in sonnet and "2026-09-15" in sonnet
    assert "\x1b" not in result.stdout and "claude-3-haiku-20240307" not in result.stdout
    assert "3 retired model(s) hidden" in result.stderr
    everything = run_cli("models", "--all")
    retired = next(
        line for line in everything.stdout.splitlines() if line.startswith("claude-3-haiku-20240307")
    )
    assert "retired" in retired and "4,096" in retired


def test_offline_without_cache_uses_the_builtin_list(base_env, run_cli):
    result = run_cli("models", "--json", env={"ANTHROPIC_BASE_URL": DEAD_URL, "CLAUDECLI_MAX_RETRIES": "0"})
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["source"] == "builtin"
    assert "claude-sonnet-5-5" in [entry["id"] for entry in document["models"]]
    assert "could not fetch the models list" in result.stderr and "built-in list" in result.stderr
    assert_no_traceback(result.stderr)


def test_offline_with_a_stale_cache_uses_it_with_a_note(cli_env, run_cli, fake_api, home):
    assert run_cli("models").exit_code == 0
    age_cache(home, hours=30)
    fake_api.stop()  # same base URL, nobody answering
    result = run_cli("models", "--json", env={"CLAUDECLI_MAX_RETRIES": "0"})
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["source"] == "cache"
    assert "could not refresh the models list" in result.stderr and "cached 30 h ago" in result.stderr


def test_show_alias_with_prices_and_aliases(cli_env, run_cli, write_config):
    write_config('[aliases]\nfast = "haiku"\n')
    result = run_cli("models", "show", "fast", "--json")
    assert result.exit_code == 0, result
    model = json.loads(result.stdout)["model"]
    assert model["id"] == "claude-haiku-5-5"
    assert model["aliases"] == ["haiku", "fast"]
    prices = model["prices"]
    assert prices["standard"] == {
        "input": 0.1, "output": 0.5, "cache_write_5m": 0.125, "cache_write_1h": 0.2, "cache_read": 0.01,
    }  # fmt: skip
    assert prices["batch"]["input"] == 0.05 and prices["batch"]["output"] == 0.25
    assert prices["long_context"][0]["above_input_tokens"] == 100_000
    text = run_cli("models", "show", "haiku").stdout
    assert "cache read $0.01" in text and "batch /MTok" in text and "over 100,000 in" in text


def test_show_deprecated_and_retired_name_dates_and_replacement(cli_env, run_cli):
    deprecated = run_cli("models", "show", "claude-opus-4-5")
    assert deprecated.exit_code == 0, deprecated
    assert "deprecated" in deprecated.stdout and "2026-10-22" in deprecated.stdout
    assert "2027-01-22" in deprecated.stdout
    assert any(line.split() == ["replacement", "claude-opus-5-5"] for line in deprecated.stdout.splitlines())
    retired = json.loads(run_cli("models", "show", "claude-3-haiku-20240307", "--json").stdout)["model"]
    assert (retired["lifecycle"], retired["retires_at"], retired["replacement"]) == (
        "retired",
        "2025-07-21",
        "claude-haiku-5-5",
    )
    unknown = run_cli("models", "show", "claude-nope-1")
    assert unknown.exit_code == 4 and "not in the models list" in unknown.stderr


# -- aliases and lifecycle on the way to a call ----------------------------------------------------------


def test_alias_resolves_to_newest_active_and_the_request_names_it(cli_env, run_cli, fake_api):
    newer = model_entry("claude-haiku-6", "Claude Haiku 6", "2026-11-01T00:00:00Z", line="haiku")
    older_deprecated = model_entry(
        "claude-haiku-7-preview", "Preview", "2026-11-10T00:00:00Z", "deprecated", line="haiku"
    )
    fake_api.models = [older_deprecated, newer, *fake_api.models]
    result = run_cli("ask", "-m", "haiku", "[[words:2]]")
    assert result.exit_code == 0, result
    assert messages_posts(fake_api)[-1].body["model"] == "claude-haiku-6"
    assert "claude-haiku-6" in result.stderr  # the summary names the resolved id
    assert run_cli("ask", "-m", "sonnet", "[[words:1]]").exit_code == 0
    assert messages_posts(fake_api)[-1].body["model"] == "claude-sonnet-5-5"
    assert len(model_gets(fake_api)) == 1  # the second call resolved from the fresh cache


def test_user_alias_chain_and_default_model(cli_env, run_cli, fake_api, write_config):
    write_config('model = "fast"\n[aliases]\nfast = "cheap"\ncheap = "haiku"\n')
    assert run_cli("ask", "[[words:1]]").exit_code == 0
    assert messages_posts(fake_api)[-1].body["model"] == "claude-haiku-5-5"


def test_retired_model_is_refused_before_sending(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-m", "claude-3-opus-20240229", "hi")
    assert result.exit_code == 4, result
    assert "claudecli: error: claude-3-opus-20240229 was retired on 2025-07-21" in result.stderr
    assert "use claude-opus-5-5 instead" in result.stderr
    assert messages_posts(fake_api) == []
    assert_no_traceback(result.stderr)


@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")  # the SDK's own
def test_deprecated_model_warns_with_its_replacement(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-q", "-m", "claude-opus-4-5", "[[words:1]]")
    assert result.exit_code == 0, result
    assert (
        "warning: claude-opus-4-5 is deprecated, retiring on 2027-01-22; use claude-opus-5-5" in result.stderr
    )
    assert messages_posts(fake_api)[-1].body["model"] == "claude-opus-4-5"
    current = run_cli("ask", "-q", "-m", "claude-sonnet-4-6", "[[words:1]]")
    assert current.exit_code == 0 and "deprecated" not in current.stderr, current


# -- in-process: the catalogue's rules --------------------------------------------------------------------


def test_first_run_offline_falls_back_to_builtin_list(base_env):
    app_ctx, err = in_process_context({**base_env, "ANTHROPIC_BASE_URL": DEAD_URL})
    assert resolve_model(app_ctx, "opus") == "claude-opus-5-5"
    assert load_catalog(app_ctx, quick=True).source == "builtin"
    info = model_info(app_ctx, "claude-opus-4-5")
    assert info is not None and info.lifecycle == "deprecated" and info.replacement == "claude-opus-5-5"
    assert model_info(app_ctx, "claude-unknown") is None
    assert err.getvalue() == ""  # resolving quietly: the call itself reports a connection problem


def test_model_info_and_unknown_ids_pass_through(cli_env, fake_api):
    app_ctx, _ = in_process_context(dict(cli_env))
    info = model_info(app_ctx, "claude-sonnet-5-5")
    assert info is not None
    assert (info.context_window, info.max_output_tokens, info.lifecycle) == (1_000_000, 64_000, "active")
    assert info.created_at == datetime(2026, 9, 15, tzinfo=UTC)
    assert resolve_model(app_ctx, "claude-brand-new-9") == "claude-brand-new-9"  # the API decides
    with pytest.raises(NotFoundError, match="retired"):
        resolve_model(app_ctx, "claude-3-haiku-20240307")
    assert len(model_gets(fake_api)) == 1


def test_alias_cycle_is_a_usage_error(base_env, home):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[aliases]\na = "b"\nb = "a"\n')
    app_ctx, _ = in_process_context(dict(base_env))
    with pytest.raises(UsageError, match="cycle"):
        resolve_model(app_ctx, "a")


def test_cache_from_another_base_url_is_not_used(cli_env, run_cli, fake_api, home):
    assert run_cli("models").exit_code == 0
    document = json.loads(cache_file(home).read_text())
    document["base_url"] = "https://gateway.example.com"
    cache_file(home).write_text(json.dumps(document))
    assert json.loads(run_cli("models", "--json").stdout)["source"] == "api"


def test_a_failed_fetch_is_not_retried_at_once_by_the_same_process(cli_env, fake_api):
    from tests.fakeapi import Fault

    fake_api.enqueue(Fault.status(500, "api_error", "down"), path="/v1/models")
    app_ctx, _ = in_process_context(dict(cli_env))
    first = load_catalog(app_ctx, quick=True)
    assert first.source == "builtin" and first.note is not None and "500" in first.note
    assert resolve_model(app_ctx, "sonnet") == "claude-sonnet-5-5"  # e.g. the next chat turn: no new fetch
    assert len(model_gets(fake_api)) == 1
    assert load_catalog(app_ctx, refresh=True).source == "api"  # an explicit refresh always tries
    assert len(model_gets(fake_api)) == 2


def _failing_models_endpoint(fake_api, times: int) -> None:
    from tests.fakeapi import Fault

    for _ in range(times):
        fake_api.enqueue(Fault.status(500, "api_error", "down"), path="/v1/models")


def test_a_failed_fetch_is_remembered_on_disk_by_the_next_processes(
    cli_env, run_cli, run_cli_subprocess, fake_api, home
):
    """Every new process (a cron job, an `ask` in a loop) tried the dead list again, and waited on it.

    The second run is a new process (what the issue saw); the others run in process, as only the disk is shared."""
    _failing_models_endpoint(fake_api, 2)
    env = {"CLAUDECLI_MAX_RETRIES": "0"}
    first = run_cli("models", "--json", env=env)
    assert first.exit_code == 0 and json.loads(first.stdout)["source"] == "builtin", first
    assert len(model_gets(fake_api)) == 1
    second = run_cli_subprocess("models", "--json", env=env)  # another process, a minute later
    assert second.exit_code == 0 and "not retried for a few minutes" in second.stderr, second
    assert len(model_gets(fake_api)) == 1
    memory = home / "cache" / "models.failed.json"
    assert memory.stat().st_mode & 0o777 == 0o600 and cli_env["ANTHROPIC_API_KEY"] not in memory.read_text()
    document = json.loads(memory.read_text())
    for entry in document["failures"].values():  # five minutes on: tried again
        entry["failed_at"] = (datetime.now(UTC) - timedelta(minutes=6)).isoformat()
    memory.write_text(json.dumps(document))
    third = run_cli("models", "--json", env=env)
    assert len(model_gets(fake_api)) == 2 and "500" in third.stderr, third
    refreshed = run_cli("models", "--refresh", "--json", env=env)  # asked for: always tries
    assert json.loads(refreshed.stdout)["source"] == "api" and len(model_gets(fake_api)) == 3
    assert not memory.exists()  # a success forgets the failure


def _with_dated_snapshots(fake_api) -> None:
    """The real API lists dated ids and accepts their undated aliases."""
    undated = {"claude-haiku-4-5", "claude-sonnet-4-5"}
    fake_api.models = [m for m in fake_api.models if m["id"] not in undated] + [
        model_entry("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z", line="haiku"),
        model_entry(
            "claude-sonnet-4-5-20250929",
            "Claude Sonnet 4.5",
            "2025-09-29T00:00:00Z",
            "retired",
            line="sonnet",
            deprecated_at="2026-06-01T00:00:00Z",
            retires_at="2026-11-30T00:00:00Z",
        ),
    ]


def test_models_show_and_ask_agree_on_an_api_alias(cli_env, run_cli, fake_api):
    """`models show claude-haiku-4-5` said "not in the models list" while `ask -m claude-haiku-4-5` worked."""
    _with_dated_snapshots(fake_api)
    shown = run_cli("models", "show", "claude-haiku-4-5")
    assert shown.exit_code == 0, shown
    assert shown.stdout.splitlines()[0].split() == ["id", "claude-haiku-4-5-20251001"]
    assert run_cli("models", "show", "claude-haiku-4-5-latest").stdout == shown.stdout
    asked = run_cli("ask", "-q", "-m", "claude-haiku-4-5", "hi")
    assert asked.exit_code == 0 and messages_posts(fake_api)[-1].body["model"] == "claude-haiku-4-5", asked
    unknown = run_cli("models", "show", "claude-haiku-4")  # a prefix is not an alias
    assert unknown.exit_code == 4 and "not in the models list" in unknown.stderr


def test_an_api_alias_of_a_retired_model_is_refused_before_sending(cli_env, run_cli, fake_api):
    _with_dated_snapshots(fake_api)
    result = run_cli("ask", "-m", "claude-sonnet-4-5", "hi")
    assert result.exit_code == 4, result
    assert "claude-sonnet-4-5 (claude-sonnet-4-5-20250929) was retired on 2026-11-30" in result.stderr
    assert messages_posts(fake_api) == []
