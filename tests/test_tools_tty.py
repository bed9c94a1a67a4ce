"""The approval question goes to the controlling terminal (/dev/tty), never to stdin; without one, nobody is asked."""

from __future__ import annotations

import subprocess
import sys

import pexpect
import pytest

from tests.conftest import subprocess_env

pytestmark = pytest.mark.pty

ASK = """
import threading
from claudecli.tools.base import Approval, Tool, ToolCall
from claudecli.tools.terminal import terminal_ask_person

ask = terminal_ask_person(str)
tool = Tool("deploy", "d", {"type": "object"}, approval=Approval.EXPLICIT, source="config")
answer = ask(tool, ToolCall("t1", "deploy", {"target": "prod\\x1b]0;pwned\\x07\\x1b[2J", "n": 1}))
print("ANSWER", answer.choice, answer.input)
"""


def test_the_question_is_asked_on_the_terminal_even_with_a_piped_stdin():
    # stdin is a pipe that says "y": it must not answer the question.
    child = pexpect.spawn(
        "sh",
        ["-c", f'echo y | {sys.executable} -c "$ASK"'],
        env=subprocess_env({"ASK": ASK}),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(r"Run it\? \[y\]es / \[n\]o / \[a\]lways this tool this run / \[e\]dit args: ")
    shown = child.before or ""
    assert "Claude wants to run the tool deploy from config (explicit approval) with:" in shown
    assert "\x1b]0;pwned" not in shown and "\x1b[2J" not in shown  # escapes in the arguments are not sent
    child.sendline("maybe")
    child.expect("Run it\\?")
    child.sendline("e")
    child.expect("New arguments as JSON on one line")
    child.sendline("{not json")
    child.expect("not valid JSON")
    child.sendline('["a list"]')
    child.expect("must be a JSON object")
    child.sendline('{"target": "staging"}')
    child.expect("ANSWER e {'target': 'staging'}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_d_at_the_question_is_no():
    child = pexpect.spawn(
        sys.executable, ["-c", ASK], env=subprocess_env(), dimensions=(40, 100), encoding="utf-8", timeout=20
    )
    child.expect("Run it\\?")
    child.sendeof()
    child.expect("ANSWER n None")
    child.expect(pexpect.EOF)


def test_without_a_controlling_terminal_nobody_is_asked():
    probe = "from claudecli.tools.terminal import terminal_ask_person; print(terminal_ask_person(str))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        start_new_session=True,  # a new session has no controlling terminal: /dev/tty cannot be opened
        stdin=subprocess.DEVNULL,
        timeout=20,
    )
    assert done.stdout.strip() == "None", done.stderr


def test_with_every_stream_redirected_nobody_is_asked_even_with_a_terminal():
    probe = (
        "from claudecli.tools.terminal import terminal_ask_person; print('ASKER', terminal_ask_person(str))"
    )
    child = pexpect.spawn(
        "sh",
        ["-c", f'echo | {sys.executable} -c "$PROBE" 2>/dev/null'],
        env=subprocess_env({"PROBE": probe}),
        encoding="utf-8",
        timeout=20,
    )
    child.expect("ASKER None")
    child.expect(pexpect.EOF)
