"""Bad input is a one-line usage error (exit 2), never a hang, a crash or exit 1 (issue 12, items 6 and 7).

Endless inputs (/dev/zero, /dev/urandom, a pipe) report size 0 to ``stat``: every read of a file or stream the user
names stops one byte past its cap. Malformed values (a nested JSON line, a non-UTF-8 schema, a NaN timeout, a base
URL that is not one) are refused where they are read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, assert_secret_free

pytestmark = pytest.mark.timeout(60)  # before the caps, these read forever


def usage_error(result, *fragments: str) -> str:
    """The one error line of an exit-2 result, which contains every fragment."""
    assert result.exit_code == 2, result
    assert_no_traceback(result.stderr)
    assert_secret_free(result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("claudecli: error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def write_jsonl(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(obj) + "\n" for obj in objects), encoding="utf-8")
    return path


# --- item 6: capped reads -----------------------------------------------------------------------------


def test_attaching_dev_zero_is_refused(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-a", "/dev/zero", "hi")
    usage_error(result, "/dev/zero", "larger than 8 MiB")
    assert fake_api.requests_to("/v1/messages") == []


def test_system_prompt_from_dev_urandom_is_refused(cli_env, run_cli, fake_api):
    usage_error(
        run_cli("ask", "-s", "@/dev/urandom", "hi"), "-s/--system", "/dev/urandom", "larger than 8 MiB"
    )
    assert fake_api.requests_to("/v1/messages") == []


def test_stdin_over_the_request_limit_is_refused(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-", input=b"a" * 32_000_001)
    usage_error(result, "stdin is larger than 32 MB")
    assert fake_api.requests_to("/v1/messages") == []


def test_stdin_at_the_limit_is_read(cli_env, run_cli, fake_api):
    result = run_cli("cost", "estimate", "--offline", "-m", "haiku", "-", input=b"word " * 1_000_000)
    assert result.exit_code == 0, result


@pytest.mark.parametrize("command", ["submit", "run"])
def test_batch_input_dev_zero_is_refused(cli_env, run_cli, fake_api, command, tmp_path):
    args = ["batch", command, "/dev/zero"] + (["-o", str(tmp_path / "out.jsonl")] if command == "run" else [])
    usage_error(run_cli(*args), "/dev/zero:1: the line is longer than 256 MB")
    assert fake_api.requests_to("/v1/messages") == []


def test_batch_system_prompt_from_dev_urandom_is_refused(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "hi"})
    usage_error(run_cli("batch", "submit", "-s", "@/dev/urandom", str(jobs)), "larger than 8 MiB")


def test_config_file_that_is_dev_zero_is_refused(cli_env, run_cli, home):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.symlink_to("/dev/zero")
    usage_error(run_cli("config", "show"), "config.toml", "larger than 8 MiB")


# --- item 7: malformed values -------------------------------------------------------------------------


def test_non_utf8_schema_file_is_a_usage_error(cli_env, run_cli, fake_api, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_bytes(b'{"type": "object", "description": "caf\xe9"}')
    usage_error(run_cli("ask", "--schema", str(schema), "hi"), "schema.json is not UTF-8", "0xe9")


def test_deeply_nested_schema_is_a_usage_error(cli_env, run_cli, fake_api, tmp_path):
    schema = tmp_path / "deep.json"
    schema.write_text("[" * 3000 + "]" * 3000, encoding="utf-8")
    usage_error(run_cli("ask", "--schema", str(schema), "hi"), "deep.json", "nested too deeply")
    usage_error(run_cli("ask", "--schema", "{" + '"a":{' * 3000 + "}" * 3001, "hi"), "nested too deeply")


def test_deeply_nested_jsonl_line_is_a_file_line_error(cli_env, run_cli, fake_api, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "fine"}) + "\n" + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    result = run_cli("batch", "submit", "--dry-run", str(jobs))
    usage_error(result, "1 invalid line")
    assert f"{jobs}:2: invalid JSON: nested too deeply" in result.stderr


def test_jsonl_integer_too_long_to_convert_is_a_file_line_error(cli_env, run_cli, fake_api, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "hi", "max_tokens": ' + "9" * 5000 + "}\n", encoding="utf-8")
    result = run_cli("batch", "submit", "--dry-run", str(jobs))
    usage_error(result, "1 invalid line")
    assert f"{jobs}:1: invalid JSON:" in result.stderr


def test_deeply_nested_config_is_a_usage_error(cli_env, run_cli, write_config):
    write_config("aliases = " + "[" * 3000 + "]" * 3000 + "\n")
    usage_error(run_cli("config", "show"), "config.toml", "nested too deeply")


def test_non_utf8_config_is_a_usage_error(cli_env, run_cli, home):
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes(b'model = "caf\xe9"\n')
    usage_error(run_cli("config", "show"), "config.toml", "not UTF-8")


def test_non_utf8_dotenv_is_ignored_with_a_warning(cli_env, run_cli):
    """A stranger's unreadable .env must not stop claudecli in that directory: skipped, said once."""
    Path(".env").write_bytes(b"CLAUDECLI_MODEL=caf\xe9\n")
    result = run_cli("config", "show")
    assert result.exit_code == 0, result
    assert "cannot read it (not UTF-8 text)" in result.stderr
    assert_no_traceback(result.stderr)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e400"])
def test_non_finite_timeout_is_a_usage_error(cli_env, run_cli, value):
    usage_error(run_cli("config", "show", env={"CLAUDECLI_TIMEOUT": value}), "timeout", "finite")


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_timeout_in_config_is_a_usage_error(cli_env, run_cli, write_config, value):
    write_config(f"timeout = {value}\nmax_cost_per_call = {value}\n")
    usage_error(run_cli("config", "show"), "timeout", "finite")


def test_max_tokens_that_overflows_is_a_usage_error(cli_env, run_cli, write_config):
    write_config("max_tokens = 1e400\n")
    usage_error(run_cli("config", "show"), "max_tokens")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.example.com",
        "api.example.com",
        "localhost:8080",
        "http://",
        "https://:443",
        "https://api.example.com:99999",
        "https://api.example.com:port",
        "https://api.example.com/ v1",
        "file:///etc/passwd",
    ],
)
def test_base_url_that_is_not_http_host_is_a_usage_error(cli_env, run_cli, url):
    usage_error(run_cli("ask", "hi", env={"ANTHROPIC_BASE_URL": url}), "base_url", "http:// or https://")


def test_base_url_flaw_does_not_echo_the_url(cli_env, run_cli):
    """A base URL may carry a credential (``user:token@``): the reason is given, never the value."""
    url = "ftp://gateway:tok-9f8e7d6c5b4a@gw.example.com"
    line = usage_error(run_cli("ask", "hi", env={"ANTHROPIC_BASE_URL": url}), "base_url")
    assert "tok-9f8e7d6c5b4a" not in line and "gw.example.com" not in line


def test_base_url_flaw_in_config_names_the_file(cli_env, run_cli, write_config, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    path = write_config('base_url = "gopher://example.com"\n')
    usage_error(run_cli("models", "--offline"), str(path), "base_url")


def test_bad_value_in_an_untrusted_dotenv_is_ignored_with_a_warning(cli_env, run_cli):
    """A stranger's broken .env line must not stop claudecli there, nor the `config trust-env` that fixes it."""
    Path(".env").write_text("CLAUDECLI_BASE_URL=${GATEWAY}\nCLAUDECLI_TIMEOUT=nan\n", encoding="utf-8")
    result = run_cli("config", "show", "--json")
    assert result.exit_code == 0, result
    assert "ignoring CLAUDECLI_BASE_URL:" in result.stderr and "http:// or https://" in result.stderr
    assert "ignoring CLAUDECLI_TIMEOUT:" in result.stderr and "finite" in result.stderr
    assert json.loads(result.stdout)["settings"]["timeout"]["value"] == 600.0
    assert run_cli("config", "trust-env").exit_code == 0
    usage_error(run_cli("config", "show"), ".env:2: timeout")  # trusted: your own file, so fix it


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "https://gw.example.com/anthropic/", "HTTPS://API.X.COM"]
)
def test_good_base_urls_are_accepted(cli_env, run_cli, url):
    result = run_cli("config", "show", env={"ANTHROPIC_BASE_URL": url})
    assert result.exit_code == 0, result


def test_batch_max_tokens_over_the_models_output_is_a_file_line_error(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(
        tmp_path / "jobs.jsonl",
        {"prompt": "fine", "model": "claude-haiku-5-5", "max_tokens": 64_000},
        {"prompt": "huge", "model": "claude-haiku-5-5", "max_tokens": 10**30},
        {"custom_id": "a", "params": {"model": "claude-opus-4-8", "max_tokens": 32_001,
                                      "messages": [{"role": "user", "content": "hi"}]}},
    )  # fmt: skip
    result = run_cli("batch", "submit", "--dry-run", str(jobs))
    usage_error(result, "2 invalid line")
    assert (
        f"{jobs}:2: max_tokens 1,000,000,000,000,000,000,000,000,000,000 is more than claude-haiku-5-5"
        in (result.stderr)
    )
    assert f"{jobs}:3: params.max_tokens 32,001 is more than claude-opus-4-8 can write (at most 32,000" in (
        result.stderr
    )
    assert "worst case" not in result.stderr


# --- found by the fuzz (tests/test_fuzz.py) -----------------------------------------------------------


def test_default_profile_that_is_not_a_string_is_a_usage_error(cli_env, run_cli, write_config):
    write_config("default_profile = 1\n")
    usage_error(run_cli("config", "show"), "default_profile must be a string")


def test_profile_that_is_not_a_table_is_a_usage_error(cli_env, run_cli, write_config):
    write_config("[profiles]\nwork = 1\n")
    usage_error(run_cli("--profile", "work", "config", "show"), "[profiles.work] must be a table")


def test_argument_that_is_not_utf8_is_refused_before_anything_is_sent(
    cli_env, run_cli, fake_api, ledger_rows
):
    """Python hands non-UTF-8 argv bytes over as lone surrogates; they used to fail in the request body, or in
    the ledger after the call was paid for (exit 1)."""
    usage_error(run_cli("ask", "hello \udcff"), "argument 2 is not UTF-8 text (byte 0xff)")
    usage_error(run_cli("ask", "--tag", "t\udce9", "hi"), "argument 3 is not UTF-8 text (byte 0xe9)")
    assert fake_api.requests_to("/v1/messages") == [] and ledger_rows() == []
    refused = run_cli("ask", "--json", "hello \udcff")  # the document says why, not just "usage"
    usage_error(refused, "argument 3 is not UTF-8 text")
    assert json.loads(refused.stdout)["error"].startswith("argument 3 is not UTF-8 text (byte 0xff)")


def test_environment_text_that_is_not_utf8_is_a_usage_error(cli_env, run_cli, fake_api):
    usage_error(run_cli("ask", "hi", env={"CLAUDECLI_SYSTEM": "be \udcff"}), "CLAUDECLI_SYSTEM", "UTF-8")


def test_batch_line_with_a_lone_surrogate_is_a_file_line_error(cli_env, run_cli, fake_api, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "ok"}\n{"prompt": "half \\ud800 a pair"}\n', encoding="utf-8")
    result = run_cli("batch", "submit", "--dry-run", str(jobs))
    usage_error(result, "1 invalid line")
    assert f"{jobs}:2: the request holds '\\ud800', half of a UTF-16 surrogate pair" in result.stderr


@pytest.mark.parametrize(
    ("param", "fragment"),
    [
        ("metadata.user_id=" + "[" * 3000 + "]" * 3000, "nested too deeply"),
        ('metadata.user_id="\\ud800"', "lone surrogate"),
    ],
)
def test_param_values_that_cannot_be_sent_are_usage_errors(cli_env, run_cli, fake_api, param, fragment):
    usage_error(run_cli("ask", "-o", param, "hi"), "-o/--param", fragment)
    assert fake_api.requests_to("/v1/messages") == []


def test_param_integer_too_long_for_json_is_sent_as_a_string(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-o", "metadata.user_id=" + "9" * 5000, "hi")
    assert result.exit_code == 0, result
    assert fake_api.last_request("/v1/messages").body["metadata"]["user_id"] == "9" * 5000


def test_batch_run_output_with_a_deeply_nested_line_is_refused_as_foreign(
    cli_env, run_cli, fake_api, tmp_path
):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:1]]"})
    out = tmp_path / "out.jsonl"
    out.write_text("[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    usage_error(run_cli("batch", "run", str(jobs), "-o", str(out)), "out.jsonl")
    assert fake_api.requests_to("/v1/messages") == []


def test_huge_list_limit_is_fine(cli_env, run_cli):
    result = run_cli("batch", "list", "--limit", str(10**30))
    assert result.exit_code == 0, result


@pytest.mark.parametrize("interval", ["nan", "inf", "0", "-1"])
def test_poll_interval_must_be_finite_and_positive(cli_env, run_cli, interval):
    usage_error(
        run_cli("batch", "status", "nightly", "--poll-interval", interval), "--poll-interval", "finite"
    )


@pytest.mark.timeout(30)
def test_huge_concurrency_builds_no_more_workers_than_requests(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:1]]"})
    result = run_cli("batch", "run", str(jobs), "-c", str(10**12))
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["text"] == "w1"


def test_a_file_name_cannot_forge_a_line_on_stderr(cli_env, run_cli, fake_api, tmp_path):
    """A newline in a file name started a line of its own in FILE:LINE reports and notes: a forged error."""
    name = tmp_path / "in\nclaudecli: error: FORGED.txt"
    name.write_bytes(b"ok [[words:1]]\n\xff\n")
    refused = run_cli("batch", "run", "--text", str(name))
    usage_error(refused, "1 invalid line")
    assert "in\\x0aclaudecli: error: FORGED.txt:2: not UTF-8 text" in refused.stderr
    dry = run_cli("batch", "submit", "--text", str(name), "--skip-invalid", "--dry-run")
    assert dry.exit_code == 0, dry
    assert [
        line for line in dry.stderr.splitlines() if "FORGED" in line and line.startswith("claudecli")
    ] == []
