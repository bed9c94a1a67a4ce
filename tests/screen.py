"""A real terminal screen for tests: a detached tmux session of a given size, read back with capture-pane."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import subprocess_env
from tests.zygote import Zygote

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


@pytest.fixture
def session() -> Iterator[str]:
    name = f"claudecli-test-{uuid.uuid4().hex[:8]}"
    yield name
    tmux("kill-session", "-t", name)


def start(name: str, command: str | list[str], *, width: int = 100, height: int = 40) -> None:
    """Run ``command`` (argv, or a shell command line) in a new ``width`` x ``height`` screen, with this test's
    isolated environment and nothing else; the pane stays open a minute after it ends, to be read. COLUMNS and
    LINES are left out: the program must find the screen's size itself, as it does in a terminal."""
    env = subprocess_env({"COLUMNS": None, "LINES": None})
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items() if key.isidentifier())
    cli = [sys.executable, "-m", "claudecli"]
    if isinstance(command, list) and command[: len(cli)] == cli:
        # claudecli itself: forked from this worker's pre-loaded zygote onto the pane's terminal (tests/zygote.py)
        stub = [sys.executable, str(Path(__file__).with_name("zygote_stub.py")), Zygote.get().path]
        line = shlex.join([*stub, *command[len(cli) :]])
        pane = f"exec env -i {exports} {line}"  # exec: the stub is the pane's session leader
        tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), "/bin/sh", "-c", pane)
        return
    line = command if isinstance(command, str) else shlex.join(command)
    # The pane's shell is tmux's default-shell ($SHELL, or /bin/sh when unset, as in CI): a non-interactive dash dies
    # of the Ctrl-C a test sends, closing the pane. A no-op trap keeps it alive (a child gets the default action
    # back on exec), and remain-on-exit keeps the screen readable whatever happens.
    shell = f"trap : INT; env -i {exports} sh -c {shlex.quote(line)}; sleep 60"
    tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), "/bin/sh", "-c", shell)
    tmux("set-option", "-t", name, "remain-on-exit", "on")


def screen(name: str, *, joined: bool = False) -> str:
    """The scrollback and the screen; ``joined``: a row the terminal wrapped is one (longer) line."""
    return tmux("capture-pane", "-t", name, "-p", "-S", "-", *(["-J"] if joined else []))


def wait_for(name: str, text: str, timeout: float = 20, *, joined: bool = False) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(name, joined=joined)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared:\n{shown}")
