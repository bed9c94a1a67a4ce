"""`claudecli ask` end to end: real subprocess, real SDK, real HTTP against the fake API."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, assert_secret_free

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def messages_bodies(fake_api) -> list[dict]:
    return [request.body for request in fake_api.requests_to("/v1/messages", method="POST")]


def test_answer_alone_on_stdout_summary_on_stderr(cli_env, run_cli, fake_api):
    result = run_cli("ask", "say [[words:5]]")
    assert result.exit_code == 0, result
    assert result.stdout == "w1 w2 w3 w4 w5\n"
    assert "\x1b" not in result.stdout
    assert "claude-sonnet-5-5" in result.stderr and "in " in result.stderr and "out 5" in result.stderr
    assert "$" in result.stderr
    assert_secret_free(result.stdout, result.stderr)


def test_quiet_hides_summary(cli_env, run_cli):
    result = run_cli("ask", "-q", "[[words:2]]")
    assert result.exit_code == 0
    assert result.stdout == "w1 w2\n"
    assert result.stderr == ""


def test_stdin_then_blank_line_then_arguments(cli_env, run_cli, fake_api):
    result = run_cli("ask", "[[echo]] review this", input="diff --git a b\n+line\n")
    assert result.exit_code == 0, result
    sent = messages_bodies(fake_api)[-1]["messages"][0]["content"]
    assert sent == "diff --git a b\n+line\n\n[[echo]] review this"
    assert result.stdout == sent + "\n"


def test_dash_reads_stdin_and_no_stdin_ignores_it(cli_env, run_cli, fake_api):
    assert run_cli("ask", "-", input="[[words:1]] from stdin").stdout == "w1\n"
    assert messages_bodies(fake_api)[-1]["messages"][0]["content"] == "[[words:1]] from stdin"
    run_cli("ask", "--no-stdin", "only args", input="ignored")
    assert messages_bodies(fake_api)[-1]["messages"][0]["content"] == "only args"


def test_empty_prompt_and_bad_stdin_are_usage_errors(cli_env, run_cli, fake_api):
    empty = run_cli("ask", input="   \n")
    assert empty.exit_code == 2 and "empty" in empty.stderr
    binary = run_cli("ask", "x", input=b"\xff\xfe\x00bad")
    assert binary.exit_code == 2 and "not UTF-8" in binary.stderr
    for result in (empty, binary):
        assert_no_traceback(result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert messages_bodies(fake_api) == []


def test_json_contract(cli_env, run_cli):
    result = run_cli("ask", "--json", "[[words:3]]")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert set(document) >= {
        "schema_version", "status", "text", "content", "model", "stop_reason",
        "usage", "cost_usd", "latency_ms", "ttft_ms", "request_id",
    }  # fmt: skip
    assert document["schema_version"] == 2
    assert document["status"] == "ok"
    assert document["text"] == "w1 w2 w3"
    assert document["content"] == [{"type": "text", "text": "w1 w2 w3"}]
    assert document["stop_reason"] == "end_turn"
    assert document["usage"]["output_tokens"] == 3
    assert set(document["usage"]) == {
        "input_tokens", "output_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
        "cache_read_tokens", "thinking_tokens", "web_search_requests", "web_fetch_requests",
    }  # fmt: skip
    assert isinstance(document["cost_usd"], float)
    assert document["request_id"].startswith("req_")
    assert result.stdout.count("\n") == 1


def test_options_reach_the_request_body(cli_env, run_cli, fake_api, tmp_path: Path):
    system_file = tmp_path / "system.md"
    system_file.write_text("You are terse.")
    result = run_cli(
        "ask", "-m", "claude-opus-5-5", "-s", f"@{system_file}", "--max-tokens", "4000",
        "--stop", "END", "--stop", "STOP", "--thinking", "2048", "--effort", "high",
        "--service-tier", "standard_only", "-o", "metadata.user_id=u-1", "hello",
    )  # fmt: skip
    assert result.exit_code == 0, result
    body = messages_bodies(fake_api)[-1]
    assert body["model"] == "claude-opus-5-5"
    assert body["system"] == "You are terse."
    assert body["max_tokens"] == 4000
    assert body["stop_sequences"] == ["END", "STOP"]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["output_config"] == {"effort": "high"}
    assert body["service_tier"] == "standard_only"
    assert body["metadata"] == {"user_id": "u-1"}
    assert body["stream"] is True


def test_adaptive_thinking_shown_on_stderr_only(cli_env, run_cli, fake_api):
    result = run_cli("ask", "--thinking", "adaptive", "--show-thinking", "[[words:2]]")
    assert result.exit_code == 0, result
    assert messages_bodies(fake_api)[-1]["thinking"] == {"type": "adaptive"}
    assert result.stdout == "w1 w2\n"
    assert "Let me think" in result.stderr


def test_bad_thinking_budget_is_refused_locally(cli_env, run_cli, fake_api):
    result = run_cli("ask", "--thinking", "500", "hi")
    assert result.exit_code == 2 and "at least 1024" in result.stderr
    assert messages_bodies(fake_api) == []


def test_schema_short_form_goes_to_output_config_and_prints_json_alone(cli_env, run_cli, fake_api):
    result = run_cli("ask", "--schema", "name, age int, tags list[str]", "describe a person")
    assert result.exit_code == 0, result
    schema = messages_bodies(fake_api)[-1]["output_config"]["format"]
    assert schema["type"] == "json_schema"
    assert schema["schema"]["properties"] == {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    }
    data = json.loads(result.stdout)
    assert set(data) == {"name", "age", "tags"}


def test_schema_file_and_inline(cli_env, run_cli, fake_api, tmp_path: Path):
    schema = {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}
    path = tmp_path / "invoice.json"
    path.write_text(json.dumps(schema))
    for spec in (str(path), json.dumps(schema)):
        result = run_cli("ask", "--schema", spec, "extract")
        assert result.exit_code == 0, result
        assert messages_bodies(fake_api)[-1]["output_config"]["format"]["schema"] == schema
        assert json.loads(result.stdout) == {"total": 1.5}
    bad = run_cli("ask", "--schema", "{not json", "x")
    assert bad.exit_code == 2 and "invalid JSON" in bad.stderr


def test_attachments_are_encoded(cli_env, run_cli, fake_api, tmp_path: Path):
    png = tmp_path / "pixel.png"
    png.write_bytes(PNG_1PX)
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("some notes")
    result = run_cli(
        "ask", "-a", str(png), "-a", str(pdf), "-a", str(notes),
        "-a", "https://example.com/chart.png", "--no-cache", "what is this",
    )  # fmt: skip
    assert result.exit_code == 0, result
    content = messages_bodies(fake_api)[-1]["messages"][0]["content"]
    assert content[0] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG_1PX).decode()},
    }
    assert content[1]["type"] == "document"
    assert content[1]["source"]["media_type"] == "application/pdf"
    assert base64.b64decode(content[1]["source"]["data"]).startswith(b"%PDF-")
    assert content[2]["source"] == {"type": "text", "media_type": "text/plain", "data": "some notes"}
    assert content[2]["title"] == "notes.txt"
    assert content[3] == {"type": "image", "source": {"type": "url", "url": "https://example.com/chart.png"}}
    assert content[4] == {"type": "text", "text": "what is this"}


def test_an_error_message_shows_escapes_instead_of_obeying_them(cli_env, run_cli, tmp_path: Path):
    """Error text can quote what is untrusted (a file name, a server's message): it reaches stderr escaped."""
    result = run_cli("ask", "-a", str(tmp_path / "x\x1b]0;pwned\x07\x1b[2J.png"), "x")
    assert result.exit_code == 2 and "not found" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;pwned\\x07" in result.stderr


def test_bad_attachments_fail_before_sending(cli_env, run_cli, fake_api, tmp_path: Path):
    missing = run_cli("ask", "-a", str(tmp_path / "nope.png"), "x")
    assert missing.exit_code == 2 and "not found" in missing.stderr
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02\xff" * 10)
    unsupported = run_cli("ask", "-a", str(binary), "x")
    assert unsupported.exit_code == 2 and "unsupported attachment" in unsupported.stderr
    huge = tmp_path / "huge.png"
    huge.write_bytes(PNG_1PX[:16] + b"\x00" * (6 * 1024 * 1024))
    too_big = run_cli("ask", "-a", str(huge), "x")
    assert too_big.exit_code == 2 and "limit" in too_big.stderr
    assert messages_bodies(fake_api) == []


def test_long_system_prompt_is_cached_and_read_back(cli_env, run_cli, fake_api, ledger_rows):
    system = "You are a careful reviewer. " * 200  # ~5,600 characters, ~1,400 tokens
    first = run_cli("ask", "-s", system, "[[words:2]]")
    second = run_cli("ask", "-s", system, "[[words:2]] again")
    assert first.exit_code == second.exit_code == 0
    body = messages_bodies(fake_api)[-1]
    assert body["system"] == [
        {"type": "text", "text": system, "cache_control": {"type": "ephemeral", "ttl": "5m"}}
    ]
    rows = ledger_rows()
    assert rows[0]["cache_write_5m_tokens"] > 1000 and rows[0]["cache_read_tokens"] == 0
    assert rows[1]["cache_read_tokens"] == rows[0]["cache_write_5m_tokens"]
    assert f"cache read {rows[1]['cache_read_tokens']:,}" in second.stderr
    assert rows[1]["cost_usd"] < rows[0]["cost_usd"]


def test_no_cache_and_one_hour_ttl(cli_env, run_cli, fake_api):
    system = "x" * 6000
    run_cli("ask", "--no-cache", "-s", system, "hi")
    assert messages_bodies(fake_api)[-1]["system"] == system
    run_cli("ask", "--cache-ttl", "1h", "-s", system, "hi")
    assert messages_bodies(fake_api)[-1]["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_every_call_leaves_one_ledger_row(cli_env, run_cli, ledger_rows):
    run_cli("ask", "--tag", "nightly", "[[words:4]]")
    rows = ledger_rows()
    assert len(rows) == 1
    row = rows[0]
    assert row["command"] == "ask" and row["status"] == "ok" and row["tag"] == "nightly"
    assert row["model"] == "claude-sonnet-5-5" and row["output_tokens"] == 4
    assert row["stop_reason"] == "end_turn" and row["request_id"].startswith("req_")
    assert row["cost_usd"] > 0 and row["latency_ms"] >= 0 and row["ttft_ms"] >= 0
    assert row["prompt_sha256"] and "words" not in json.dumps(row)


def test_max_tokens_stop_warns(cli_env, run_cli):
    result = run_cli("ask", "--max-tokens", "3", "[[words:10]]")
    assert result.exit_code == 0
    assert result.stdout == "w1 w2 w3\n"
    assert "cut off at max_tokens" in result.stderr


@pytest.mark.parametrize("no_color", [True, False])
def test_piped_stdout_never_has_ansi(cli_env, run_cli, no_color):
    env = {"NO_COLOR": "1"} if no_color else {"FORCE_COLOR": "1"}
    result = run_cli("ask", "[[markdown]]", env=env)
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert result.stdout.startswith("# ")


def test_param_escape_hatch_cannot_replace_checked_fields(cli_env, run_cli, fake_api):
    for pair in (
        "model=claude-3-opus-20240229",
        "max_tokens=128000",
        "stream=false",
        "thinking.type=enabled",
    ):
        result = run_cli("ask", "-o", pair, "hi")
        assert result.exit_code == 2, result
        assert "set by claudecli's own options" in result.stderr
    assert messages_bodies(fake_api) == []


def test_long_short_form_schema_is_not_mistaken_for_a_path(cli_env, run_cli, fake_api):
    spec = ", ".join(f"field_number_{n} int" for n in range(25))  # longer than a file name may be
    result = run_cli("ask", "--schema", spec, "fill it")
    assert result.exit_code == 0, result
    assert len(messages_bodies(fake_api)[-1]["output_config"]["format"]["schema"]["properties"]) == 25
