"""The API's request id of a failed call is kept everywhere: the error line, `--json` and the ledger row."""

from __future__ import annotations

import json
import re

import pytest

from tests.fakeapi import Fault

FAULTS = {
    "400": (Fault.status(400, "invalid_request_error", "messages: bad"), 5),
    "401": (Fault.status(401, "authentication_error", "invalid x-api-key"), 3),
    "402": (Fault.status(402, "billing_error", "no credit"), 10),
    "404": (Fault.status(404, "not_found_error", "model: nope"), 4),
    "500": (Fault.status(500, "api_error", "Internal server error"), 7),
}


def _id_in(line: str) -> str:
    match = re.search(r"request id (req_\w+)", line)
    assert match, line
    return match.group(1)


@pytest.mark.parametrize("name", list(FAULTS))
def test_an_http_error_keeps_its_request_id_in_json_and_ledger(cli_env, run_cli, fake_api, ledger_rows, name):
    fault, code = FAULTS[name]
    for _ in range(4):  # the SDK retries 5xx: every attempt fails alike
        fake_api.enqueue(fault)
    result = run_cli("ask", "--json", "hi", env={"CLAUDECLI_MAX_RETRIES": "0"})
    assert result.exit_code == code, result
    shown = _id_in(result.stderr)
    document = json.loads(result.stdout)
    assert document["request_id"] == shown
    (row,) = ledger_rows()
    assert row["request_id"] == shown


def test_a_529_after_retries_keeps_the_last_attempts_request_id(cli_env, run_cli, fake_api, ledger_rows):
    for _ in range(3):
        fake_api.enqueue(Fault.status(529, "overloaded_error", "Overloaded"))
    result = run_cli("ask", "--json", "hi", env={"CLAUDECLI_MAX_RETRIES": "2"})
    assert result.exit_code == 6, result
    shown = _id_in(result.stderr)
    assert json.loads(result.stdout)["request_id"] == shown
    assert ledger_rows()[0]["request_id"] == shown


def test_an_error_event_mid_stream_keeps_the_streams_request_id(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.enqueue(Fault.sse_error_after(2, "api_error", "boom"))
    result = run_cli("ask", "--json", "[[words:50]]")
    assert result.exit_code == 7, result
    document = json.loads(result.stdout)
    assert document["request_id"] and document["request_id"].startswith("req_")
    assert ledger_rows()[0]["request_id"] == document["request_id"]


def test_batch_run_keeps_the_request_id_of_a_refused_request(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    fake_api.enqueue(Fault.status(400, "invalid_request_error", "messages: bad"))
    prompts = tmp_path / "q.txt"
    prompts.write_text("one question\n", encoding="utf-8")
    result = run_cli("batch", "run", "--text", str(prompts), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result
    (row,) = ledger_rows()
    assert row["status"] == "invalid_request_error" and row["request_id"].startswith("req_")
