"""What a person sees: the real screen of a terminal (tmux), not just the bytes written."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.conftest import subprocess_env

pytestmark = [
    pytest.mark.pty,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


@pytest.fixture
def session():
    name = f"claudecli-test-{uuid.uuid4().hex[:8]}"
    yield name
    tmux("kill-session", "-t", name)


def start(name: str, argv: list[str]) -> None:
    env = subprocess_env()
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items() if key.isidentifier())
    command = f"env -i {exports} {shlex.join(argv)}; sleep 60"
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "40", command)


def wait_for(name: str, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-t", name, "-p", "-S", "-200")
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared:\n{screen}")


def test_ctrl_c_during_a_long_paragraph_leaves_no_duplicate_rows(cli_env, fake_api, session):
    fake_api.token_delay = 0.01
    start(session, [sys.executable, "-m", "claudecli", "ask", "[[words:400]]"])
    wait_for(session, "w120 ")
    tmux("send-keys", "-t", session, "C-c")
    screen = wait_for(session, "claudecli: error: interrupted")
    rows = [row for row in screen.splitlines() if row.startswith("w1 w2 w3")]
    assert len(rows) == 1, screen
    assert "[interrupted]" in screen
