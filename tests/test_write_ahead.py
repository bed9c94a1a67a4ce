"""Write-ahead ledger rows: a call is booked before its request leaves, so `kill -9` mid-call loses no row.

A later run marks such a row `unknown` only when its process is provably gone (same host, and the pid dead or
reused by a process with another start time), never by age; `cost report` shows those calls and their worst
case, and budgets count them at it.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from claudecli.core.process import this_process
from tests.conftest import subprocess_env
from tests.test_batch_run import MESSAGES, prompts
from tests.zygote import ForkedPopen

REPORT = ("cost", "report", "--since", "1d", "--json")


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return ForkedPopen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )


def _wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _streaming(fake_api) -> bool:
    return bool(fake_api.requests_to(MESSAGES, "POST"))


def test_kill_9_mid_stream_leaves_an_in_flight_row_that_a_later_run_marks_unknown(
    cli_env, run_cli, fake_api, ledger_rows
):
    fake_api.token_delay = 0.02
    child = _spawn("ask", "--max-tokens", "4000", "-m", "claude-sonnet-5-5", "[[words:2000]]")
    _wait_until(lambda: _streaming(fake_api))
    assert child.stdout is not None and child.stdout.read(10)  # the answer is streaming
    child.kill()
    child.wait(timeout=10)
    (row,) = ledger_rows()
    assert row["status"] == "in_flight" and row["command"] == "ask"
    assert row["pid"] == child.pid and row["host"] == os.uname().nodename and row["pid_start"]
    assert 0.04 < row["worst_cost_usd"] < 0.0401  # 4,000 output tokens at $10/M, plus the input estimate

    report = run_cli(*REPORT)
    assert report.exit_code == 0, report
    (row,) = ledger_rows()
    assert row["status"] == "unknown"  # the pid is dead: provably gone
    unsettled = json.loads(report.stdout)["unsettled"]
    assert unsettled["unknown"]["calls"] == 1
    assert unsettled["unknown"]["worst_case_usd"] == pytest.approx(row["worst_cost_usd"])
    assert unsettled["in_flight"]["calls"] == 0

    table = run_cli("cost", "report", "--since", "1d", "--plain")
    assert "1 call(s) of unknown outcome" in table.stderr + table.stdout
    assert "worst case $0.0" in table.stderr + table.stdout


def test_a_live_call_stays_in_flight_however_old_and_is_completed_in_place(
    cli_env, run_cli, fake_api, ledger_rows
):
    fake_api.token_delay = 0.01
    child = _spawn("ask", "[[words:300]]")
    _wait_until(lambda: _streaming(fake_api))
    path = Path(cli_env["CLAUDECLI_HOME"]) / "data" / "usage.db"
    with sqlite3.connect(path) as conn:  # make it look a week old: age is no proof of death
        conn.execute("UPDATE calls SET ts = '2000-01-01T00:00:00.000Z'")
    report = run_cli("cost", "report", "--since", "2000-01-01", "--json")
    assert json.loads(report.stdout)["unsettled"]["in_flight"]["calls"] == 1
    assert [row["status"] for row in ledger_rows()] == ["in_flight"]
    child.communicate(timeout=30)
    assert child.returncode == 0
    (row,) = ledger_rows()  # the same row, completed
    assert row["status"] == "ok" and row["output_tokens"] >= 300 and row["cost_usd"] > 0


def _orphan(path: Path, *, pid: int, start: str | None, host: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO calls (ts, command, model, status, pid, pid_start, host, worst_cost_usd) "
            "VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'ask', 'claude-haiku-5-5', 'in_flight', ?, ?, ?, 0.5)",
            (pid, start, host),
        )


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped (`true`: no interpreter start-up)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("alive", "in_flight"),  # this very process, same start time
        ("pid reused", "unknown"),  # the pid is alive, but its start time is not the one recorded
        ("rebooted", "unknown"),  # same start ticks, another boot
        ("dead", "unknown"),
        ("other host", "in_flight"),  # a dead pid on another machine proves nothing here
        ("no start mark", "in_flight"),  # alive pid, no way to tell reuse: never assumed gone
    ],
)
def test_only_a_provably_gone_process_makes_its_row_unknown(
    cli_env, run_cli, fake_api, ledger_rows, home, case, expected
):
    assert run_cli(*REPORT).exit_code == 0  # creates the ledger
    me = this_process()
    assert me.start is not None
    boot, ticks = me.start.split(":")
    pid, start, host = {  # the cases' rows, made only for this case (a dead pid costs a process)
        "alive": lambda: (me.pid, me.start, me.host),
        "pid reused": lambda: (me.pid, f"{boot}:{int(ticks) + 1}", me.host),
        "rebooted": lambda: (me.pid, f"00000000-0000-0000-0000-000000000000:{ticks}", me.host),
        "dead": lambda: (_dead_pid(), "x:1", me.host),
        "other host": lambda: (_dead_pid(), "x:1", "some-other-host"),
        "no start mark": lambda: (me.pid, None, me.host),
    }[case]()
    _orphan(home / "data" / "usage.db", pid=pid, start=start, host=host)
    assert run_cli(*REPORT).exit_code == 0
    assert [row["status"] for row in ledger_rows()] == [expected]


def test_budgets_count_calls_of_unknown_outcome_at_their_worst_case(
    cli_env, run_cli, fake_api, home, write_config
):
    assert run_cli(*REPORT).exit_code == 0
    _orphan(home / "data" / "usage.db", pid=_dead_pid(), start="x:1", host=this_process().host)
    write_config("daily_budget = 0.60\n")
    result = run_cli("ask", "--max-tokens", "20000", "-m", "claude-sonnet-5-5", "hi")
    assert result.exit_code == 9, result  # $0.50 could already be spent: the call's worst case does not fit
    assert "$0.1000 left" in result.stderr


def test_batch_run_killed_with_sigkill_leaves_a_row_for_every_request_sent(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    fake_api.latency = 0.2
    child = ForkedPopen(
        [
            "batch",
            "run",
            "--text",
            str(prompts(tmp_path / "q.txt", 40)),
            "-c",
            "4",
            "-o",
            str(tmp_path / "out.jsonl"),
        ],
        env=subprocess_env(),
        stderr=subprocess.PIPE,
    )
    _wait_until(lambda: len(fake_api.requests_to(MESSAGES, "POST")) >= 6)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    sent = len(fake_api.requests_to(MESSAGES, "POST"))
    rows = ledger_rows()
    assert len(rows) >= sent and {row["status"] for row in rows} <= {"ok", "in_flight"}
    assert any(row["status"] == "in_flight" for row in rows)
    assert run_cli(*REPORT).exit_code == 0
    assert "in_flight" not in {row["status"] for row in ledger_rows()}
