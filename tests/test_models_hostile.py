"""A models list from a hostile or broken server (a gateway) cannot crash `models` nor drive the terminal.

`GET /v1/models` is the server's text: a field of the wrong type (`"max_tokens": "abc"`) was cached as it came and
crashed every later `models` with "unexpected TypeError"; `models show` wrote the id, the name and the
replacement raw, escape sequences and all. Real CLI, real SDK, the fake API serving the list.
"""

from __future__ import annotations

import json

from tests.conftest import assert_no_traceback
from tests.fakeapi.models import model_entry

EVIL_ID = "claude-sonnet-9\x1b]0;PWNED\x07"
EVIL_NAME = "Evil\x1b[2J\u202eName\nreplacement  claude-fake"


def serve_hostile_models(fake_api) -> None:
    evil = model_entry(EVIL_ID, EVIL_NAME, "2026-12-31T00:00:00Z", line="sonnet")
    broken = model_entry("claude-broken-1", "Broken", "2026-12-30T00:00:00Z", "deprecated", line="sonnet")
    broken["max_tokens"] = "abc"
    broken["max_input_tokens"] = "lots"
    fake_api.models = [evil, broken, *fake_api.models]


def test_a_field_of_the_wrong_type_does_not_crash_models(cli_env, run_cli, fake_api):
    serve_hostile_models(fake_api)
    for _fetched_then_cached in range(2):
        listed = run_cli("models")
        assert listed.exit_code == 0, listed
        assert "claude-broken-1" in listed.stdout
        assert_no_traceback(listed.stderr)
    shown = json.loads(run_cli("models", "show", "claude-broken-1", "--json").stdout)["model"]
    assert (shown["max_output_tokens"], shown["context_window"]) == (None, None)


def test_models_show_writes_no_control_character(cli_env, run_cli, fake_api):
    serve_hostile_models(fake_api)
    for name in ("sonnet", "claude-broken-1"):  # the evil id as the alias's model, then as a replacement
        result = run_cli("models", "show", name)
        assert result.exit_code == 0, result
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
        assert "\\x1b]0;PWNED\\x07" in result.stdout
        labels = [line.split("  ")[0] for line in result.stdout.splitlines()]
        assert labels.count("replacement") <= 1  # a newline in the name cannot forge a line


def test_a_broken_list_is_no_python_warning_on_stderr(cli_env, run_cli_subprocess, fake_api):
    serve_hostile_models(fake_api)
    result = run_cli_subprocess("models", "--refresh")
    assert result.exit_code == 0, result
    assert "Warning" not in result.stderr and "pydantic" not in result.stderr, result.stderr


def test_cost_report_csv_writes_no_control_character_of_a_listed_id(cli_env, run_cli, fake_api):
    serve_hostile_models(fake_api)
    asked = run_cli("ask", "-m", "sonnet", "hi")  # the alias names the evil id; the fake answers 404
    assert "claude-sonnet-9" in asked.stderr
    report = run_cli("cost", "report", "--by", "model", "--csv")
    assert report.exit_code == 0, report
    assert "\x1b" not in report.stdout and "\x07" not in report.stdout
    assert "claude-sonnet-9\\x1b]0;PWNED\\x07" in report.stdout


def test_a_fresh_cache_with_no_usable_model_is_fetched_again(cli_env, run_cli, fake_api, home):
    assert run_cli("models").exit_code == 0  # writes the cache
    path = home / "cache" / "models.json"
    for damaged in ("garbage", [], [{"id": 5}, "x"]):
        document = json.loads(path.read_text())
        document["models"] = damaged  # still fresh: fetched_at untouched
        path.write_text(json.dumps(document))
        asked = run_cli("ask", "-q", "-m", "haiku", "[[words:1]]")
        assert asked.exit_code == 0, asked
        listed = run_cli("models")
        assert "claude-haiku-5-5" in listed.stdout, listed
