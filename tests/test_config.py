"""The one config loader: precedence over all five sources, profiles, redaction, and config errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, assert_no_traceback, assert_secret_free


def show(run_cli, *args: str, env=None) -> dict:
    result = run_cli(*args, "config", "show", "--json", env=env)
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def test_defaults_when_nothing_is_configured(run_cli):
    settings = show(run_cli)["settings"]
    assert settings["model"] == {"value": "sonnet", "source": "default"}
    assert settings["max_tokens"]["value"] == 8192
    assert settings["retry_after_cap"]["value"] == 60.0


def test_precedence_file_then_profile_then_dotenv_then_env(run_cli, write_config, tmp_path: Path):
    config = write_config(
        'model = "from-file"\nmax_tokens = 100\nsystem = "file system"\ntimeout = 5\n'
        '[profiles.work]\nmodel = "from-profile"\nmax_tokens = 200\n'
    )
    (Path.cwd() / ".env").write_text("CLAUDECLI_MAX_TOKENS=300\nCLAUDECLI_MODEL=from-dotenv\n")
    document = show(run_cli, "--profile", "work", env={"CLAUDECLI_MODEL": "from-env"})
    settings = document["settings"]
    assert document["profile"] == "work"
    assert settings["timeout"] == {"value": 5.0, "source": str(config)}
    assert settings["system"]["source"] == str(config)
    assert settings["max_tokens"] == {"value": 300, "source": ".env CLAUDECLI_MAX_TOKENS"}
    assert settings["model"] == {"value": "from-env", "source": "env CLAUDECLI_MODEL"}
    # Without .env and env, the profile wins over the top level.
    (Path.cwd() / ".env").unlink()
    settings = show(run_cli, "--profile", "work")["settings"]
    assert settings["model"] == {"value": "from-profile", "source": f"{config} [profiles.work]"}


def test_profile_chosen_by_environment_and_default_profile(run_cli, write_config):
    write_config('default_profile = "a"\n[profiles.a]\nmodel = "m-a"\n[profiles.b]\nmodel = "m-b"\n')
    assert show(run_cli)["settings"]["model"]["value"] == "m-a"
    assert show(run_cli, env={"CLAUDECLI_PROFILE": "b"})["settings"]["model"]["value"] == "m-b"
    assert (
        show(run_cli, "--profile", "a", env={"CLAUDECLI_PROFILE": "b"})["settings"]["model"]["value"] == "m-a"
    )


def test_unknown_profile_is_a_config_error(run_cli, write_config):
    write_config('[profiles.a]\nmodel = "x"\n')
    result = run_cli("--profile", "nope", "config", "show")
    assert result.exit_code == 2
    assert "profile 'nope' is not defined" in result.stderr
    assert_no_traceback(result.stderr)


def test_flag_beats_environment(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-m", "claude-haiku-5-5", "hi", env={"CLAUDECLI_MODEL": "claude-opus-5-5"})
    assert result.exit_code == 0, result
    assert fake_api.last_request(path="/v1/messages").body["model"] == "claude-haiku-5-5"
    result = run_cli("ask", "hi", env={"CLAUDECLI_MODEL": "claude-opus-5-5"})
    assert fake_api.last_request(path="/v1/messages").body["model"] == "claude-opus-5-5"


def test_config_show_never_prints_the_key(run_cli, write_config):
    write_config(f'api_key = "{TEST_KEY}"\nadmin_key = "sk-ant-admin-SECRET-999"\n')
    for args in (("config", "show"), ("config", "show", "--json")):
        result = run_cli(*args)
        assert result.exit_code == 0
        assert_secret_free(result.stdout, result.stderr)
        assert "sk-ant-admin-SECRET-999" not in result.stdout
        assert "(set)" in result.stdout


def test_broken_toml_is_one_line_with_file_line_and_column(run_cli, write_config):
    path = write_config('model = "ok"\nmax_tokens = = 3\n')
    result = run_cli("config", "show")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{path}:2:" in lines[0]
    assert "invalid TOML" in lines[0]
    assert_no_traceback(result.stderr)


def test_wrong_type_names_key_and_file(run_cli, write_config):
    path = write_config('max_tokens = "lots"\n')
    result = run_cli("config", "show")
    assert result.exit_code == 2
    assert str(path) in result.stderr and "max_tokens" in result.stderr


def test_a_bad_number_says_what_a_good_one_is(run_cli, write_config, monkeypatch):
    """Not Python's "invalid literal for int() with base 10"; a bool or a fraction is no count either."""
    for text in ('max_tokens = "lots"', "max_tokens = true", "max_tokens = 8192.5", "max_tokens = 0"):
        path = write_config(text + "\n")
        result = run_cli("config", "show")
        assert result.exit_code == 2, (text, result)
        assert result.stderr == f"claudecli: error: {path}: max_tokens: must be a positive whole number\n"
    write_config("")
    monkeypatch.setenv("CLAUDECLI_TIMEOUT", "soon")
    result = run_cli("config", "show")
    assert result.exit_code == 2 and "timeout: must be a number, zero or more" in result.stderr
    assert "could not convert" not in result.stderr
    monkeypatch.setenv("CLAUDECLI_TIMEOUT", "30")
    monkeypatch.setenv("CLAUDECLI_MAX_RETRIES", "two")
    result = run_cli("config", "show")
    assert result.exit_code == 2 and "max_retries: must be a whole number, zero or more" in result.stderr


def test_unknown_key_warns_with_key_and_file(run_cli, write_config):
    path = write_config('modle = "typo"\n[profiles.x]\ncolour = 1\n')
    result = run_cli("--profile", "x", "config", "show")
    assert result.exit_code == 0
    assert f"unknown config key 'modle' in {path}" in result.stderr
    assert "unknown config key 'colour'" in result.stderr
    assert "modle" not in result.stdout


def test_an_unknown_key_warns_once_per_version_of_the_file(run_cli, write_config, home):
    """It warned on every command: a cron job's log filled with the same line for months."""
    write_config('modle = "typo"\n[profiles.x]\ncolour = 1\n')
    warning = "unknown config key 'modle'"
    first = run_cli("cost", "budget")
    assert first.exit_code == 0 and warning in first.stderr
    assert warning not in run_cli("cost", "budget").stderr
    assert warning not in run_cli("cost", "prices", "haiku").stderr  # another command: still quiet
    assert warning in run_cli("config", "show").stderr  # looking at the config on purpose shows it
    profile = run_cli("--profile", "x", "cost", "budget")  # a warning not shown yet for this file
    assert "unknown config key 'colour'" in profile.stderr and warning not in profile.stderr
    write_config('modle = "typo"\n[profiles.x]\ncolour = 2\n')  # changed: its warnings come back once
    assert warning in run_cli("cost", "budget").stderr
    assert warning not in run_cli("cost", "budget").stderr
    (home / "cache" / "config-warnings.json").unlink()  # deleting the memory is harmless
    assert warning in run_cli("cost", "budget").stderr


def test_api_key_command_runs_without_a_shell(cli_env, run_cli, write_config, fake_api, tmp_path):
    script = tmp_path / "print key.py"
    script.write_text("print('sk-ant-from-command-SECRET')\n")
    write_config(f"api_key_command = [{json.dumps(sys.executable)}, {json.dumps(str(script))}]\n")
    result = run_cli("ask", "hi", env={"ANTHROPIC_API_KEY": None})
    assert result.exit_code == 0, result
    assert (
        fake_api.last_request(path="/v1/messages").headers["authorization"]
        == "Bearer sk-ant-from-command-SECRET"
    )
    shown = run_cli("config", "show", env={"ANTHROPIC_API_KEY": None})
    assert "sk-ant-from-command-SECRET" not in shown.stdout


def test_missing_key_is_an_auth_error(cli_env, run_cli):
    result = run_cli("ask", "hi", env={"ANTHROPIC_API_KEY": None})
    assert result.exit_code == 3
    assert "no API key" in result.stderr
    assert_no_traceback(result.stderr)


def test_claudecli_home_relocates_every_path(run_cli, home):
    result = run_cli("config", "path", "--json")
    paths = {k: v for k, v in json.loads(result.stdout).items() if k != "schema_version"}
    assert all(value.startswith(str(home)) for value in paths.values()), paths
    assert paths["uploads"].endswith("files.db")  # every store claudecli keeps is listed


def test_config_show_lists_the_configured_tools(run_cli, write_config):
    write_config(
        '[tools.stamp]\ndescription = "print the date"\ncommand = ["date", "-u"]\napproval = "auto"\n'
        '[tools.stamp.input_schema]\ntype = "object"\n'
    )
    shown = show(run_cli)["tools"]["stamp"]
    assert shown["command"] == ["date", "-u"] and shown["approval"] == "auto"
    assert shown["input_schema"] == "inline" and "[tools.stamp]" in shown["source"]
    assert 'tools.stamp  {"approval": "auto"' in run_cli("config", "show").stdout


def test_flags_override_the_environment_and_the_config_file(cli_env, run_cli, fake_api, write_config):
    write_config('model = "opus"\nmax_tokens = 100\n')
    result = run_cli("ask", "-m", "haiku", "--max-tokens", "321", "hi", env={"CLAUDECLI_MODEL": "sonnet"})
    assert result.exit_code == 0, result
    body = [r for r in fake_api.requests if r.path == "/v1/messages"][-1].body
    assert body["model"] == "claude-haiku-5-5" and body["max_tokens"] == 321


def test_bad_price_override_is_a_config_error(run_cli, write_config):
    path = write_config('[prices."my-model"]\ninput = "cheap"\noutput = 1\n')
    result = run_cli("config", "show")
    assert result.exit_code == 2
    assert str(path) in result.stderr and "my-model" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_price_override_is_used_for_cost(cli_env, run_cli, write_config, ledger_rows):
    write_config('[prices."claude-sonnet-5-5"]\ninput = 500000\noutput = 1000000\n')  # the highest rate taken
    result = run_cli("ask", "[[words:3]]")
    assert result.exit_code == 0, result
    row = ledger_rows()[0]
    # $0.50/token in, $1/token out: the cost follows the token counts exactly.
    assert row["cost_usd"] == row["input_tokens"] * 0.5 + row["output_tokens"] * 1


def test_credentials_in_base_url_are_never_shown(run_cli, write_config, home):
    write_config('base_url = "https://user:s3cret-token@gateway.example.com/anthropic"\n')
    shown = run_cli("config", "show")
    assert "s3cret-token" not in shown.stdout
    assert "********@gateway.example.com" in shown.stdout


@pytest.mark.parametrize("name", ["haiku\x00opus", "haiku\nopus", "haiku opus", "", "\x1b[31mhaiku"])
def test_a_model_name_with_spaces_or_control_characters_is_refused_before_any_call(
    name, cli_env, run_cli, write_config, fake_api
):
    """From config or a flag: a NUL or a newline would otherwise reach the API as it is."""
    path = write_config(f"model = {json.dumps(name)}\n")
    refused = [(run_cli("ask", "hi"), str(path))]
    write_config("")
    if "\x00" not in name:  # a NUL cannot be passed in an argument vector
        refused.append((run_cli("ask", "-m", name, "hi"), "--model"))
    for result, where in refused:
        assert result.exit_code == 2, result
        assert where in result.stderr and "without spaces or control characters" in result.stderr
        assert "\x1b" not in result.stderr
    assert fake_api.requests_to("/v1/messages") == []


def test_an_alias_target_with_control_characters_is_refused(cli_env, run_cli, write_config, fake_api):
    write_config('[aliases]\nbad = "claude sonnet\\nevil"\n')
    result = run_cli("ask", "-m", "bad", "hi")
    assert result.exit_code == 2 and "without spaces or control characters" in result.stderr, result
    assert fake_api.requests_to("/v1/messages") == []
