"""MCP names made valid for the API and told apart; MCP results as tool_result text (pure functions)."""

from __future__ import annotations

import re
from types import SimpleNamespace as Obj

from hypothesis import given
from hypothesis import strategies as st

from claudecli.tools.mcp_content import namespaced, result_text, unique_names

API_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@given(st.lists(st.text(min_size=1, max_size=120), max_size=12), st.sets(st.text(max_size=70), max_size=5))
def test_names_are_always_valid_and_unique(tools, taken):
    names, _ = unique_names("srv", tools, set(taken))
    given_names = list(names.values())
    assert all(API_NAME.fullmatch(name) for name in given_names)
    assert len(set(given_names)) == len(set(tools))
    assert not set(given_names) & set(taken)


def test_a_clash_with_a_name_already_taken_is_renamed_with_a_warning():
    taken = {"a__b__c"}
    names, warnings = unique_names("a", ["b__c", "d"], taken)
    assert names == {"b__c": "a__b__c_2", "d": "a__d"}
    assert warnings == [
        "MCP server a: tools another a__b__c and 'b__c' have the same name for the API; 'b__c' is called a__b__c_2"
    ]
    assert {"a__b__c_2", "a__d"} <= taken


def test_long_and_odd_names_are_cut_and_cleaned():
    assert namespaced("s", "x.y/z é") == "s__x_y_z__"
    assert len(namespaced("s", "n" * 200)) == 64


def _text(text):
    return Obj(type="text", text=text)


def test_results_join_text_and_summarise_what_is_not_text():
    result = Obj(
        content=[
            _text("one"),
            _text("two"),
            Obj(type="audio", data="AAAA", mime_type="audio/wav"),
            Obj(type="resource_link", name="spec", uri="file:///spec.md"),
            Obj(type="resource", resource=Obj(uri="file:///a.txt", text="inside", mime_type="text/plain")),
            Obj(type="resource", resource=Obj(uri="file:///b.bin", blob="AAAA", mime_type=None)),
        ],
        structured_content=None,
    )
    assert result_text(result).splitlines() == [
        "one",
        "two",
        "[audio audio/wav, 3 bytes: not shown to the model]",
        "[resource link spec: file:///spec.md]",
        "[resource file:///a.txt]",
        "inside",
        "[resource file:///b.bin, binary, 3 bytes: not shown to the model]",
    ]


def test_structured_content_is_added_unless_the_text_already_says_it():
    assert result_text(Obj(content=[], structured_content={"n": 1})) == '{\n "n": 1\n}'
    assert result_text(Obj(content=[_text('{"n": 1}')], structured_content={"n": 1})) == '{"n": 1}'
    assert result_text(Obj(content=[_text("hi")], structured_content={"result": "hi"})) == "hi"
    assert result_text(Obj(content=[_text("hi")], structured_content={"n": 2})) == 'hi\n{\n "n": 2\n}'
    assert result_text(Obj(content=[], structured_content=None)) == "(no output)"
