"""The tool loop (call/tool_loop.py) against the fake API over real HTTP, with tools that run real subprocesses."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from claudecli.call.stream import CallSpec
from claudecli.call.tool_loop import INTERRUPTED_RESULT, NOT_RUN_RESULT, LoopEvents, LoopFailed, run_tool_loop
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.errors import ExitCode, Interrupted, MaxStepsReached
from claudecli.tools.base import Approval, Decision, Tool, ToolCall, ToolResult
from claudecli.tools.box import Toolbox
from tests.fakeapi import Fault

MODEL = "claude-sonnet-5-5"
# The tool's own program: input JSON on stdin, a marker file as its side effect, the result on stdout.
NOTE_SCRIPT = (
    "import json, pathlib, sys\n"
    "args = json.load(sys.stdin)\n"
    "marker = pathlib.Path(sys.argv[1]) / ('note-' + args['text'])\n"
    "marker.write_text('written')\n"
    "print('noted:' + args['text'], end='')\n"
)


class NoteSource:
    """A tool source for tests: ``note`` runs a real python subprocess; ``on_run`` lets a test act mid-loop."""

    def __init__(self, marker_dir: Path, on_run: Any = None) -> None:
        self.marker_dir = marker_dir
        self.on_run = on_run
        self.runs = 0

    def tools(self) -> list[Tool]:
        schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
        return [Tool("note", "Write a note.", schema, approval=Approval.AUTO, source="test")]

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        self.runs += 1
        if self.on_run is not None:
            self.on_run()
        done = subprocess.run(
            [sys.executable, "-c", NOTE_SCRIPT, str(self.marker_dir)],
            input=json.dumps(call.input),
            capture_output=True,
            text=True,
            timeout=30,
        )
        return ToolResult(call.id, done.stdout, is_error=done.returncode != 0)

    def close(self) -> None:
        pass


def approve_all(tool: Tool, call: ToolCall) -> Decision:
    return Decision(run=True)


@pytest.fixture
def app_ctx(cli_env: dict[str, str]) -> AppContext:
    return AppContext.create(
        load_settings(environ=cli_env),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        stdin=io.StringIO(""),
        environ={},
    )


def toolbox(tmp_path: Path, on_run: Any = None) -> tuple[Toolbox, NoteSource]:
    source = NoteSource(tmp_path, on_run)
    return Toolbox([source], approve_all, lambda text: text), source


def spec(prompt: str, *, max_tokens: int = 300, **params: Any) -> CallSpec:
    return CallSpec(
        command="ask",
        params={
            "model": MODEL,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt}],
            **params,
        },
    )


def events() -> LoopEvents:
    return LoopEvents(on_text=lambda _chunk: None)


def rows(home: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(home / "data" / "usage.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM calls ORDER BY id")]


def test_several_calls_in_one_turn_get_their_results_in_one_message(app_ctx, fake_api, tmp_path, home):
    box, _ = toolbox(tmp_path)
    prompt = '[[call:note {"text": "one"}]] [[call:note {"text": "two"}]]'
    loop = run_tool_loop(app_ctx, spec(prompt), box, max_steps=5, events=events())

    assert (tmp_path / "note-one").exists() and (tmp_path / "note-two").exists()
    assert loop.final.text == "Tool results: noted:one | noted:two"
    assert len(loop.steps) == 2 and loop.tool_calls == 2 and loop.stopped is None
    second = fake_api.requests_to("/v1/messages")[1].body
    assistant, results = second["messages"][1], second["messages"][2]
    use_ids = [b["id"] for b in assistant["content"] if b["type"] == "tool_use"]
    assert [b["tool_use_id"] for b in results["content"]] == use_ids  # one user message, in order
    assert second["tools"] == fake_api.requests_to("/v1/messages")[0].body["tools"]  # the same tool set
    booked = rows(home)
    assert [(r["loop_id"], r["step"]) for r in booked] == [(loop.loop_id, 1), (loop.loop_id, 2)]
    assert loop.cost_usd == sum(step.outcome.cost_usd for step in loop.steps)
    assert loop.messages[-1] == {"role": "assistant", "content": loop.final.content}


def test_max_steps_stops_the_loop_with_its_exit_code_and_books_every_step(app_ctx, tmp_path, home):
    box, source = toolbox(tmp_path)
    with pytest.raises(LoopFailed) as caught:
        run_tool_loop(
            app_ctx, spec('[[call_forever:note {"text": "again"}]]'), box, max_steps=3, events=events()
        )
    failure = caught.value
    assert isinstance(failure.error, MaxStepsReached) and failure.exit_code == ExitCode.MAX_STEPS == 12
    assert "--max-steps" in failure.error.one_line() and "\n" not in failure.error.one_line()
    partial = failure.partial
    # The third step's calls are not run: no step is left to send their results in.
    assert partial.stopped == "max_steps" and len(partial.steps) == 3 and source.runs == 2
    assert [r["step"] for r in rows(home)] == [1, 2, 3]
    last = partial.messages[-1]  # answered without running, so the kept transcript is validly paired
    assert last["role"] == "user" and last["content"][0]["content"] == NOT_RUN_RESULT
    assert partial.steps[-1].results[0].declined


def test_a_tool_use_cut_off_at_max_tokens_is_never_run(app_ctx, tmp_path):
    box, source = toolbox(tmp_path)
    prompt = '[[call:note {"text": "' + "x" * 200 + '"}]]'
    loop = run_tool_loop(app_ctx, spec(prompt, max_tokens=5), box, max_steps=5, events=events())
    assert loop.final.stop_reason == "max_tokens" and loop.stopped == "max_tokens"
    assert source.runs == 0 and not list(tmp_path.glob("note-*"))
    assert all(b["type"] != "tool_use" for m in loop.messages for b in m["content"])


def test_thinking_blocks_and_signatures_go_back_unchanged(app_ctx, fake_api, tmp_path):
    box, _ = toolbox(tmp_path)
    thinking = {"type": "enabled", "budget_tokens": 1024}
    loop = run_tool_loop(
        app_ctx,
        spec('[[call:note {"text": "t"}]]', max_tokens=2000, thinking=thinking),
        box,
        max_steps=5,
        events=events(),
    )
    assert loop.final.text == "Tool results: noted:t"  # the fake checks thinking-first and the signature
    sent = fake_api.requests_to("/v1/messages")[1].body["messages"][1]["content"][0]
    first = loop.steps[0].outcome.content[0]
    assert sent["type"] == "thinking" and sent["signature"] == first["signature"] != ""


def test_ctrl_c_during_a_tool_sets_cancel_and_keeps_a_valid_transcript(app_ctx, tmp_path, home):
    def interrupt() -> None:
        raise KeyboardInterrupt

    box, _ = toolbox(tmp_path, on_run=interrupt)
    cancel = threading.Event()
    with pytest.raises(LoopFailed) as caught:
        run_tool_loop(
            app_ctx, spec('[[call:note {"text": "c"}]]'), box, max_steps=5, events=events(), cancel=cancel
        )
    assert isinstance(caught.value.error, Interrupted) and cancel.is_set()
    last = caught.value.partial.messages[-1]
    assert last["role"] == "user" and last["content"][0]["content"] == INTERRUPTED_RESULT
    assert [r["status"] for r in rows(home)] == ["ok"]  # what was sent is booked


def test_ctrl_c_between_steps_keeps_the_steps_so_far(app_ctx, tmp_path, home):
    def interrupt_second_step(number: int) -> None:
        if number == 2:  # after the tools ran, before the next call: not inside a stream or a tool
            raise KeyboardInterrupt

    box, _ = toolbox(tmp_path)
    loop_events = LoopEvents(on_text=lambda _: None, on_step=interrupt_second_step)
    with pytest.raises(LoopFailed) as caught:
        run_tool_loop(app_ctx, spec('[[call:note {"text": "b"}]]'), box, max_steps=5, events=loop_events)
    assert isinstance(caught.value.error, Interrupted)
    partial = caught.value.partial
    assert len(partial.steps) == 1 and partial.messages[-1]["content"][0]["type"] == "tool_result"
    assert [r["status"] for r in rows(home)] == ["ok"]


def test_an_api_error_mid_loop_keeps_the_partial_loop(app_ctx, fake_api, tmp_path, home):
    def fail_next_step() -> None:
        fake_api.enqueue(Fault.status(400, "invalid_request_error", "bad step"))

    box, _ = toolbox(tmp_path, on_run=fail_next_step)
    with pytest.raises(LoopFailed) as caught:
        run_tool_loop(app_ctx, spec('[[call:note {"text": "e"}]]'), box, max_steps=5, events=events())
    assert len(caught.value.partial.steps) == 2
    assert [r["status"] for r in rows(home)] == ["ok", "invalid_request_error"]
    assert rows(home)[1]["step"] == 2


def test_no_tools_is_one_plain_call(app_ctx, fake_api, home):
    loop = run_tool_loop(app_ctx, spec("[[words:3]]"), None, max_steps=5, events=events())
    assert loop.final.text == "w1 w2 w3" and loop.loop_id == ""
    assert "tools" not in fake_api.last_request("/v1/messages").body
    assert [(r["loop_id"], r["step"]) for r in rows(home)] == [(None, None)]


def test_pause_turn_is_continued_into_the_same_assistant_message(app_ctx, fake_api):
    tools = [{"type": "web_search_20260318", "name": "web_search"}]
    seen: list[dict[str, Any]] = []
    loop = run_tool_loop(
        app_ctx,
        spec("[[pause]]", tools=tools),
        None,
        max_steps=5,
        events=LoopEvents(on_text=lambda _c: None, on_server_tool=seen.append),
    )
    assert [s.outcome.stop_reason for s in loop.steps] == ["pause_turn", "end_turn"]
    continued = fake_api.requests_to("/v1/messages")[1].body["messages"]
    assert continued[-1]["role"] == "assistant"  # the paused turn sent back as it was
    assert [m["role"] for m in loop.messages] == ["assistant"]
    kinds = [b["type"] for b in loop.messages[0]["content"]]
    assert kinds == ["server_tool_use", "web_search_tool_result", "text"]
    assert seen and seen[0]["type"] == "web_search_tool_result"
