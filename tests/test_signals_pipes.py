"""A reader that leaves early (`| head`) and a process that is killed: both end quietly, and the call is booked."""

from __future__ import annotations

import signal
import subprocess

from tests.conftest import assert_no_traceback, subprocess_env
from tests.zygote import ForkedPopen


def spawn_ask(*args: str) -> subprocess.Popen[bytes]:
    return ForkedPopen(
        ["ask", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )


def test_closed_stdout_exits_141_quietly_and_books_the_call(cli_env, fake_api, ledger_rows):
    fake_api.token_delay = 0.002
    child = spawn_ask("[[words:3000]]")
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.read(20)  # like `head -c 20`
    child.stdout.close()
    child.wait(timeout=30)
    stderr = child.stderr.read().decode()
    assert child.returncode == 141, stderr
    assert_no_traceback(stderr)
    assert "Exception ignored" not in stderr
    rows = ledger_rows()
    assert len(rows) == 1 and rows[0]["status"] == "output_error"


def test_sigterm_mid_stream_exits_143_and_books_the_call(cli_env, fake_api, ledger_rows):
    fake_api.token_delay = 0.02
    child = spawn_ask("[[words:2000]]")
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.read(10)
    child.send_signal(signal.SIGTERM)
    child.wait(timeout=30)
    stderr = child.stderr.read().decode()
    assert child.returncode == 143, stderr
    assert_no_traceback(stderr)
    rows = ledger_rows()
    assert len(rows) == 1 and rows[0]["status"] == "interrupted"
