"""`chat` with tools in a real pseudo-terminal: the prompt-toolkit approval prompt, tool lines, Ctrl-C during a
tool, and a resumed session with tool steps. The fake API refuses any request whose tool_use/tool_result pairing
is wrong, so every turn that answers proves the pairing it was sent.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.test_chat_pty import ANSI, PROMPT, Chat, chat_requests

pytestmark = pytest.mark.pty

PY = json.dumps(sys.executable)
QUESTION = r"Run it\? \[y\]es / \[n\]o / \[a\]lways this tool this run / \[e\]dit args"


def config_tools(write_config, marker: Path) -> None:
    touch = (
        "import sys, json; data = sys.stdin.read(); "
        f"open({str(marker)!r}, 'a').write(data + '\\n'); print('touched ' + str(json.loads(data).get('n')))"
    )
    write_config(
        f"""
[tools.toucher]
description = "Touch a file"
command = [{PY}, "-c", {json.dumps(touch)}]
input_schema = {{ type = "object", properties = {{ n = {{ type = "integer" }} }} }}

[tools.sleeper]
description = "Sleep a long time"
command = ["sh", "-c", "sleep 30"]
approval = "auto"
"""
    )


@pytest.fixture
def marker(tmp_path: Path, write_config) -> Path:
    path = tmp_path / "touched.mark"
    config_tools(write_config, path)
    return path


def ask_and_answer(chat: Chat, text: str, key: str) -> str:
    """Send a message whose tool call needs approval; answer the question with ``key``; wait for the end."""
    chat.line(text)
    asked = chat.expect(QUESTION)
    chat.child.send(key)
    seen = chat.expect(r"end_turn · \d+ steps · \d+ tool calls?")
    chat.expect(PROMPT)
    return ANSI.sub("", asked + seen)


def pairs(body: dict) -> list[list[str]]:
    return [
        [b["type"] for b in m["content"]] if isinstance(m["content"], list) else ["str"]
        for m in body["messages"]
    ]


def test_a_config_tool_round_trip_resume_and_undo(cli_env, fake_api, marker):
    chat = Chat("--plain", "--tools", "toucher", "--session", "tooling")
    shown = ask_and_answer(chat, 'touch it [[call:toucher {"n": 7}]]', "y")
    assert "Claude wants to run toucher (config), ask approval, with:" in shown and '"n": 7' in shown
    assert "[e]dit args: y" in shown  # the answer stays on the question's line
    assert "Tool results: touched 7" in shown and "2 steps · 1 tool call" in shown
    assert '→ toucher {"n":7}' in shown and "← toucher: touched 7" in shown
    assert json.loads(marker.read_text()) == {"n": 7}
    listing = chat.command("/tools", r"at most 10 steps per answer")
    assert "toucher" in listing and "config" in listing and "ask" in listing
    assert chat.leave() == 0
    assert pairs(chat_requests(fake_api)[1]) == [["text"], ["tool_use"], ["tool_result"]]

    again = Chat("--plain", "--tools", "toucher", "-c")
    resumed = ANSI.sub("", again.transcript)
    assert "resumed session 'tooling'" in resumed and '→ toucher {"n":7}' in resumed
    again.turn("what did it say?")
    body = chat_requests(fake_api)[-1]
    assert pairs(body) == [["str"], ["tool_use"], ["tool_result"], ["text"], ["text"]]
    again.command("/undo", "removed the last exchange")
    again.command("/undo", "removed the last exchange")
    again.turn("fresh start")
    assert pairs(chat_requests(fake_api)[-1]) == [["text"]]  # the tool steps left with their exchange
    assert again.leave() == 0


def no_at_the_prompt_the_tool_does_not_run_and_the_model_is_told(chat: Chat, fake_api, marker: Path) -> None:
    shown = ask_and_answer(
        chat, 'touch it [[call:toucher {"n": 1}]]', "\x1b[M~~~n"
    )  # a stray "mouse report" first
    assert "Traceback" not in shown and "Press ENTER" not in shown
    assert "✗ toucher not run: declined by the user" in shown
    assert "Tool results: error: declined by the user" in shown
    assert not marker.exists()
    chat.line('and now? [[call:toucher {"n": 2}]]')
    chat.expect(QUESTION)
    chat.child.sendintr()  # Ctrl-C at the question: not run, and the turn stops
    chat.expect("interrupted: the steps so far are kept")
    chat.expect(PROMPT)
    assert not marker.exists()
    chat.turn("fine")
    assert pairs(chat_requests(fake_api)[-1])[-1] == ["tool_result", "text"]


def a_key_typed_before_the_question_does_not_answer_it(chat: Chat, fake_api, marker: Path) -> None:
    fake_api.latency = 1.0
    chat.line('touch it [[call:toucher {"n": 3}]]')
    chat.child.send("y")  # typed while the model is still thinking: before the question exists
    chat.expect(QUESTION)
    fake_api.latency = 0
    time.sleep(0.5)
    assert not marker.exists()  # still waiting for an answer to the question it showed
    chat.child.send("n")
    chat.expect("declined by the user")
    chat.expect(PROMPT)
    assert not marker.exists()


def edit_runs_the_call_with_the_arguments_saved_in_the_editor(chat: Chat, marker: Path) -> None:
    shown = ask_and_answer(chat, 'touch it [[call:toucher {"n": 1}]]', "e")
    assert "Tool results: touched 9" in shown
    assert json.loads(marker.read_text()) == {"n": 9}


def test_no_ctrl_c_typed_ahead_keys_and_edit_at_the_approval_prompt(cli_env, fake_api, marker, tmp_path):
    """Three answers to the approval prompt, one after another in one chat (a process start each is not needed):
    "n" and Ctrl-C run nothing and the model is told; a key typed before the question does not answer it; "e"
    runs the call with the arguments saved in the editor."""
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'w').write('{\"n\": 9}\\n')\n", encoding="utf-8")
    chat = Chat("--plain", "--tools", "toucher", env={"EDITOR": f"{sys.executable} {editor}"})
    no_at_the_prompt_the_tool_does_not_run_and_the_model_is_told(chat, fake_api, marker)
    a_key_typed_before_the_question_does_not_answer_it(chat, fake_api, marker)
    edit_runs_the_call_with_the_arguments_saved_in_the_editor(chat, marker)
    assert chat.leave() == 0


def test_a_functions_tool_always_approved_for_the_chat(cli_env, fake_api, tmp_path):
    functions = tmp_path / "funcs.py"
    functions.write_text(
        'def shout(text: str) -> str:\n    """Upper-case the text."""\n    return text.upper()\n'
    )
    chat = Chat("--plain", "--functions", str(functions))
    shown = ask_and_answer(chat, 'shout [[call:shout {"text": "quiet"}]]', "a")
    assert "Tool results: QUIET" in shown
    second = chat.turn('once more [[call:shout {"text": "again"}]]')  # "a": not asked again
    assert "Tool results: AGAIN" in second and "Run it?" not in second
    assert chat.leave() == 0


def test_ctrl_c_during_a_tool_keeps_the_steps_and_the_next_turn_is_valid(cli_env, fake_api, marker):
    chat = Chat("--plain", "--tools", "sleeper")
    chat.line("wait [[call:sleeper]]")
    chat.expect("→ sleeper")
    chat.child.sendintr()
    chat.expect("interrupted: the steps so far are kept")
    chat.expect(PROMPT)
    chat.turn("never mind")
    body = chat_requests(fake_api)[-1]
    assert pairs(body) == [["str"], ["tool_use"], ["tool_result", "text"]]
    assert body["messages"][-1]["content"][0]["is_error"] is True
    assert chat.leave() == 0


def test_sigterm_during_a_tool_keeps_the_steps_and_the_session_goes_on(
    cli_env, fake_api, marker, ledger_rows
):
    chat = Chat("--plain", "--tools", "sleeper", "--session", "term")
    chat.line("wait [[call:sleeper]]")
    chat.expect("→ sleeper")
    chat.child.kill(signal.SIGTERM)
    chat.child.expect(pexpect.EOF)
    chat.child.close()
    assert chat.child.exitstatus == 143 or chat.child.signalstatus == signal.SIGTERM
    assert [row["status"] for row in ledger_rows()] == ["ok"]

    again = Chat("--plain", "--tools", "sleeper", "--session", "term")
    again.turn("still there?")
    body = chat_requests(fake_api)[-1]
    assert pairs(body) == [["str"], ["tool_use"], ["tool_result", "text"]]
    assert again.leave() == 0
