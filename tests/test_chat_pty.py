"""`chat` in a real pseudo-terminal (pexpect) against the fake API: keys, Ctrl-C, paste, slash commands, -c.

prompt-toolkit asks the terminal for the cursor position (CPR); pexpect does not answer, so the tests set
PROMPT_TOOLKIT_NO_CPR=1 (the bottom toolbar, which needs the terminal height from CPR, is then not drawn;
its text is tested in test_chat_turns.py).
"""

from __future__ import annotations

import base64
import json
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.conftest import subprocess_env
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty

PROMPT = "›"
LONG_SYSTEM = "You are a careful assistant. " * 700  # ~5,000 tokens
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Chat:
    """One `claudecli chat` process in a 40x100 pseudo-terminal."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str | None] | None = None,
        prelude: str = "",
        before_prompt: Callable[[ForkedSpawn], None] | None = None,
    ) -> None:
        self.child = ForkedSpawn(
            ["chat", *args],
            env=subprocess_env({"PROMPT_TOOLKIT_NO_CPR": "1", **(env or {})}),
            dimensions=(40, 100),
            encoding="utf-8",
            timeout=20,
            prelude=prelude,
        )
        self.transcript = ""
        if before_prompt is not None:  # what to do while the chat loads
            before_prompt(self.child)
        self.expect(PROMPT)

    def expect(self, pattern: str) -> str:
        """Wait for a regex; returns (and keeps) everything printed up to and including it."""
        self.child.expect(pattern)
        seen = (self.child.before or "") + str(self.child.after or "")
        self.transcript += seen
        return seen

    def line(self, text: str) -> None:
        self.child.send(text + "\r")

    def turn(self, text: str) -> str:
        """Send a message; wait for its summary line and the next prompt."""
        self.line(text)
        seen = self.expect(r"end_turn")
        self.expect(PROMPT)
        return ANSI.sub("", seen)

    def command(self, text: str, answer: str) -> str:
        self.line(text)
        seen = self.expect(answer)
        self.expect(PROMPT)
        return ANSI.sub("", seen)

    def leave(self) -> int:
        self.child.sendeof()
        self.child.expect(pexpect.EOF)
        self.transcript += self.child.before or ""
        self.child.close()
        assert "Traceback" not in self.transcript, self.transcript
        return self.child.exitstatus


def chat_requests(fake_api) -> list[dict]:
    return [r.body for r in fake_api.requests_to("/v1/messages", "POST")]


def text_of(content) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content if block.get("type") == "text")


def test_two_turns_cache_the_conversation_and_continue_resumes_it(
    cli_env, fake_api, ledger_rows, tmp_path: Path
):
    system = tmp_path / "system.md"
    system.write_text(LONG_SYSTEM, encoding="utf-8")
    chat = Chat("--plain", "-s", f"@{system}")
    assert "w5" in chat.turn("first question [[words:5]]")
    second = chat.turn("second question [[words:6]]")
    assert "w1 w2 w3 w4 w5 w6" in second
    assert re.search(r"cache read [1-9][\d,]*", second), second  # the summary line shows the cache read
    cost = chat.command("/cost", r"saved by caching[^\n]*")
    assert re.search(r"cache read\s+[1-9]", cost), cost
    assert chat.leave() == 0

    second_body = chat_requests(fake_api)[1]
    assert second_body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    assert [m["role"] for m in second_body["messages"]] == ["user", "assistant", "user"]
    rows = ledger_rows()
    assert [(row["command"], row["status"]) for row in rows] == [("chat", "ok"), ("chat", "ok")]
    assert rows[1]["cache_read_tokens"] > 5000  # the fake reported a cache read
    assert rows[0]["session_id"] == rows[1]["session_id"] is not None
    history = Path(cli_env["CLAUDECLI_HOME"]) / "data" / "history" / "default.txt"
    assert history.stat().st_mode & 0o777 == 0o600 and "second question [[words:6]]" in history.read_text()

    again = Chat("--plain", "-c")
    shown = ANSI.sub("", again.transcript)
    assert "resumed session 'first-question-words-5'" in shown
    assert "second question [[words:6]]" in shown and "w1 w2 w3 w4 w5 w6" in shown
    again.turn("third question [[words:2]]")
    assert again.leave() == 0
    third = chat_requests(fake_api)[-1]
    assert [text_of(m["content"]) for m in third["messages"]] == [
        "first question [[words:5]]",
        "w1 w2 w3 w4 w5",
        "second question [[words:6]]",
        "w1 w2 w3 w4 w5 w6",
        "third question [[words:2]]",
    ]
    assert third["system"][0]["text"] == LONG_SYSTEM  # the resumed session keeps its system prompt
    assert len(ledger_rows()) == 3 and ledger_rows()[2]["session_id"] == rows[0]["session_id"]


def test_ctrl_c_mid_stream_keeps_the_partial_answer_and_returns_to_the_prompt(cli_env, fake_api, ledger_rows):
    fake_api.token_delay = 0.03
    chat = Chat("--plain")
    chat.line("tell me a long story [[words:300]]")
    chat.expect(r"w5 ")
    chat.child.sendintr()
    chat.expect("interrupted: the partial answer is kept")
    chat.expect(PROMPT)
    fake_api.token_delay = 0
    chat.turn("go on [[words:2]]")

    messages = chat_requests(fake_api)[-1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    partial = messages[1]["content"]
    assert partial.startswith("w1 w2 w3 w4 w5") and "w300" not in partial
    assert [row["status"] for row in ledger_rows()] == ["interrupted", "ok"]

    chat.child.send("a draft I regret")
    chat.child.sendintr()  # clears the line...
    chat.line("")  # ...so Enter sends nothing
    chat.child.sendintr()
    chat.expect("Ctrl-C again or Ctrl-D to leave")
    chat.child.sendintr()
    chat.child.expect(pexpect.EOF)
    chat.child.close()
    assert chat.child.exitstatus == 0
    assert len(chat_requests(fake_api)) == 2


def test_interrupt_before_the_first_token_puts_the_prompt_back(cli_env, fake_api, ledger_rows):
    fake_api.latency = 1.0
    chat = Chat("--plain")
    chat.line("a question worth keeping")
    chat.expect("claude-sonnet-5-5…")  # the spinner (shown from Enter, while the warm-up finishes)...
    deadline = time.monotonic() + 60
    while not chat_requests(fake_api) and time.monotonic() < deadline:
        time.sleep(0.02)  # ...until the request is in flight (the fake holds its answer for 1 s)
    chat.child.sendintr()
    chat.expect("your prompt is back on the input line")
    chat.expect(PROMPT)
    fake_api.latency = 0
    chat.turn(" [[echo]]")  # the restored text is still on the line; this appends to it
    assert chat_requests(fake_api)[-1]["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "a question worth keeping [[echo]]",
                    "cache_control": {"type": "ephemeral", "ttl": "5m"},
                }
            ],
        }
    ]
    assert [row["status"] for row in ledger_rows()] == ["interrupted", "ok"]
    assert chat.leave() == 0


def test_bracketed_paste_is_one_message_and_markdown_is_rendered(cli_env, fake_api):
    chat = Chat()
    chat.child.send("\x1b[200~line1\nline2\nline3\nline4\nline5\x1b[201~")
    chat.turn("")
    assert len(chat_requests(fake_api)) == 1
    assert (
        text_of(chat_requests(fake_api)[0]["messages"][0]["content"]) == "line1\nline2\nline3\nline4\nline5"
    )

    chat.child.send("first line\x1b\r")  # Esc Enter (as terminals send Alt-Enter) inserts a newline
    chat.turn("second line")
    assert text_of(chat_requests(fake_api)[-1]["messages"][-1]["content"]) == "first line\nsecond line"

    rendered = chat.turn("[[markdown]]")
    assert "Fake API report" in rendered and "# Fake" not in rendered  # the heading is rendered, not raw

    # Keys prompt-toolkit parses as a mouse report (mouse reporting is never on) are dropped: its own handler
    # raised KeyError on this one and stopped at "Press ENTER to continue".
    chat.child.send("\x1b[M~~~")
    chat.turn("after a stray report")
    assert text_of(chat_requests(fake_api)[-1]["messages"][-1]["content"]) == "after a stray report"
    assert "Traceback" not in chat.transcript and "Press ENTER" not in chat.transcript
    assert chat.leave() == 0


def test_slash_commands_in_a_terminal(cli_env, fake_api, ledger_rows, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("the secret word is teapot", encoding="utf-8")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\nopen(sys.argv[1], 'w').write('written in the editor [[echo]]\\n')\n", encoding="utf-8"
    )
    export = tmp_path / "out.md"
    no_clipboard_tool = {"DISPLAY": None, "WAYLAND_DISPLAY": None, "TMUX": None}
    chat = Chat("--plain", env={"EDITOR": f"{sys.executable} {editor}", **no_clipboard_tool})

    chat.child.send("/mo\t")  # Tab completes the command (echoed in one or two redraws)...
    chat.expect(r"/mo(?:\x1b\[[0-9;?]*[A-Za-z])*del")
    chat.child.send(" hai\t")  # ...and the model alias (echoed in one or two redraws)
    chat.expect(r"hai(?:\x1b\[[0-9;?]*[A-Za-z])*ku")
    chat.line("")
    chat.expect("model: claude-haiku-5-5")
    chat.expect(PROMPT)
    chat.command("/system Answer in French.", "system prompt set")
    chat.command(f"/attach {notes}", "your next message carries")
    chat.turn("what is the word? [[words:3]]")
    body = chat_requests(fake_api)[-1]
    assert body["model"] == "claude-haiku-5-5" and body["system"] == "Answer in French."
    assert body["messages"][0]["content"][0]["source"]["data"] == "the secret word is teapot"

    chat.line("/retry")
    chat.expect("end_turn")
    chat.expect(PROMPT)
    retry = chat_requests(fake_api)[-1]
    assert retry["messages"] == body["messages"] and len(chat_requests(fake_api)) == 2

    chat.turn("second [[words:2]]")
    chat.command("/undo", "removed the last exchange")
    chat.line("/edit")  # the editor's text lands on the input line; Enter sends it
    chat.expect("written in the editor")
    chat.turn("")
    edited = chat_requests(fake_api)[-1]["messages"]
    assert [m["role"] for m in edited] == ["user", "assistant", "user"]
    assert text_of(edited[-1]["content"]) == "written in the editor [[echo]]"

    chat.command("/save french-lesson", "saved as 'french-lesson'")
    chat.command("/compact", "compacted 1 exchange")
    assert chat_requests(fake_api)[-1]["model"] == "claude-haiku-5-5"
    assert chat_requests(fake_api)[-1]["system"].startswith("You compress conversations")
    chat.command(f"/export {export}", "wrote")
    assert "## Summary of earlier turns" in export.read_text(encoding="utf-8")
    chat.command(
        "/copy", r"sent the last answer[\s\S]*?OSC\s+52;\s+your\s+terminal\s+may\s+ignore\s+it"
    )  # wrapped
    assert "\x1b]52;c;" + base64.b64encode(b"written in the editor [[echo]]").decode() in chat.transcript

    chat.command("/clear", "new conversation; the previous one is saved: /resume french-lesson")
    chat.turn("unrelated [[words:1]]")
    assert len(chat_requests(fake_api)[-1]["messages"]) == 1
    chat.command("/sessions", "french-lesson")
    resumed = chat.command("/resume french-lesson", "resumed session 'french-lesson'[^\n]*")
    assert "french-lesson" in resumed
    chat.command("/nosuch", "unknown command /nosuch")
    chat.command("/help", "/compact")
    chat.line("/exit")
    chat.child.expect(pexpect.EOF)
    chat.child.close()
    assert chat.child.exitstatus == 0

    commands = [row["command"] for row in ledger_rows()]
    assert commands == ["chat", "chat", "chat", "chat", "chat-compact", "chat"]
    assert "Traceback" not in chat.transcript


def test_start_options_and_a_named_session(cli_env, fake_api, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("remember the teapot", encoding="utf-8")
    chat = Chat(
        "--plain",
        "--session",
        "work",
        "-m",
        "haiku",
        "--thinking",
        "adaptive",
        "-a",
        str(notes),
        "-s",
        "Be brief.",
    )
    assert "new session 'work'" in ANSI.sub("", chat.transcript)
    assert "your first message carries" in ANSI.sub("", chat.transcript)
    chat.turn("what should I remember?")
    body = chat_requests(fake_api)[-1]
    assert body["model"] == "claude-haiku-5-5" and body["thinking"] == {"type": "adaptive"}
    assert body["system"] == "Be brief."
    assert body["messages"][0]["content"][0]["source"]["data"] == "remember the teapot"
    chat.turn("and then? [[words:2]]")
    assert "document" not in json.dumps(chat_requests(fake_api)[-1]["messages"][-1])  # only the first message
    assert chat.leave() == 0

    again = Chat("--plain", "--session", "work")
    assert "resumed session 'work'" in ANSI.sub("", again.transcript)
    again.turn("third [[words:1]]")
    body = chat_requests(fake_api)[-1]
    assert body["model"] == "claude-haiku-5-5" and body["system"] == "Be brief."  # kept with the session
    assert len(body["messages"]) == 5
    assert again.leave() == 0


def test_sigterm_ends_the_chat_at_the_prompt(cli_env, fake_api, ledger_rows):
    """Mid-stream, SIGTERM books the call as interrupted, keeps the turn and exits 143: test_sigterm_keeps.py."""
    chat = Chat("--plain", "--session", "killed")
    chat.turn("first [[words:3]]")
    chat.child.kill(signal.SIGTERM)  # at the prompt: leaves, unlike Ctrl-C which only clears the line
    chat.child.expect(pexpect.EOF)
    chat.child.close()
    assert chat.child.exitstatus == 143
    assert [row["status"] for row in ledger_rows()] == ["ok"]


# A probe run before the program (see tests/zygote.py): SIGUSR1 drops an object whose weakref callback raises
# SIGTERM, so the SIGTERM handler runs inside that callback, where Python prints and drops any exception ("Exception
# ignored in ..."), as in a __del__. At the prompt that is where a SIGTERM can land: prompt-toolkit's drawing drops a
# Document every few microseconds, and its cache's weakref callback runs.
SIGTERM_IN_A_WEAKREF_CALLBACK = """
import signal, weakref
class _Dropped:
    pass
def _sigterm_here(_reference):
    signal.raise_signal(signal.SIGTERM)
def _drop_one(_signum, _frame):
    dropped = _Dropped()
    reference = weakref.ref(dropped, _sigterm_here)
    del dropped
signal.signal(signal.SIGUSR1, _drop_one)
"""


def test_sigterm_at_the_prompt_is_not_lost_where_python_ignores_exceptions(cli_env, fake_api, ledger_rows):
    """A SIGTERM handled inside a finalizer or weakref callback once vanished: the chat stayed at the prompt."""
    chat = Chat("--plain", "--session", "killed", prelude=SIGTERM_IN_A_WEAKREF_CALLBACK)
    chat.turn("first [[words:3]]")
    chat.child.kill(signal.SIGUSR1)
    chat.child.expect(pexpect.EOF, timeout=5)
    chat.transcript += chat.child.before or ""
    chat.child.close()
    assert chat.child.exitstatus == 143
    assert "Exception ignored" not in chat.transcript and "Traceback" not in chat.transcript, chat.transcript
    assert [row["status"] for row in ledger_rows()] == ["ok"]


def test_a_sigterm_dropped_during_a_turn_still_ends_the_chat_at_the_next_prompt(
    cli_env, fake_api, ledger_rows
):
    """The same dropped SIGTERM mid-answer: the answer goes on (Python threw the exception away), but the chat
    does not wait at the prompt after it."""
    fake_api.token_delay = 0.05
    chat = Chat("--plain", "--session", "killed", prelude=SIGTERM_IN_A_WEAKREF_CALLBACK)
    chat.line("first [[words:40]]")
    chat.expect("w3 ")
    chat.child.kill(signal.SIGUSR1)
    chat.child.expect(pexpect.EOF, timeout=10)
    chat.transcript += chat.child.before or ""
    chat.child.close()
    assert chat.child.exitstatus == 143, chat.transcript
    assert len(ledger_rows()) == 1


def _loading_with_echo_hidden(fd: int) -> bool:
    """The tty as the chat leaves it while it loads: no echo, but still canonical (prompt-toolkit's raw mode,
    once the prompt is up, is neither)."""
    import termios

    lflag = termios.tcgetattr(fd)[3]
    return not lflag & termios.ECHO and bool(lflag & termios.ICANON)


def test_keys_typed_while_the_chat_loads_show_once_at_its_prompt(cli_env, fake_api):
    """The tty echoed them where the cursor was, and the prompt showed them again: two copies on screen."""

    def type_while_loading(child: ForkedSpawn) -> None:
        deadline = time.monotonic() + 20
        while not _loading_with_echo_hidden(child.child_fd):
            assert time.monotonic() < deadline, "the echo was never hidden while the chat loaded"
            time.sleep(0.0005)
        child.send("typed early")

    chat = Chat(before_prompt=type_while_loading)
    assert "typed early" not in chat.transcript  # not echoed above the prompt
    chat.expect("typed early")  # shown once, at the prompt
    chat.turn("")
    assert text_of(chat_requests(fake_api)[0]["messages"][0]["content"]) == "typed early"
    assert chat.leave() == 0
