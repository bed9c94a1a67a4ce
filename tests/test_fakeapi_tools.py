"""The fake API's tool use, through the real SDK: scripted calls, server tools, and the API's pairing rules."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.fakeapi import FakeAnthropic

MODEL = "claude-sonnet-5-5"
NOTE = {"name": "note", "description": "Write a note.", "input_schema": {"type": "object"}}


@pytest.fixture
def client(fake_api: FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=fake_api.base_url, max_retries=0)


def send(client: anthropic.Anthropic, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    kwargs.setdefault("tools", [NOTE])
    kwargs.setdefault("max_tokens", 500)
    return client.messages.create(model=MODEL, messages=messages, **kwargs)


def refused(client: anthropic.Anthropic, messages: list[dict[str, Any]], **kwargs: Any) -> str:
    with pytest.raises(anthropic.BadRequestError) as caught:
        send(client, messages, **kwargs)
    assert caught.value.status_code == 400 and caught.value.type == "invalid_request_error"  # type: ignore[attr-defined]
    return str(caught.value)


def turn(client: anthropic.Anthropic, prompt: str) -> tuple[dict[str, Any], list[str]]:
    """The model's tool-calling turn for ``prompt`` (as it is sent back) and its tool_use ids."""
    reply = send(client, [{"role": "user", "content": prompt}])
    content = [block.model_dump(exclude_none=True) for block in reply.content]
    return {"role": "assistant", "content": content}, [b["id"] for b in content if b["type"] == "tool_use"]


def results(*ids: str) -> dict[str, Any]:
    return {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": i, "content": "ok"} for i in ids],
    }


def test_several_call_directives_make_several_tool_uses_and_results_are_echoed(client):
    prompt = '[[call:note {"a": 1}]] [[call:note {"a": 2}]]'
    reply = send(client, [{"role": "user", "content": prompt}])
    assert reply.stop_reason == "tool_use"
    assert [(b.type, b.input) for b in reply.content] == [("tool_use", {"a": 1}), ("tool_use", {"a": 2})]
    assistant, ids = turn(client, prompt)
    answer = send(client, [{"role": "user", "content": prompt}, assistant, results(*ids)])
    assert answer.content[0].text == "Tool results: ok | ok"


def test_streamed_tool_use_parses(client):
    with client.messages.stream(
        model=MODEL,
        max_tokens=500,
        tools=[NOTE],
        messages=[{"role": "user", "content": '[[call:note {"k": "v"}]]'}],
    ) as stream:
        message = stream.get_final_message()
    assert message.content[0].type == "tool_use" and message.content[0].input == {"k": "v"}


def test_a_tool_use_without_its_result_is_refused(client):
    assistant, ids = turn(client, '[[call:note {"a": 1}]] [[call:note {"a": 2}]]')
    prompt = {"role": "user", "content": "x"}
    assert "without `tool_result` blocks immediately after" in refused(
        client, [prompt, assistant, results(ids[0])]
    )
    assert "without `tool_result`" in refused(client, [prompt, assistant])
    late = {"role": "user", "content": [{"type": "text", "text": "first"}, *results(*ids)["content"]]}
    assert "must come first" in refused(client, [prompt, assistant, late])


def test_an_orphan_tool_result_is_refused(client):
    message = "unexpected `tool_use_id`"
    assert message in refused(client, [results("toolu_01nothere")])
    assistant, ids = turn(client, '[[call:note {"a": 1}]]')
    wrong = results(ids[0], "toolu_01extra")
    assert message in refused(client, [{"role": "user", "content": "x"}, assistant, wrong])


def test_tool_definitions_are_checked(client):
    prompt = [{"role": "user", "content": "hi"}]
    assert "unique" in refused(client, prompt, tools=[NOTE, NOTE])
    assert "pattern" in refused(client, prompt, tools=[{**NOTE, "name": "bad name!"}])
    assert "does not match any of the expected tags" in refused(
        client, prompt, tools=[{"type": "web_search_20990101", "name": "web_search"}]
    )
    assistant, ids = turn(client, '[[call:note {"a": 1}]]')
    other = {**NOTE, "name": "other"}
    assert "not among the request's tools" in refused(
        client, [*prompt, assistant, results(*ids)], tools=[other]
    )
    assert "must define tools" in refused(client, [*prompt, assistant, results(*ids)], tools=[])


def test_thinking_must_come_back_first_and_unchanged(client):
    thinking = {"type": "enabled", "budget_tokens": 1024}
    prompt = {"role": "user", "content": '[[call:note {"a": 1}]]'}
    reply = send(client, [prompt], max_tokens=3000, thinking=thinking)
    content = [block.model_dump(exclude_none=True) for block in reply.content]
    ids = [b["id"] for b in content if b["type"] == "tool_use"]
    good = send(
        client,
        [prompt, {"role": "assistant", "content": content}, results(*ids)],
        thinking=thinking,
        max_tokens=3000,
    )
    assert good.content[-1].text == "Tool results: ok"
    without = {"role": "assistant", "content": content[1:]}
    assert "must start with a thinking block" in refused(
        client, [prompt, without, results(*ids)], thinking=thinking, max_tokens=3000
    )
    tampered = {"role": "assistant", "content": [{**content[0], "thinking": "Something else."}, *content[1:]]}
    assert "Invalid `signature`" in refused(
        client, [prompt, tampered, results(*ids)], thinking=thinking, max_tokens=3000
    )
    # Only the turn being answered needs its thinking: an earlier, finished tool exchange may come without it.
    later = send(
        client,
        [
            prompt,
            without,
            results(*ids),
            {"role": "assistant", "content": "Done."},
            {"role": "user", "content": "hi"},
        ],
        thinking=thinking,
        max_tokens=3000,
    )
    assert later.stop_reason == "end_turn"


def test_web_search_returns_results_citations_and_usage(client):
    tools = [{"type": "web_search_20260318", "name": "web_search", "allowed_domains": ["docs.example.org"]}]
    reply = send(client, [{"role": "user", "content": "[[search:cats]]"}], tools=tools)
    kinds = [block.type for block in reply.content]
    assert kinds == ["server_tool_use", "web_search_tool_result", "text"]
    assert reply.content[1].content[0].url.startswith("https://docs.example.org/")  # type: ignore[union-attr]
    assert reply.content[2].citations[0].type == "web_search_result_location"  # type: ignore[union-attr]
    assert reply.usage.server_tool_use is not None and reply.usage.server_tool_use.web_search_requests == 1


def test_pause_turn_then_continue(client):
    tools = [{"type": "web_search_20260318", "name": "web_search"}]
    prompt = {"role": "user", "content": "[[pause]]"}
    paused = send(client, [prompt], tools=tools)
    assert paused.stop_reason == "pause_turn"
    content = [block.model_dump(exclude_none=True) for block in paused.content]
    continued = send(client, [prompt, {"role": "assistant", "content": content}], tools=tools)
    assert continued.stop_reason == "end_turn" and continued.content[0].text == "Continued after the pause."
