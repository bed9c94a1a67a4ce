"""The test zygotes (tests/zygote.py) stand in for fresh processes: what a test sees must not depend on the fork.

The forked CLI builds its standard streams as CPython does for the same environment, and the forked toy MCP
server behaves towards its starter as the server process itself would (exit status, signals, no orphan).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.mcp_servers import toy_args
from tests.zygote import Zygote, _Status

STREAMS = (
    "import json, sys\n"
    "print(json.dumps([[s.encoding, s.errors, s.line_buffering, s.write_through]"
    " for s in (sys.stdin, sys.stdout, sys.stderr)]), file=open({path!r}, 'w'))\n"
)


@pytest.mark.parametrize(
    "io_encoding", [None, "ascii", "ascii:ignore", ":replace", "latin-1", "utf-8:strict"]
)
def test_a_forked_cli_has_the_streams_a_fresh_interpreter_has(io_encoding, tmp_path):
    zygote = Zygote.get()
    env = dict(zygote.env)
    if io_encoding is not None:
        env["PYTHONIOENCODING"] = io_encoding
    fresh_file, forked_file = tmp_path / "fresh.json", tmp_path / "forked.json"
    subprocess.run(
        [sys.executable, "-c", STREAMS.format(path=str(fresh_file))],
        env=env,
        stdin=subprocess.PIPE,
        capture_output=True,
        check=True,
        timeout=30,
    )
    stdin_read, stdin_write = os.pipe()
    out_read, out_write = os.pipe()
    _pid, connection = zygote.fork(
        ["--version"], env, str(tmp_path), [stdin_read, out_write, out_write], False,
        STREAMS.format(path=str(forked_file)),
    )  # fmt: skip
    for fd in (stdin_read, out_write, stdin_write):
        os.close(fd)
    assert _Status(connection).poll(30) == 0
    os.close(out_read)
    assert json.loads(forked_file.read_text()) == json.loads(fresh_file.read_text())


def _start_toy(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The launcher as claudecli starts a server (its own session, three pipes), and the server's own pid."""
    pid_file = tmp_path / "toy.pid"
    launcher = subprocess.Popen(
        [sys.executable, *toy_args()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TOY_PID_FILE": str(pid_file)},
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return launcher, int(pid_file.read_text())


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("how", ["stdin closed", "SIGTERM to the group", "SIGKILL to the group"])
def test_a_forked_toy_server_ends_as_the_real_one_would(how, tmp_path):
    launcher, server = _start_toy(tmp_path)
    assert server != launcher.pid
    if how == "stdin closed":
        assert launcher.stdin is not None
        launcher.stdin.close()
        assert launcher.wait(10) == 0
    else:
        number = signal.SIGTERM if how == "SIGTERM to the group" else signal.SIGKILL
        os.killpg(launcher.pid, number)
        assert launcher.wait(10) == -number
    assert _gone(server)  # the launcher killed outright leaves no server behind either


def test_a_toy_server_killed_by_a_signal_ends_its_launcher_by_it(tmp_path):
    launcher, server = _start_toy(tmp_path)
    os.kill(server, signal.SIGKILL)
    assert launcher.wait(10) == -signal.SIGKILL
    assert launcher.stderr is not None
    assert b"Traceback" not in launcher.stderr.read()
