"""A tool's child must not read claudecli's key from claudecli itself (/proc/PARENT/environ, /proc/PARENT/mem).

Its own environment is scrubbed (test_tools_children); these tests are about the parent. The threat is a child
of the same user; root with its capabilities reads any process anyway, so when the suite runs as root the CLI
runs without capabilities (``setpriv``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, TEST_KEY, Result, assert_no_traceback, subprocess_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl are Linux's")

ROOT = os.geteuid() == 0

# Run as a tool's child: what it can learn of its parent (claudecli).
PEEK = """
import os, sys
key = sys.argv[1].encode()
parent = os.getppid()
def peek(name, size=None):
    try:
        with open(f"/proc/{parent}/{name}", "rb") as handle:
            data = handle.read() if size is None else b""
    except OSError:
        return "denied"
    return "KEY SEEN" if key in data else "open"
print("environ:", peek("environ"), "cmdline:", peek("cmdline"), "mem:", peek("mem", 0))
"""


def _powerless(argv: list[str]) -> list[str]:
    """``argv`` run as this user; as root, without any capability (uid 0 alone gives no power over another
    process of uid 0), so it stands for any user."""
    if not ROOT:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and no setpriv to drop the capabilities")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", *argv]


def _claudecli(*args: str) -> Result:
    """The real CLI in a subprocess, as a user without special powers."""
    argv = _powerless([sys.executable, "-m", "claudecli", *args])
    done = subprocess.run(argv, capture_output=True, text=True, env=subprocess_env(), timeout=60)
    return Result(done.returncode, done.stdout, done.stderr)


def test_a_tool_child_cannot_read_claudecli_s_environ_nor_memory(cli_env, fake_api, tmp_path, write_config):
    script = tmp_path / "peek.py"
    script.write_text(PEEK)
    command = json.dumps([sys.executable, str(script), TEST_KEY[:20]])  # a prefix: the scrubber masks the key
    write_config(f'[tools.peek]\ndescription = "d"\ncommand = {command}\napproval = "auto"\n')
    result = _claudecli("ask", "--tools", "peek", "[[call:peek {}]]")
    assert result.exit_code == 0, result.stderr
    assert_no_traceback(result.stderr)
    # cmdline is readable, but the key was never in claudecli's argv
    assert result.stdout == "Tool results: environ: denied cmdline: open mem: denied\n"


GUARDED_PARENT = """
import os, subprocess, sys
from claudecli.tools.guard import guard_process_memory
if sys.argv[1] == "guard":
    print(guard_process_memory(), flush=True)
reader = "import os; p = os.getppid()\\n"
reader += "for name in ('environ', 'mem'):\\n"
reader += "    try: print(name, b'canary-KEY-42' in open(f'/proc/{p}/{name}', 'rb').read(0 if name == 'mem' else -1))\\n"
reader += "    except OSError: print(name, 'denied')\\n"
subprocess.run([sys.executable, "-c", reader], env={}, check=True)
"""


@pytest.mark.parametrize("guarded", [False, True])
def test_the_guard_closes_environ_and_mem_to_a_same_user_child(guarded):
    env = {"PYTHONPATH": str(PROJECT_ROOT), "ANTHROPIC_API_KEY": "canary-KEY-42", "PATH": os.defpath}
    argv = _powerless([sys.executable, "-c", GUARDED_PARENT, "guard" if guarded else "open"])
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", timeout=30)
    assert done.returncode == 0, done.stderr
    if guarded:
        assert done.stdout.splitlines() == ["None", "environ denied", "mem denied"]
    else:  # the hole the guard closes: a plain same-user child reads the parent's key
        assert done.stdout.splitlines()[0] == "environ True"
