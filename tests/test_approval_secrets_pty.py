"""A key the model puts into a tool call's arguments is masked on every screen of the approval question, in `ask`
(on /dev/tty) and in `chat` (on stderr and in $EDITOR) alike, through the program's one scrub; the tool itself
still receives what the model (or the person, after `e`) asked for."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import TEST_KEY, subprocess_env
from tests.mcp_servers import toy_args
from tests.test_chat_pty import ANSI, PROMPT, Chat
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty

QUESTION = "Run it? [y]es / [n]o / [a]lways this tool this run / [e]dit args"
PY = json.dumps(sys.executable)


def recording_tool(write_config, marker: Path) -> None:
    """A config tool ``keeper`` (ask approval) that appends the input it receives to ``marker``."""
    keep = f"import sys; open({str(marker)!r}, 'a').write(sys.stdin.read() + '\\n'); print('kept')"
    write_config(
        f"""
[tools.keeper]
description = "Keep the input"
command = [{PY}, "-c", {json.dumps(keep)}]
input_schema = {{ type = "object", properties = {{ token = {{ type = "string" }}, n = {{ type = "integer" }} }} }}

[mcp.toy]
command = {sys.executable!r}
args = {json.dumps(toy_args())}
approval = "ask"
"""
    )


@pytest.fixture
def marker(tmp_path: Path, write_config) -> Path:
    path = tmp_path / "kept.jsonl"
    recording_tool(write_config, path)
    return path


def spawn_ask(*args: str) -> ForkedSpawn:
    return ForkedSpawn(
        ["ask", "--plain", *args], env=subprocess_env(), dimensions=(40, 100), encoding="utf-8", timeout=20
    )


class Screen:
    """Everything a pexpect child printed, kept as it is read."""

    def __init__(self, child: ForkedSpawn) -> None:
        self.child = child
        self.text = ""

    def expect(self, pattern: str) -> None:
        self.child.expect_exact(pattern)
        self.text += (self.child.before or "") + str(self.child.after or "")

    def finish(self) -> int | None:
        self.child.expect(pexpect.EOF)
        self.text += self.child.before or ""
        self.child.close()
        return self.child.exitstatus


def test_ask_masks_the_key_in_the_question_and_after_edit(cli_env, fake_api, marker):
    call = "[[call:toy__echo " + json.dumps({"text": TEST_KEY}) + "]]"
    screen = Screen(spawn_ask("--mcp", "toy", call))
    screen.expect(QUESTION)
    screen.child.sendline("e")
    screen.expect("New arguments as JSON on one line (empty: back): ")
    screen.child.sendline("")
    screen.expect(QUESTION)
    screen.child.sendline("y")
    assert screen.finish() == 0, screen.text
    assert "Current arguments: " in screen.text
    assert TEST_KEY not in screen.text and TEST_KEY[:16] not in screen.text, screen.text
    assert '"********"' in screen.text.split("Current arguments: ")[1]


@pytest.mark.parametrize(
    "typed",
    [
        '{"token": "********", "n": 2}',  # copied from the masked line, one value changed
        '{"url": "https://elsewhere.example", "token": "********"}',  # a mask moved next to another value
    ],
)
def test_ask_edit_runs_what_was_typed_and_a_mask_is_never_turned_back_into_the_key(
    cli_env, fake_api, marker, typed
):
    """What the person approves is what runs: a mask does not say which secret it hid (or whether the model
    wrote ``********`` itself), so putting a key back could send it somewhere the person never saw."""
    call = "[[call:keeper " + json.dumps({"token": TEST_KEY, "n": 1}) + "]]"
    screen = Screen(spawn_ask("--tools", "keeper", call))
    screen.expect(QUESTION)
    screen.child.sendline("e")
    screen.expect("New arguments as JSON on one line (empty: back): ")
    screen.child.sendline(typed)
    assert screen.finish() == 0, screen.text
    assert TEST_KEY not in screen.text, screen.text
    assert json.loads(marker.read_text()) == json.loads(typed)
    assert TEST_KEY not in marker.read_text()


def test_keys_masked_alike_are_all_shown(cli_env, fake_api, marker):
    """A key that is a secret and a key written ``********`` must not merge into one line of the question."""
    call = "[[call:keeper " + json.dumps({"********": "ls", TEST_KEY: "rm -rf ~", "n": 1}) + "]]"
    screen = Screen(spawn_ask("--tools", "keeper", call))
    screen.expect(QUESTION)
    screen.child.sendline("n")
    screen.finish()
    assert "rm -rf ~" in screen.text and '"ls"' in screen.text, screen.text
    assert TEST_KEY not in screen.text


def test_ask_long_arguments_never_show_part_of_the_key(cli_env, fake_api, marker):
    """A value cut to its start and end must not cut a key in two and show its halves: the key stands at every
    offset around wherever the view cuts, and no piece of it is on the screen."""
    text = "".join(TEST_KEY + "-" * gap for gap in range(120))
    call = "[[call:keeper " + json.dumps({"token": text, "n": 1}) + "]]"
    screen = Screen(spawn_ask("--tools", "keeper", call))
    screen.expect(QUESTION)
    screen.child.sendline("n")
    screen.finish()
    assert "its input was shortened above" in screen.text, screen.text  # the value was cut
    pieces = {TEST_KEY[start : start + 5] for start in range(len(TEST_KEY) - 4)}
    assert not [piece for piece in pieces if piece in screen.text], screen.text


def test_chat_masks_the_key_in_the_question_the_editor_and_the_edited_line(
    cli_env, fake_api, marker, tmp_path
):
    seen = tmp_path / "seen-in-editor.json"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import json, sys\n"
        "text = open(sys.argv[1]).read()\n"
        f"open({str(seen)!r}, 'w').write(text)\n"
        "value = json.loads(text)\n"
        "value['n'] = 2\n"
        "open(sys.argv[1], 'w').write(json.dumps(value))\n",
        encoding="utf-8",
    )
    chat = Chat("--plain", "--tools", "keeper", env={"EDITOR": f"{sys.executable} {editor}"})
    chat.line("keep it [[call:keeper " + json.dumps({"token": TEST_KEY, "n": 1}) + "]]")
    chat.expect("Claude wants to run keeper")  # the typed line itself (the person's own) is echoed above
    asked = chat.expect(r"Run it\? ")
    chat.child.send("e")
    after = chat.expect(r"end_turn")
    chat.expect(PROMPT)
    assert chat.leave() == 0
    shown = ANSI.sub("", asked + after)
    assert TEST_KEY not in shown and "********" in shown, shown
    assert TEST_KEY not in seen.read_text() and json.loads(seen.read_text())["token"] == "********"
    assert json.loads(marker.read_text()) == {"token": "********", "n": 2}  # the edit as saved
