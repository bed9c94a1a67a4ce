"""Chat turns with tools, in-process: the real SDK over real HTTP against the fake API (which refuses bad
tool_use/tool_result pairing and bad thinking signatures), real tool subprocesses, real SQLite.

The person at the terminal is a scripted ``ask_person`` here; the prompt-toolkit prompt itself is driven in a
pseudo-terminal in test_chat_tools_pty.py.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from claudecli.chat.repl import handle_line
from claudecli.chat.session_store import SessionStore
from claudecli.chat.state import ChatState
from claudecli.chat.tooling import open_tools
from claudecli.chat.turn import run_turn
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.tools.approval import PersonAnswer
from claudecli.tools.options import ToolOptions

PY = json.dumps(sys.executable)


def touch_tool(name: str, marker: Path, approval: str | None = None) -> str:
    """A [tools.NAME] whose side effect is appending its input to ``marker``; it answers ``touched N``."""
    code = (
        "import sys, json; data = sys.stdin.read(); "
        f"open({str(marker)!r}, 'a').write(data + '\\n'); print('touched ' + str(json.loads(data).get('n')))"
    )
    line = f'approval = "{approval}"\n' if approval else ""
    schema = 'input_schema = { type = "object", properties = { n = { type = "integer" } } }\n'
    return f'[tools.{name}]\ndescription = "Touch a file"\ncommand = [{PY}, "-c", {json.dumps(code)}]\n{schema}{line}'


class Person:
    """A scripted person: answers in order, records what was asked."""

    def __init__(self, *answers: PersonAnswer) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, dict]] = []

    def __call__(self, tool, call) -> PersonAnswer:
        self.asked.append((tool.name, dict(call.input)))
        return self.answers.pop(0)


@pytest.fixture
def marker(tmp_path: Path, write_config) -> Path:
    path = tmp_path / "touched.mark"
    write_config(touch_tool("toucher", path))
    return path


@pytest.fixture
def make_chat(cli_env):
    opened: list[tuple[AppContext, SessionStore, ChatState]] = []

    def make(options: ToolOptions | None = None, person=None, session: str | None = None, thinking=None):
        settings = load_settings()
        app_ctx = AppContext.create(
            settings, stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(""), environ={}
        )
        store = SessionStore(settings.paths.sessions_file)
        meta = store.find(session) if session else None
        if meta is not None:
            chat = ChatState(app_ctx, store, meta, persisted=True)
        else:
            chat = ChatState.fresh(
                app_ctx, store, model="claude-sonnet-5-5", system=None, thinking=thinking, name=session
            )
        chat.tools = open_tools(app_ctx, options or ToolOptions(), person)
        opened.append((app_ctx, store, chat))
        return chat

    yield make
    for app_ctx, store, chat in opened:
        chat.tools.close()
        store.close()
        app_ctx.close()


def err(chat: ChatState) -> str:
    return chat.app_ctx.stderr.file.getvalue()  # type: ignore[attr-defined]


def out(chat: ChatState) -> str:
    return chat.app_ctx.stdout.file.getvalue()  # type: ignore[attr-defined]


def sent(fake_api) -> list[dict]:
    return [r.body for r in fake_api.requests_to("/v1/messages", "POST")]


def block_types(body: dict) -> list[list[str]]:
    return [
        [b["type"] for b in m["content"]] if isinstance(m["content"], list) else ["str"]
        for m in body["messages"]
    ]


TOUCH = '[[call:toucher {"n": 7}]]'


def test_a_config_tool_round_trip_is_shown_stored_and_booked(make_chat, fake_api, marker, ledger_rows):
    person = Person(PersonAnswer("y"))
    chat = make_chat(ToolOptions(toolsets=("toucher",)), person)
    result = run_turn(chat, f"touch it {TOUCH}")
    assert result.exchange is not None and result.restore_prompt is None
    assert person.asked == [("toucher", {"n": 7})]
    assert json.loads(marker.read_text()) == {"n": 7}
    assert "Tool results: touched 7" in out(chat)
    shown = err(chat)
    assert '→ toucher {"n":7}' in shown and "← toucher: touched 7 (" in shown
    assert "2 steps · 1 tool call" in shown
    bodies = sent(fake_api)
    assert [t["name"] for t in bodies[1]["tools"]] == ["toucher"] and bodies[0]["tools"] == bodies[1]["tools"]
    assert block_types(bodies[1]) == [["text"], ["tool_use"], ["tool_result"]]
    exchange = chat.store.exchanges(chat.meta.id)[0]
    assert (
        exchange.calls == 2
        and exchange.tool_calls == 1
        and exchange.answer.strip() == "Tool results: touched 7"
    )
    assert chat.totals.calls == 2
    rows = ledger_rows()
    assert [(r["step"], r["session_id"]) for r in rows] == [(1, chat.meta.id), (2, chat.meta.id)]
    assert rows[0]["loop_id"] == rows[1]["loop_id"] is not None
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(float(exchange.cost_usd))


def test_declined_in_chat_the_tool_does_not_run_and_the_model_is_told(make_chat, fake_api, marker):
    chat = make_chat(ToolOptions(toolsets=("toucher",)), Person(PersonAnswer("n")))
    run_turn(chat, f"touch it {TOUCH}")
    assert not marker.exists()
    assert "Tool results: error: declined by the user" in out(chat)
    assert "✗ toucher not run: declined by the user" in err(chat)
    result = sent(fake_api)[1]["messages"][-1]["content"][0]
    assert result["is_error"] is True and result["content"] == "declined by the user"


def test_edited_arguments_are_what_runs(make_chat, fake_api, marker):
    chat = make_chat(ToolOptions(toolsets=("toucher",)), Person(PersonAnswer("e", {"n": 8})))
    run_turn(chat, f"touch it {TOUCH}")
    assert json.loads(marker.read_text()) == {"n": 8}
    assert "Tool results: touched 8" in out(chat)


def test_a_resumed_session_replays_its_tool_steps_and_goes_on(make_chat, fake_api, marker):
    first = make_chat(ToolOptions(toolsets=("toucher",)), Person(PersonAnswer("a")), session="work")
    run_turn(first, f"touch it {TOUCH}")
    run_turn(first, f"again {TOUCH}")  # "a" before: not asked again in this chat
    stored = [e.steps for e in first.store.exchanges(first.meta.id)]

    again = make_chat(ToolOptions(toolsets=("toucher",)), Person(), session="work")
    assert again.meta.id == first.meta.id and len(again.conversation) == 2
    result = run_turn(again, "what did the tool say?")
    assert result.exchange is not None and result.exchange.status == "ok"
    body = sent(fake_api)[-1]
    expected: list[dict] = []
    for prompt, steps in zip((f"touch it {TOUCH}", f"again {TOUCH}"), stored, strict=True):
        expected += [{"role": "user", "content": prompt}, *steps]
    assert body["messages"][:-1] == expected  # block for block, as stored
    assert marker.read_text().count("\n") == 2


def test_resumed_without_the_tools_the_steps_go_as_text(make_chat, fake_api, marker):
    first = make_chat(ToolOptions(toolsets=("toucher",)), Person(PersonAnswer("y")), session="work")
    run_turn(first, f"touch it {TOUCH}")
    plain = make_chat(session="work")
    result = run_turn(plain, "and now?")
    assert result.exchange is not None and result.exchange.status == "ok"
    body = sent(fake_api)[-1]
    assert "tools" not in body
    assert block_types(body) == [["str"], ["str"], ["text"]]
    assert '[called toucher {"n":7}]' in body["messages"][1]["content"]
    handle_line(plain, "/tools")
    assert "no tools are enabled in this chat; start chat with --tools fs" in err(plain)


def test_undo_removes_the_whole_exchange_with_its_tool_steps(make_chat, fake_api, marker):
    chat = make_chat(ToolOptions(toolsets=("toucher",)), Person(PersonAnswer("y")))
    run_turn(chat, "hello")
    run_turn(chat, f"touch it {TOUCH}")
    handle_line(chat, "/undo")
    assert "removed the last exchange (touch it" in err(chat)
    run_turn(chat, "next")
    body = sent(fake_api)[-1]
    assert block_types(body) == [["str"], ["str"], ["text"]]
    assert [e.state for e in chat.store.exchanges(chat.meta.id, everything=True)] == [
        "active",
        "undone",
        "active",
    ]


def test_retry_replaces_a_tool_exchange_and_asks_again(make_chat, fake_api, marker):
    person = Person(PersonAnswer("y"), PersonAnswer("n"))
    chat = make_chat(ToolOptions(toolsets=("toucher",)), person)
    run_turn(chat, f"touch it {TOUCH}")
    handle_line(chat, "/retry")
    assert len(person.asked) == 2 and len(chat.conversation) == 1
    assert chat.conversation.exchanges[0].answer == "Tool results: error: declined by the user"
    handle_line(chat, "/undo")
    assert len(chat.conversation) == 0


def test_the_step_limit_keeps_the_steps_and_the_next_turn_is_valid(make_chat, fake_api, marker):
    options = ToolOptions(toolsets=("toucher",), yes=True, max_steps=2)
    chat = make_chat(options)
    result = run_turn(chat, '[[call_forever:toucher {"n": 1}]]')
    assert result.exchange is not None and result.restore_prompt is None
    assert "stopped after 2 steps" in err(chat) and "the steps so far are kept" in err(chat)
    assert result.exchange.status == "max_steps" and result.exchange.calls == 2
    run_turn(chat, "stop calling tools")
    body = sent(fake_api)[-1]
    assert block_types(body)[-1] == ["tool_result", "text"]  # the loop's last results, then the new prompt


def test_tools_lists_the_tools_with_source_and_approval(make_chat, fake_api, marker):
    chat = make_chat(ToolOptions(toolsets=("toucher", "fs"), web_search=True), Person())
    handle_line(chat, "/tools")
    shown = err(chat)
    for row in (("toucher", "config", "ask"), ("read_file", "fs", "auto"), ("web_search", "server")):
        assert any(all(cell in line for cell in row) for line in shown.splitlines()), (row, shown)
    assert "at most 10 steps per answer" in shown


def test_web_search_results_show_as_a_short_list_and_replay(make_chat, fake_api):
    chat = make_chat(ToolOptions(web_search=True))
    run_turn(chat, "look it up [[search:fake things]]")
    shown = err(chat)
    assert "web search: 2 results" in shown and "Fake result one — https://example.com/result-1" in shown
    run_turn(chat, "thanks")
    body = sent(fake_api)[-1]
    assert block_types(body)[1] == ["server_tool_use", "web_search_tool_result", "text"]


def test_export_and_compact_tell_the_tool_steps_as_text(make_chat, fake_api, marker, tmp_path):
    chat = make_chat(ToolOptions(toolsets=("toucher",)), Person(PersonAnswer("y")))
    run_turn(chat, f"touch it {TOUCH}")
    run_turn(chat, "second")
    handle_line(chat, f"/export {tmp_path / 'chat.md'}")
    exported = (tmp_path / "chat.md").read_text()
    assert '[called toucher {"n":7}]' in exported and "[tool result: touched 7]" in exported
    handle_line(chat, "/compact")
    summary_request = sent(fake_api)[-1]
    assert "tools" not in summary_request
    transcript = summary_request["messages"][0]["content"]
    assert '[called toucher {"n":7}]' in transcript and "[tool result: touched 7]" in transcript
    run_turn(chat, "third")
    assert block_types(sent(fake_api)[-1]) == [["str"], ["str"], ["text"]]


def test_a_functions_tool_round_trip_with_thinking_and_resume(make_chat, fake_api, tmp_path):
    functions = tmp_path / "funcs.py"
    functions.write_text(
        'def shout(text: str) -> str:\n    """Upper-case the text."""\n    return text.upper()\n'
    )
    options = ToolOptions(functions=(functions,), approve=("shout",))
    chat = make_chat(options, session="fn", thinking="adaptive")
    run_turn(chat, 'shout [[call:shout {"text": "quiet"}]]')
    assert "Tool results: QUIET" in out(chat)
    steps = chat.conversation.exchanges[0].steps
    assert steps is not None and steps[0]["content"][0]["type"] == "thinking"
    again = make_chat(options, session="fn")
    result = run_turn(again, "again?")  # the fake checks the stored thinking block and its signature
    assert result.exchange is not None and result.exchange.status == "ok", err(again)


def test_ask_session_keeps_its_tool_loop_and_chat_replays_it(cli_env, run_cli, fake_api, marker, make_chat):
    """``ask --session`` with tools stores the loop as chat does (it stored nothing before), and the session
    goes on in ask or in chat with valid tool_use/tool_result pairs."""
    first = run_cli("ask", "--session", "shared", "--tools", "toucher", "--yes", f"touch it {TOUCH}")
    assert first.exit_code == 0, first.stderr
    second = run_cli("ask", "--session", "shared", "--tools", "toucher", "what did it say?")
    assert second.exit_code == 0, second.stderr
    body = sent(fake_api)[-1]
    assert block_types(body) == [["text"], ["tool_use"], ["tool_result"], ["text"], ["text"]]
    chat = make_chat(ToolOptions(toolsets=("toucher",)), Person(), session="shared")
    assert [e.calls for e in chat.conversation.exchanges] == [2, 1]
    run_turn(chat, "and in chat?")
    assert block_types(sent(fake_api)[-1])[:3] == [["text"], ["tool_use"], ["tool_result"]]
    plain = run_cli("ask", "--session", "shared", "no tools now")  # the steps go as text
    assert plain.exit_code == 0, plain.stderr
    assert '[called toucher {"n":7}]' in sent(fake_api)[-1]["messages"][1]["content"]
