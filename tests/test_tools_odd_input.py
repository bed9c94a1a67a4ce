"""Odd tool input from the model (deeply nested, strange JSON) is an error result or one clean error line.

The SDK's stream cannot parse tool input nested ~255 levels deep and raised a bare ValueError ("unexpected
ValueError", exit 1); below that, whatever JSON comes in, the toolbox answers every call and never raises.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claudecli.core.tool_config import ConfiguredTool
from claudecli.render.tool_trace import tool_event_line
from claudecli.tools.base import Decision, ToolCall
from claudecli.tools.box import Toolbox, ToolEvent
from claudecli.tools.command import CommandTools
from claudecli.tools.fs import FsTools
from tests.conftest import assert_no_traceback


def _nested(depth: int) -> str:
    return '{"path": "x", "a": ' + "[" * depth + "]" * depth + "}"


def test_tool_input_nested_too_deep_for_the_sdk_is_one_line_and_exit_7(
    cli_env, run_cli, fake_api, ledger_rows
):
    result = run_cli("ask", "--tools", "fs", f"[[call:read_file {_nested(300)}]]")
    assert result.exit_code == 7, result.stderr
    assert_no_traceback(result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("claudecli: error:")]
    assert len(errors) == 1 and "tool call could not be read" in errors[0]
    assert "[[[[" not in result.stderr  # the model's JSON is not dumped on the screen
    (row,) = ledger_rows()  # the call was made and paid for: it is booked
    assert row["status"] == "unreadable_tool_input"


def test_nested_input_the_sdk_can_read_runs_as_a_tool_call(cli_env, run_cli, fake_api):
    result = run_cli("ask", "--tools", "fs", f"[[call:read_file {_nested(200)}]]")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Tool results: error:")  # fs refuses the unknown argument's path "x"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
DEEP = st.integers(min_value=1, max_value=600).map(lambda depth: json.loads("[" * depth + "]" * depth))


def _box(tmp_path: Path) -> Toolbox:
    echo = ConfiguredTool(
        name="echo",
        description="d",
        command=(sys.executable, "-c", "import sys; sys.stdin.read()"),
        input_schema={"type": "object"},
        timeout=10.0,
    )
    sources = [FsTools(tmp_path), CommandTools([echo], dict)]
    return Toolbox(sources, lambda tool, call: Decision(True), lambda text: text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["list_dir", "read_file", "search_text", "echo"]),
    value=JSON | DEEP,
    key=st.sampled_from(["path", "pattern", "start_line", "glob", "regex", "x"]),
)
def test_any_json_input_gets_a_result_and_its_trace_line(tmp_path, name, value, key):
    box = _box(tmp_path)
    shown: list[object] = []

    def trace(event: ToolEvent) -> None:
        shown.append(tool_event_line(event))

    calls = [ToolCall("t1", name, {key: value}), ToolCall("t2", name, {"nested": {key: [value, value]}})]
    results = box.execute(calls, threading.Event(), trace)
    assert [result.tool_use_id for result in results] == ["t1", "t2"]
    assert all(isinstance(result.content, str) for result in results)
