"""A paid answer is never lost to stdout's encoding, and JSON output is ASCII-safe (issue 12, item 8).

With ``PYTHONIOENCODING=ascii`` (or a terminal whose encoding cannot hold the answer) the answer is written with
backslash escapes and one warning; ``--json`` documents escape non-ASCII as JSON does, so they parse anywhere.
"""

from __future__ import annotations

import json

from tests.conftest import assert_no_traceback

PROMPT = "[[echo]] café ☕ naïve"
ASCII_ONLY = {"PYTHONIOENCODING": "ascii"}


def test_an_answer_stdout_cannot_encode_is_written_escaped_with_one_warning(
    cli_env, run_cli_forked, ledger_rows
):
    result = run_cli_forked("ask", PROMPT, env=ASCII_ONLY)
    assert result.exit_code == 0, result
    assert_no_traceback(result.stderr)
    assert result.stdout == "[[echo]] caf\\xe9 \\u2615 na\\xefve\n"
    warnings = [line for line in result.stderr.splitlines() if "encoding" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: stdout's encoding (ascii)"), result.stderr
    assert [row["status"] for row in ledger_rows()] == ["ok"]


def test_json_is_ascii_safe_under_an_ascii_stdout(cli_env, run_cli_forked):
    result = run_cli_forked("ask", "--json", PROMPT, env=ASCII_ONLY)
    assert result.exit_code == 0, result
    assert result.stdout.isascii()
    assert json.loads(result.stdout)["text"] == PROMPT
    assert "warning" not in result.stderr  # nothing needed escaping beyond JSON's own


def test_every_json_document_is_ascii(cli_env, run_cli, tmp_path):
    """The --json writers (ask, cost report, cost estimate, models, batch) never emit raw non-ASCII."""
    assert run_cli("ask", "--tag", "café", "hi").exit_code == 0
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"id": "q1", "prompt": "[[echo]] ☕"}) + "\n", encoding="utf-8")
    runs = [
        run_cli("ask", "--json", PROMPT),
        run_cli("cost", "report", "--by", "tag", "--json"),
        run_cli("cost", "estimate", "--json", "-m", "haiku", "héllo"),
        run_cli("models", "--json"),
        run_cli("batch", "run", str(jobs), "--format", "jsonl"),
    ]
    for result in runs:
        assert result.exit_code == 0, result
        assert result.stdout.isascii(), result.stdout
    assert json.loads(runs[0].stdout)["text"] == PROMPT
    assert "café" in runs[1].stdout.encode().decode("unicode_escape")
    assert json.loads(runs[4].stdout.splitlines()[0])["text"] == "[[echo]] ☕"
