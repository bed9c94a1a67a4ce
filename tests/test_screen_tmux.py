"""What a person sees: the real screen of a terminal (tmux), not just the bytes written."""

from __future__ import annotations

import re
import shlex
import sys
import time

import pytest

from tests import screen
from tests.screen import start, tmux, wait_for

pytestmark = [pytest.mark.pty, screen.needs_tmux]
session = screen.session  # the fixture: a tmux session name, killed after the test


def test_ctrl_c_during_a_long_paragraph_leaves_no_duplicate_rows(cli_env, fake_api, session):
    fake_api.token_delay = 0.01
    start(session, [sys.executable, "-m", "claudecli", "ask", "[[words:400]]"])
    wait_for(session, "w120 ")
    tmux("send-keys", "-t", session, "C-c")
    screen = wait_for(session, "claudecli: error: interrupted")
    rows = [row for row in screen.splitlines() if row.startswith("w1 w2 w3")]
    assert len(rows) == 1, screen
    assert "[interrupted]" in screen


@pytest.mark.parametrize("width", [60, 80, 120])
def test_keys_typed_while_an_answer_streams_duplicate_no_row_and_wait_at_the_prompt(
    cli_env, fake_api, session, width
):
    fake_api.token_delay = 0.01
    start(session, [sys.executable, "-m", "claudecli", "chat"], width=width)
    wait_for(session, "Ctrl-D leaves")
    tmux("send-keys", "-t", session, "-l", "[[words:400]]")
    tmux("send-keys", "-t", session, "Enter")
    for word, typed in (("w60 ", "keys typed "), ("w150 ", "while it streams "), ("w250 ", "go on")):
        wait_for(session, word)
        tmux("send-keys", "-t", session, "-l", typed)  # echoed, they used to wrap the live area's last row
    shown = wait_for(session, "› keys typed while it streams go on")  # kept for the next prompt
    answer = shown[shown.index("w1 ") : shown.index("end_turn")]
    numbers = [int(n) for n in re.findall(r"\bw(\d+)\b", answer)]
    assert numbers == list(range(1, 401)), shown  # every word once, in order: no stale or repeated row


def test_keys_typed_at_the_waiting_spinner_leave_no_stale_row(cli_env, fake_api, session):
    fake_api.latency = 1.5  # the spinner turns that long before the first token
    start(session, [sys.executable, "-m", "claudecli", "chat"], width=60)
    wait_for(session, "Ctrl-D leaves")
    tmux("send-keys", "-t", session, "-l", "[[words:30]]")
    tmux("send-keys", "-t", session, "Enter")
    wait_for(session, "claude-sonnet-5-5…")  # the spinner's label
    typed = "keys typed at the spinner, long enough to wrap its row"
    tmux("send-keys", "-t", session, "-l", typed)
    shown = wait_for(session, f"› {typed}")
    assert [row for row in shown.splitlines() if "keys typed" in row] == [f"› {typed}"], shown


def test_keys_typed_while_a_tool_runs_are_not_echoed_above_the_next_prompt(cli_env, fake_api, session):
    """Between the tool's line and the next step's spinner nothing hid the echo: the keys were echoed where the
    tool's result line then went (and again at the prompt, which is where they belong)."""
    command = [sys.executable, "-m", "claudecli", "chat", "-T", "shell", "--approve", "run_command"]
    start(session, command)
    wait_for(session, "Ctrl-D leaves")
    tmux("send-keys", "-t", session, "-l", '[[call:run_command {"command":"sleep 1"}]]')
    tmux("send-keys", "-t", session, "Enter")
    wait_for(session, "→ run_command")
    typed = "keys typed while the tool runs"
    tmux("send-keys", "-t", session, "-l", typed)
    shown = wait_for(session, f"› {typed}")
    assert [row for row in shown.splitlines() if "keys typed" in row] == [f"› {typed}"], shown


def test_ctrl_c_at_the_spinner_while_the_sdk_still_loads_leaves_no_spinner_row(
    cli_env, fake_api, run_cli, session
):
    # A fresh interpreter (a command line, not the zygote): its SDK import is still under way when the spinner
    # shows, so the Ctrl-C lands before the call starts. The spinner used to stay on screen under the error.
    run_cli("models")  # cached: nothing needs the SDK before the spinner shows
    fake_api.latency = 3  # should the import be over first, the spinner still turns long enough to be seen
    start(session, shlex.join([sys.executable, "-m", "claudecli", "ask", "[[words:20]]"]), width=80)
    wait_for(session, "asking ")
    tmux("send-keys", "-t", session, "C-c")
    wait_for(session, "interrupted")
    time.sleep(1)  # the process is gone by now; a spinner left running would have redrawn its row
    shown = screen.screen(session)
    assert "asking" not in shown[shown.index("interrupted") :], shown


@pytest.mark.parametrize(
    ("code", "error_type", "said"),
    [(429, "rate_limit_error", "rate limited (429)"), (529, "overloaded_error", "overloaded (529)")],
)
def test_the_spinner_says_why_it_waits_while_the_sdk_retries(
    cli_env, fake_api, session, monkeypatch, code, error_type, said
):
    """A 429 (or 529) whose retry-after is 3 s: the SDK sleeps before asking again. The spinner said only
    'asking …' all along, as if the call hung; it now says what happened and when the next attempt is."""
    from tests.fakeapi import Fault

    monkeypatch.setenv("CLAUDECLI_RETRY_AFTER_CAP", "30")  # the tests' 0.2 s would leave nothing to see
    fake_api.enqueue(Fault.status(code, error_type, headers={"retry-after": "3"}))
    start(session, [sys.executable, "-m", "claudecli", "ask", "[[words:3]]"], width=100)
    shown = wait_for(session, said, timeout=15)
    assert "trying again in 3 s" in shown, shown
    done = wait_for(session, "end_turn")
    assert said not in done and "w1 w2 w3" in done, done


def test_the_spinner_names_the_fallback_model_once_it_is_asked(cli_env, fake_api, session):
    """After the overloaded model's retries, the fallback model is asked: the spinner said 'asking <the overloaded
    model>… overloaded (529)' through the fallback call too."""
    from tests.fakeapi import Fault

    for _ in range(3):  # the first attempt and its two retries
        fake_api.enqueue(Fault.status(529, "overloaded_error"), model="claude-sonnet-5-5")
    fake_api.latency = 0.5  # each answer, the fallback's too, keeps the spinner up long enough to be read
    start(
        session, [sys.executable, "-m", "claudecli", "ask", "--fallback", "haiku", "[[words:3]]"], width=100
    )
    wait_for(session, "asking the fallback model")
    shown = wait_for(session, "asking claude-haiku-5-5…", timeout=5)
    assert "overloaded (529)" not in shown.split("asking the fallback model")[-1], shown
    wait_for(session, "end_turn")


def test_the_spinner_says_an_attempt_got_no_answer_while_the_sdk_tries_again(
    cli_env, fake_api, session, monkeypatch
):
    """An attempt that timed out is retried by the SDK: the spinner said 'asking …' all along, through the timeout
    and the next attempt."""
    from tests.fakeapi import Fault

    fake_api.enqueue(Fault.hang(3))
    fake_api.latency = 1.5  # the retry's answer waits too: long enough for the label to be read
    monkeypatch.setenv("CLAUDECLI_TIMEOUT", "2")
    start(session, [sys.executable, "-m", "claudecli", "ask", "[[words:3]]"], width=100)
    shown = wait_for(session, "no answer (timed out): trying again", timeout=15)
    assert "asking" in shown, shown
    done = wait_for(session, "end_turn")
    assert "trying again" not in done and "w1 w2 w3" in done, done
