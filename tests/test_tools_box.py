"""The toolbox: one result per call in order, read-only calls together, sources' bugs contained, results
cleaned of escapes and secrets and capped."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from claudecli.tools import box as box_module
from claudecli.tools.approval import make_approver
from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult
from claudecli.tools.box import Toolbox
from claudecli.tools.options import ToolOptions
from claudecli.tools.sanitize import strip_escapes


class Together:
    """Read-only tools that only finish when two of them run at the same time; one tool that raises."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=5)

    def tools(self) -> list[Tool]:
        schema = {"type": "object"}
        return [
            Tool("wait_a", "a", schema, Approval.AUTO, read_only=True),
            Tool("wait_b", "b", schema, Approval.AUTO, read_only=True),
            Tool("broken", "c", schema, Approval.AUTO),
            Tool("loud", "d", schema, Approval.AUTO),
        ]

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        if tool.name == "broken":
            raise RuntimeError("a bug in the source")
        if tool.name == "loud":
            return ToolResult(call.id, "\x1b]52;c;cGF5bG9hZA==\x07secret-value-123 " + "x" * 200)
        self.barrier.wait()
        return ToolResult(call.id, tool.name)

    def close(self) -> None:
        pass


def make_box() -> Toolbox:
    scrub = lambda text: text.replace("secret-value-123", "********")  # noqa: E731
    return Toolbox([Together()], make_approver(ToolOptions(), None), scrub)


def test_read_only_calls_run_together_and_results_keep_the_calls_order(monkeypatch):
    monkeypatch.setattr(box_module, "RESULT_LIMIT", 50)
    calls = [
        ToolCall("1", "broken", {}),
        ToolCall("2", "wait_b", {}),
        ToolCall("3", "nope", {}),
        ToolCall("4", "wait_a", {}),
        ToolCall("5", "loud", {}),
    ]
    results = make_box().execute(calls, threading.Event())
    assert [r.tool_use_id for r in results] == ["1", "2", "3", "4", "5"]
    assert (results[0].content, results[0].is_error) == ("RuntimeError: a bug in the source", True)
    assert results[1].content == "wait_b" and results[3].content == "wait_a"  # would deadlock if run in turn
    assert results[2].content == "unknown tool 'nope'" and results[2].is_error
    assert results[4].content.startswith("******** xxx")
    assert "\x1b" not in results[4].content and "[result truncated" in results[4].content


@given(st.text(alphabet=st.characters(max_codepoint=0x2070, blacklist_categories=()), max_size=200))
def test_strip_escapes_leaves_no_control_character_but_newline_and_tab(text):
    cleaned = strip_escapes(text)
    cleaned.encode("utf-8")  # valid text: no lone surrogate
    assert not any(ord(char) < 32 and char not in "\n\t" for char in cleaned)
    assert not any(0x7F <= ord(char) <= 0x9F for char in cleaned)
    assert not any(0x202A <= ord(char) <= 0x202E or 0x2066 <= ord(char) <= 0x2069 for char in cleaned)


def test_strip_escapes_removes_whole_sequences():
    assert strip_escapes("a\x1b[1;31mb\x1b[0m\x1b]0;title\x07c\x1b]8;;http://x\x1b\\d\r\ne\rf") == "abcd\nef"
