"""`batch run` writes finished answers once per turn of the event loop: a failure while writing a wave still ends
the run (it is not swallowed by the event loop while the workers go on sending and paying)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import assert_no_traceback, subprocess_env
from tests.zygote import ForkedPopen

MESSAGES = "/v1/messages"


def prompts(path: Path, count: int) -> Path:
    path.write_text("".join(f"question {i} [[words:3]]\n" for i in range(1, count + 1)), encoding="utf-8")
    return path


def test_a_reader_that_leaves_stops_the_run_quietly(cli_env, fake_api, tmp_path, ledger_rows):
    """`batch run q.txt | head -1`: the closed pipe stops the workers (it was logged as 'Exception in callback'
    with a traceback while every other line was still sent and paid for)."""
    fake_api.latency = 0.02
    child = ForkedPopen(
        ["batch", "run", "--text", str(prompts(tmp_path / "q.txt", 200)), "-c", "2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()
    child.stdout.close()
    try:
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)
    stderr = child.stderr.read().decode()
    assert child.returncode == 141, stderr
    assert_no_traceback(stderr)
    assert "Exception in callback" not in stderr and "Unclosed" not in stderr
    sent = len(fake_api.requests_to(MESSAGES, method="POST"))
    assert sent < 50, sent
    assert len(ledger_rows()) >= sent
