"""The SDK's own retries (ask, chat, the tool loop): every attempt that may have been paid for has a ledger row.

An attempt that got no answer (it timed out) may have reached the API and been billed, so it keeps a row of its
own and the retry gets a write-ahead row of its own, as `batch run` does for its retries. An error status (a
529) is an answer, never billed: that retry goes on in the same row.
"""

from __future__ import annotations

import json

import pytest

from claudecli.chat.turn import run_turn
from claudecli.core.errors import ExitCode
from tests.conftest import assert_no_traceback
from tests.fakeapi import Fault
from tests.test_chat_turns import make_chat as chat_fixture

make_chat = chat_fixture

MESSAGES = "/v1/messages"
QUICK = {"CLAUDECLI_TIMEOUT": "0.5", "CLAUDECLI_MAX_RETRIES": "1", "CLAUDECLI_RETRY_AFTER_CAP": "0.05"}


def test_an_attempt_that_timed_out_keeps_its_own_row_and_the_retry_gets_another(
    cli_env, run_cli, fake_api, ledger_rows
):
    fake_api.enqueue(Fault.hang(2))
    result = run_cli("ask", "--json", "[[words:5]]", env=QUICK)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok"
    assert len(fake_api.requests_to(MESSAGES, "POST")) == 2
    lost, answered = ledger_rows()
    assert (lost["status"], lost["command"], lost["output_tokens"]) == ("timeout_error", "ask", 0)
    assert lost["request_id"] is None and lost["cost_usd"] == 0
    # the 0.5 s timeout, not the SDK's wait (>= 0.375 s) before the retry
    assert 450 <= lost["latency_ms"] < 850
    assert (answered["status"], answered["command"]) == ("ok", "ask")
    assert answered["id"] != lost["id"] and answered["output_tokens"] > 0


def test_a_call_whose_every_attempt_timed_out_leaves_a_row_each_and_none_in_flight(
    cli_env, run_cli, fake_api, ledger_rows
):
    fake_api.enqueue(Fault.hang(2))
    fake_api.enqueue(Fault.hang(2))
    result = run_cli("ask", "[[words:5]]", env=QUICK)
    assert result.exit_code == ExitCode.CONNECTION, result.stderr
    assert_no_traceback(result.stderr)
    assert [row["status"] for row in ledger_rows()] == ["timeout_error", "timeout_error"]


def test_a_retry_after_an_error_status_goes_on_in_the_same_row(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.enqueue(Fault.status(529, "overloaded_error", "Overloaded", headers={"retry-after": "1"}))
    result = run_cli("ask", "[[words:5]]", env=QUICK)
    assert result.exit_code == 0, result.stderr
    assert len(fake_api.requests_to(MESSAGES, "POST")) == 2
    (row,) = ledger_rows()
    assert row["status"] == "ok"


def test_a_chat_turn_books_its_lost_attempt_too(
    make_chat, fake_api, ledger_rows, monkeypatch: pytest.MonkeyPatch
):
    for name, value in QUICK.items():
        monkeypatch.setenv(name, value)
    chat = make_chat()
    fake_api.enqueue(Fault.hang(2))
    result = run_turn(chat, "hello [[words:3]]")
    assert result.exchange is not None and result.exchange.status == "ok"
    assert [(row["command"], row["status"]) for row in ledger_rows()] == [
        ("chat", "timeout_error"),
        ("chat", "ok"),
    ]
