"""SIGTERM (kill, a closed terminal, a cron timeout) keeps what Ctrl-C keeps: the partial chat turn in the
session, and `ask --json`'s document on stdout."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal

import pexpect
import pytest

from tests.conftest import assert_no_traceback, subprocess_env
from tests.test_chat_pty import Chat
from tests.zygote import ForkedPopen


def _wait_for_tokens(fake_api, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not fake_api.requests_to("/v1/messages", "POST"):
        time.sleep(0.01)
    time.sleep(
        1.0
    )  # deltas have been streamed (and read, even on a loaded machine: 0.3 s was not always enough)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ask_json_prints_its_document_when_stopped_mid_stream(cli_env, fake_api, ledger_rows, sig):
    fake_api.token_delay = 0.02
    child = ForkedPopen(
        ["ask", "--json", "[[words:2000]]"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    _wait_for_tokens(fake_api)
    child.send_signal(sig)
    stdout, stderr = child.communicate(timeout=30)
    assert child.returncode == (130 if sig == signal.SIGINT else 143), stderr
    assert_no_traceback(stderr.decode())
    document = json.loads(stdout)
    assert document["status"] == "interrupted" and document["text"].startswith("w1 w2")
    assert document["request_id"].startswith("req_")
    (row,) = ledger_rows()
    assert row["status"] == "interrupted" and row["request_id"] == document["request_id"]


@pytest.mark.pty
def test_chat_keeps_the_turn_cut_by_sigterm_in_the_session(cli_env, run_cli, fake_api, ledger_rows, home):
    chat = Chat("--plain", "--session", "killed")
    chat.turn("first [[words:3]]")
    fake_api.token_delay = 0.03
    chat.line("second [[words:300]]")
    chat.expect(r"w5 ")
    chat.child.kill(signal.SIGTERM)
    chat.child.expect(pexpect.EOF)
    chat.child.close()
    assert chat.child.exitstatus == 143
    rows = ledger_rows()
    assert [row["status"] for row in rows] == ["ok", "interrupted"]
    with sqlite3.connect(home / "data" / "sessions.db") as conn:
        turns = conn.execute("SELECT status, answer, cost_nanos FROM turns ORDER BY seq").fetchall()
    assert [turn[0] for turn in turns] == ["ok", "interrupted"]
    assert turns[1][1].startswith("w1 w2 w3 w4 w5")
    ledger_total = sum(Decimal(str(row["cost_usd"])) for row in rows)
    assert abs(Decimal(sum(turn[2] for turn in turns)) / 10**9 - ledger_total) < Decimal("1e-9")
    listing = run_cli(
        "chat", "--list", "--json"
    )  # a later run reads the session (in process: no signal here)
    assert listing.exit_code == 0, listing
    (session,) = json.loads(listing.stdout)["items"]
    assert session["turns"] == 2
    assert abs(Decimal(str(session["cost_usd"])) - ledger_total) < Decimal("1e-9")
