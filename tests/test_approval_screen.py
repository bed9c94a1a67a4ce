"""What a person sees when a model-proposed tool call waits for approval (issue 13), on a real 80x24 screen (tmux):
padding in the arguments cannot scroll the command and the tool's name off screen; in `ask`, keys typed before
the question appeared cannot answer it."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests import screen
from tests.conftest import subprocess_env
from tests.screen import start, tmux, wait_for
from tests.zygote import ForkedSpawn

pytestmark = [pytest.mark.pty]
session = screen.session  # the fixture: a tmux session name, killed after the test

QUESTION = "Run it? [y]es / [n]o / [a]lways this tool this run / [e]dit args"
PADDINGS = {
    "spaces": " " * 5000,
    "blank lines": "\n" * 3000,
    "long middle": "; " + "true " * 1500,
}
# Typed into chat's prompt, where a line of more than 4 kB arrives cut: still over 24 rows at 80 columns.
CHAT_PADDINGS = {"spaces": " " * 2500, "blank lines": "\n" * 1200, "long middle": "; " + "true " * 500}


def visible(name: str) -> str:
    """Only what is on the screen now (no scrollback): what the person can read when asked."""
    return tmux("capture-pane", "-t", name, "-p")


def padded_call(marker: Path, padding: str) -> str:
    command = f"touch {marker}" + padding + "echo hello"
    return "[[call:run_command " + json.dumps({"command": command}) + "]]"


def assert_whole_question_on_screen(shown: str, marker: Path) -> None:
    assert "run_command" in shown.split("Run it?")[0], shown  # the tool's name above the question
    assert f"touch {marker}"[:40] in shown, shown  # the start of the command
    assert "echo hello" in shown, shown  # and its end
    assert QUESTION in shown, shown


def wait_until_shown(name: str, check, timeout: float = 20) -> str:
    """Poll the visible screen until ``check(screen)`` holds; returns that screen."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = visible(name)
        if check(shown):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"the screen never got there:\n{shown}")


@screen.needs_tmux
@pytest.mark.parametrize("padding", PADDINGS.values(), ids=PADDINGS.keys())
def test_ask_padding_cannot_push_the_command_off_screen(cli_env, fake_api, session, tmp_path, padding):
    marker = tmp_path / "ran.mark"
    command = [sys.executable, "-m", "claudecli", "ask", "--tools", "shell", padded_call(marker, padding)]
    start(session, command, width=80, height=24)
    shown = wait_until_shown(session, lambda text: QUESTION in text)  # drawn last: the question is complete
    assert_whole_question_on_screen(shown, marker)
    tmux("send-keys", "-t", session, "n", "Enter")
    wait_for(session, "declined by the user")
    assert not marker.exists()


def latest_question(shown: str) -> str:
    """The last approval on the screen: from its header (this tool's name) to its question."""
    end = shown.rindex("Run it?")
    start = shown.rfind("Claude wants to run run_command", 0, end)
    assert start >= 0, shown  # the header with the tool's name is on screen above the question
    return shown[start : shown.index("\n", end) if "\n" in shown[end:] else len(shown)]


def asked_about(shown: str, end: str) -> bool:
    """Whether the screen's last approval question, fully drawn, is the one about the command ending ``end``."""
    if "Run it?" not in shown:
        return False
    last = shown.rindex("Run it?")
    header = shown.rfind("Claude wants to run run_command", 0, last)
    return shown[last:].startswith(QUESTION) and header >= 0 and end in shown[header:last]


@screen.needs_tmux
def test_chat_padding_cannot_push_the_command_off_screen(cli_env, fake_api, session, tmp_path):
    """One chat is asked about three padded calls in turn (the padding, not a fresh process, is under test): each
    question shows the tool's name, the command's start and its end, on screen at once."""
    start(session, [sys.executable, "-m", "claudecli", "chat", "--tools", "shell"], width=80, height=24)
    wait_for(session, "Ctrl-D leaves")
    for case, padding in CHAT_PADDINGS.items():
        marker = tmp_path / f"ran-{case.replace(' ', '-')}.mark"
        end = f"echo hello-{case.replace(' ', '-')}"
        call = padded_call(marker, padding).replace("echo hello", end)
        tmux("send-keys", "-t", session, "-l", call)
        tmux("send-keys", "-t", session, "Enter")
        shown = wait_until_shown(session, lambda text, end=end: asked_about(text, end))
        question = latest_question(shown)
        assert_whole_question_on_screen(question, marker)
        assert end in question and question.count("echo hello-") == 1, shown  # this call's question alone
        tmux("send-keys", "-t", session, "n")
        wait_until_shown(
            session, lambda text: "end_turn" in text.rsplit("Run it?", 1)[-1]
        )  # back at the prompt
        assert "declined by the user" in visible(session).rsplit("Run it?", 1)[-1]
        assert not marker.exists()


def test_ask_keys_typed_before_the_question_do_not_answer_it(cli_env, fake_api, tmp_path):
    fake_api.latency = (
        0.5  # the question comes well after the keys below (typed at once; start-up takes longer)
    )
    marker = tmp_path / "ran.mark"
    call = "[[call:run_command " + json.dumps({"command": f"touch {marker}"}) + "]]"
    child = ForkedSpawn(
        ["ask", "--tools", "shell", call],
        env=subprocess_env(),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=20,
    )
    child.send("y\ny\na\n")  # typed ahead, while the answer is awaited
    child.expect_exact(QUESTION)
    with pytest.raises(pexpect.TIMEOUT):
        child.expect("declined|exit code", timeout=1)  # still waiting: typed-ahead keys would answer at once
    assert not marker.exists()
    child.sendline("n")
    child.expect("declined by the user")
    child.expect(pexpect.EOF)
    child.close()
    assert not marker.exists()
