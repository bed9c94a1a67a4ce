"""The fake Anthropic API, driven by the real `anthropic` SDK: the fake is right when the SDK parses it."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from pydantic import BaseModel

from tests.fakeapi import FakeAnthropic, Fault, fixtures
from tests.fakeapi.replies import MARKDOWN_DOC

MODEL = "claude-opus-5-5"
REPO_ROOT = Path(__file__).resolve().parent.parent

# The fixture tests/conftest.py also provides; bound here so this file runs on its own too.
fake_api = fixtures.fake_api


@pytest.fixture
def client(fake_api: FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=fake_api.base_url, max_retries=0)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def create(client: anthropic.Anthropic, text: str, **kwargs: Any) -> Any:
    kwargs.setdefault("max_tokens", 1000)
    kwargs.setdefault("model", MODEL)
    return client.messages.create(messages=user(text), **kwargs)


# -- plain messages ---------------------------------------------------------------------------------


def test_plain_create_parses_and_is_recorded(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    message = create(client, "Hi there")
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from the fake API."
    assert message.stop_reason == "end_turn"
    assert message.id.startswith("msg_")
    assert message.model == MODEL
    assert message.usage.input_tokens == math.ceil(len("Hi there") / 4)
    assert message.usage.output_tokens == 5
    assert message.usage.service_tier == "standard"
    assert message._request_id is not None and message._request_id.startswith("req_")
    request = fake_api.last_request("/v1/messages")
    assert request.method == "POST"
    assert request.headers["authorization"] == "Bearer sk-ant-test"
    assert "anthropic-version" in request.headers
    assert request.body["messages"] == user("Hi there")
    assert fake_api.requests_to("/v1/messages", method="post") == [request]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("[[words:3]]", "w1 w2 w3"),
        ("[[markdown]]", MARKDOWN_DOC),
        ("please [[echo]] me", "please [[echo]] me"),
    ],
)
def test_text_directives(client: anthropic.Anthropic, prompt: str, expected: str) -> None:
    assert create(client, prompt).content[0].text == expected


def test_directive_comes_from_last_user_message(client: anthropic.Anthropic) -> None:
    messages = [
        {"role": "user", "content": "[[words:9]]"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "now"}, {"type": "text", "text": "[[words:2]]"}],
        },
    ]
    message = client.messages.create(model=MODEL, max_tokens=100, messages=messages)
    assert message.content[0].text == "w1 w2"


def test_streaming_text_one_word_per_delta(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=MODEL, max_tokens=100, messages=user("[[words:4]]")) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert pieces == ["w1", " w2", " w3", " w4"]
    assert final.content[0].text == "w1 w2 w3 w4"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 4
    assert final.usage.input_tokens == 3
    assert final.usage.service_tier == "standard"


def test_raw_stream_event_sequence(client: anthropic.Anthropic) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=100, messages=user("[[words:2]]"), stream=True)
    events = list(stream)
    kinds = [e.type for e in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[0].message.usage.output_tokens == 1
    assert events[5].usage.output_tokens == 2


def test_thinking_then_text_streamed(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=100, thinking={"type": "adaptive"}, messages=user("[[words:3]]")
    ) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds
    thinking, text = final.content
    assert thinking.type == "thinking"
    assert thinking.thinking == "Let me think about this."
    assert thinking.signature
    assert text.text == "w1 w2 w3"
    assert final.usage.output_tokens == 5 + 3
    assert final.usage.output_tokens_details is not None
    assert final.usage.output_tokens_details.thinking_tokens == 5


def test_thinking_enabled_non_streaming_and_omitted_display(client: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    message = create(client, "hi", max_tokens=2000, thinking=thinking)
    assert [b.type for b in message.content] == ["thinking", "text"]
    omitted = create(client, "hi", max_tokens=2000, thinking={**thinking, "display": "omitted"})
    assert omitted.content[0].thinking == ""
    assert omitted.content[0].signature


def test_tool_use_streamed_and_plain(client: anthropic.Anthropic) -> None:
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}]
    with client.messages.stream(
        model=MODEL, max_tokens=100, tools=tools, messages=user("[[tool]]")
    ) as stream:
        json_events = [e for e in stream if e.type == "input_json"]
        final = stream.get_final_message()
    block = final.content[0]
    assert block.type == "tool_use"
    assert block.id.startswith("toolu_")
    assert (block.name, block.input) == ("get_weather", {"city": "Paris"})
    assert final.stop_reason == "tool_use"
    assert json_events and json_events[-1].snapshot == {"city": "Paris"}
    plain = create(client, "[[tool]]", tools=tools)
    assert plain.content[0].input == {"city": "Paris"}
    assert plain.stop_reason == "tool_use"


SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer"},
        "score": {"type": "number"},
        "ok": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
    "required": ["name", "age", "score", "ok", "tags", "address"],
    "additionalProperties": False,
}


def test_json_schema_output_overrides_directive(client: anthropic.Anthropic) -> None:
    output_config = {"format": {"type": "json_schema", "schema": SCHEMA}}
    message = create(client, "[[words:3]]", output_config=output_config)
    assert json.loads(message.content[0].text) == {
        "name": "example",
        "age": 1,
        "score": 1.5,
        "ok": True,
        "tags": ["example"],
        "address": {"city": "example"},
    }


class Person(BaseModel):
    name: str
    age: int
    friends: list[str]


def test_json_schema_via_sdk_parse_helper(client: anthropic.Anthropic) -> None:
    message = client.messages.parse(model=MODEL, max_tokens=500, messages=user("who?"), output_format=Person)
    assert message.parsed_output == Person(name="example", age=1, friends=["example"])


def test_stop_reasons(client: anthropic.Anthropic) -> None:
    capped = create(client, "[[words:50]]", max_tokens=10)
    assert capped.content[0].text == " ".join(f"w{i}" for i in range(1, 11))
    assert (capped.stop_reason, capped.usage.output_tokens) == ("max_tokens", 10)
    assert create(client, "[[max_tokens]]").stop_reason == "max_tokens"
    refusal = create(client, "[[refusal]]")
    assert refusal.stop_reason == "refusal"
    assert refusal.stop_details is not None and refusal.stop_details.type == "refusal"
    stopped = create(client, "[[words:6]]", stop_sequences=["w4"])
    assert stopped.content[0].text == "w1 w2 w3 "
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "w4")


def test_unknown_top_level_keys_and_system_role_are_accepted(client: anthropic.Anthropic) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "[[words:1]]"},
    ]
    message = client.messages.create(
        model=MODEL, max_tokens=10, messages=messages, extra_body={"a_field_newer_than_the_fake": 1}
    )
    assert message.content[0].text == "w1"


@pytest.mark.parametrize("model", ["claude-haiku-5-5", "claude-opus-4-5"])
@pytest.mark.parametrize(
    ("name", "value"), [("temperature", 0.2), ("temperature", 1), ("top_p", 0.9), ("top_k", 5)]
)
@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
def test_sampling_parameters_are_refused_at_any_value_on_every_model(
    client: anthropic.Anthropic, fake_api: FakeAnthropic, model: str, name: str, value: float
) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=model, max_tokens=10, messages=user("hi"), extra_body={name: value})
    assert info.value.status_code == 400 and info.value.type == "invalid_request_error"
    assert info.value.body["error"]["message"] == f"{name}: Extra inputs are not permitted"  # type: ignore[index]
    assert info.value.request_id is not None
    with pytest.raises(anthropic.BadRequestError, match="Extra inputs are not permitted"):
        client.messages.count_tokens(model=model, messages=user("hi"), extra_body={name: value})


def test_async_client_streams(fake_api: FakeAnthropic) -> None:
    async def run() -> list[str]:
        client = anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=fake_api.base_url, max_retries=0)
        async with client.messages.stream(model=MODEL, max_tokens=10, messages=user("[[words:3]]")) as stream:
            return [piece async for piece in stream.text_stream]

    assert asyncio.run(run()) == ["w1", " w2", " w3"]


# -- faults -----------------------------------------------------------------------------------------


def test_rate_limit_then_success_is_retried(fake_api: FakeAnthropic) -> None:
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url=fake_api.base_url, max_retries=2)
    fake_api.enqueue(Fault.status(429, "rate_limit_error", headers={"retry-after": "0.01"}))
    message = create(client, "[[words:1]]")
    assert message.content[0].text == "w1"
    seen = fake_api.requests_to("/v1/messages")
    assert len(seen) == 2
    assert [r.headers["x-stainless-retry-count"] for r in seen] == ["0", "1"]
    assert fake_api.pending_faults() == 0


def test_faults_are_fifo_per_path(fake_api: FakeAnthropic) -> None:
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url=fake_api.base_url, max_retries=2)
    for _ in range(2):
        fake_api.enqueue(Fault.status(529, "overloaded_error", headers={"retry-after-ms": "5"}))
    fake_api.enqueue(Fault.status(500, "api_error"), path="/v1/models")
    assert create(client, "hi").stop_reason == "end_turn"
    assert len(fake_api.requests_to("/v1/messages")) == 3
    assert fake_api.pending_faults("/v1/models") == 1


@pytest.mark.parametrize(
    ("status", "error_type", "exc"),
    [
        (529, "overloaded_error", anthropic.OverloadedError),
        (500, "api_error", anthropic.InternalServerError),
        (503, "api_error", anthropic.ServiceUnavailableError),
        (402, "billing_error", anthropic.PaymentRequiredError),
        (413, "request_too_large", anthropic.ContentTooLargeError),
        (429, "rate_limit_error", anthropic.RateLimitError),
    ],
)
def test_status_faults_raise_sdk_errors(
    client: anthropic.Anthropic,
    fake_api: FakeAnthropic,
    status: int,
    error_type: str,
    exc: type[anthropic.APIStatusError],
) -> None:
    fake_api.enqueue(Fault.status(status, error_type, message="nope"))
    with pytest.raises(exc) as info:
        create(client, "hi")
    err = info.value
    assert err.status_code == status
    assert err.type == error_type
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert err.body == {
        "type": "error",
        "error": {"type": error_type, "message": "nope"},
        "request_id": err.request_id,
    }


def test_status_fault_on_stream(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    fake_api.enqueue(Fault.status(529, "overloaded_error"))
    with (
        pytest.raises(anthropic.OverloadedError),
        client.messages.stream(model=MODEL, max_tokens=10, messages=user("hi")) as stream,
    ):
        stream.get_final_message()


def test_drop_after_mid_stream_is_a_broken_body_read(
    client: anthropic.Anthropic,
    fake_api: FakeAnthropic,
) -> None:
    """The SDK sees httpx2's protocol error: raw up to anthropic 2.16, wrapped in APIConnectionError from 2.17
    on (``_streaming.iter_response_bytes``). claudecli handles both (``core.sdk_errors``)."""
    fake_api.enqueue(Fault.drop_after(2))
    received: list[str] = []
    with (
        pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)) as info,
        client.messages.stream(model=MODEL, max_tokens=100, messages=user("[[words:5]]")) as stream,
    ):
        received.extend(stream.text_stream)
    broken = info.value if isinstance(info.value, httpx2.RemoteProtocolError) else info.value.__cause__
    assert isinstance(broken, httpx2.RemoteProtocolError)
    assert received == ["w1", " w2"]
    # the server is fine afterwards
    assert create(client, "[[words:1]]").content[0].text == "w1"


def test_drop_non_streaming_is_a_connection_error(
    client: anthropic.Anthropic, fake_api: FakeAnthropic
) -> None:
    fake_api.enqueue(Fault.drop_after(0))
    with pytest.raises(anthropic.APIConnectionError):
        create(client, "hi")


def test_sse_error_mid_stream(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    fake_api.enqueue(Fault.sse_error_after(1))
    received: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as info,
        client.messages.stream(model=MODEL, max_tokens=100, messages=user("[[words:5]]")) as stream,
    ):
        received.extend(stream.text_stream)
    assert received == ["w1"]
    assert info.value.status_code == 200
    assert info.value.type == "overloaded_error"
    assert len(fake_api.requests) == 1  # not retried


def test_hang_triggers_client_timeout(fake_api: FakeAnthropic) -> None:
    client = anthropic.Anthropic(
        api_key="sk-ant-test", base_url=fake_api.base_url, max_retries=0, timeout=0.3
    )
    fake_api.enqueue(Fault.hang(3))
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        create(client, "hi")
    assert time.monotonic() - started < 2


def test_latency_and_token_delay(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    fake_api.latency = 0.1
    fake_api.token_delay = 0.03
    started = time.monotonic()
    with client.messages.stream(model=MODEL, max_tokens=100, messages=user("[[words:4]]")) as stream:
        stream.get_final_message()
    assert time.monotonic() - started >= 0.1 + 4 * 0.03


# -- auth and validation ----------------------------------------------------------------------------


def test_wrong_key_is_401(fake_api: FakeAnthropic) -> None:
    fake_api.valid_keys = {"sk-ant-good"}
    bad = anthropic.Anthropic(api_key="sk-ant-bad", base_url=fake_api.base_url, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as info:
        create(bad, "hi")
    assert info.value.type == "authentication_error"
    good = anthropic.Anthropic(api_key="sk-ant-good", base_url=fake_api.base_url, max_retries=0)
    assert create(good, "hi").stop_reason == "end_turn"


def test_raw_http_auth_variants(fake_api: FakeAnthropic) -> None:
    body = {"model": MODEL, "max_tokens": 5, "messages": user("hi")}
    url = fake_api.base_url + "/v1/messages"
    missing = httpx2.post(url, json=body)
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "authentication_error"
    assert missing.headers["request-id"] == missing.json()["request_id"]
    assert httpx2.post(url, json=body, headers={"x-api-key": "k"}).status_code == 200
    no_max = httpx2.post(url, json={"model": MODEL, "messages": user("hi")}, headers={"x-api-key": "k"})
    assert no_max.status_code == 400
    assert "max_tokens" in no_max.json()["error"]["message"]
    assert httpx2.get(fake_api.base_url + "/v1/nope", headers={"x-api-key": "k"}).status_code == 404


@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
@pytest.mark.parametrize("model", ["claude-nope-1", "claude-3-opus-20240229"])
def test_unknown_or_retired_model_is_404(client: anthropic.Anthropic, model: str) -> None:
    with pytest.raises(anthropic.NotFoundError) as info:
        client.messages.create(model=model, max_tokens=10, messages=user("hi"))
    assert info.value.type == "not_found_error"
    assert f"model: {model}" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 64_001, "timeout": 10}, "maximum allowed"),
        ({"messages": []}, "at least one message"),
        ({"messages": [{"role": "assistant", "content": "hi"}]}, "first message"),
        ({"messages": [*user("a"), *user("b")]}, "alternate"),
        ({"messages": user("")}, "non-empty"),
        ({"messages": [{"role": "user", "content": []}]}, "non-empty"),
        ({"thinking": {"type": "enabled", "budget_tokens": 500}}, "budget_tokens"),
        ({"max_tokens": 1024, "thinking": {"type": "enabled", "budget_tokens": 1024}}, "max_tokens"),
        ({"thinking": {"type": "sometimes"}}, "thinking"),
        ({"stop_sequences": [""]}, "stop_sequences"),
    ],
)
def test_invalid_requests_are_400(client: anthropic.Anthropic, kwargs: dict[str, Any], fragment: str) -> None:
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 2000, "messages": user("hi"), **kwargs}
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(**params)
    assert info.value.type == "invalid_request_error"
    assert fragment in str(info.value)


def test_adaptive_and_disabled_thinking_are_valid(client: anthropic.Anthropic) -> None:
    assert create(client, "hi", max_tokens=10, thinking={"type": "adaptive"}).content[0].type == "thinking"
    assert create(client, "hi", max_tokens=10, thinking={"type": "disabled"}).content[0].type == "text"


# -- token counting and prompt caching --------------------------------------------------------------


def test_count_tokens_follows_the_documented_rule(client: anthropic.Anthropic) -> None:
    tool = {"name": "t", "description": "d", "input_schema": {"type": "object"}}
    tool_json = json.dumps(tool, sort_keys=True, separators=(",", ":"))
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
    result = client.messages.count_tokens(
        model=MODEL,
        system="s" * 40,
        tools=[tool],
        messages=[{"role": "user", "content": [{"type": "text", "text": "hello"}, image]}],
    )
    assert result.input_tokens == 10 + math.ceil(len(tool_json) / 4) + 2 + 1500
    with pytest.raises(anthropic.NotFoundError):
        client.messages.count_tokens(model="claude-nope", messages=user("hi"))


BIG_SYSTEM = "x" * 4400  # 1,100 tokens: above the 1,024 minimum


def cached_system(ttl: str = "5m") -> list[dict[str, Any]]:
    return [{"type": "text", "text": BIG_SYSTEM, "cache_control": {"type": "ephemeral", "ttl": ttl}}]


def test_cache_write_then_read(client: anthropic.Anthropic) -> None:
    first = create(client, "hello", system=cached_system())
    assert first.usage.cache_creation_input_tokens == 1100
    assert first.usage.cache_creation is not None
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == 1100
    assert (first.usage.cache_read_input_tokens, first.usage.input_tokens) == (0, 2)
    with client.messages.stream(model=MODEL, max_tokens=10, system=cached_system(), messages=user("hi")) as s:
        second = s.get_final_message()
    assert second.usage.cache_read_input_tokens == 1100
    assert (second.usage.cache_creation_input_tokens, second.usage.input_tokens) == (0, 1)


def test_the_minimum_cacheable_prefix_is_per_model(
    client: anthropic.Anthropic, fake_api: FakeAnthropic
) -> None:
    """Like the API: a breakpoint below the model's minimum is ignored (no write, no error)."""
    prefix = [{"type": "text", "text": "x" * 2400, "cache_control": {"type": "ephemeral"}}]  # 600 tokens
    assert create(client, "hi", system=prefix, model="claude-opus-5").usage.cache_creation_input_tokens == 600
    assert (
        create(client, "hi", system=prefix, model="claude-sonnet-5-5").usage.cache_creation_input_tokens == 0
    )
    # 1,100 tokens: enough for Sonnet/Opus-class models (1,024), not for Haiku-class ones (4,096)
    for model, written in (("claude-sonnet-5-5", 1100), ("claude-haiku-5-5", 0), ("claude-haiku-4-5", 0)):
        assert (
            create(client, "hi", system=cached_system(), model=model).usage.cache_creation_input_tokens
            == written
        )
    big = [{"type": "text", "text": "x" * 16384, "cache_control": {"type": "ephemeral"}}]  # 4,096 tokens
    assert (
        create(client, "hi", system=big, model="claude-haiku-5-5").usage.cache_creation_input_tokens == 4096
    )
    fake_api.min_cache_tokens["haiku"] = 1024  # tests may change the table
    assert (
        create(
            client, "hi", system=cached_system(), model="claude-haiku-5-5"
        ).usage.cache_creation_input_tokens
        == 1100
    )


def test_cache_ttl_minimum_expiry_and_clear(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    small = [{"type": "text", "text": "tiny", "cache_control": {"type": "ephemeral"}}]
    assert create(client, "hi", system=small).usage.cache_creation_input_tokens == 0
    one_hour = create(client, "hi", system=cached_system("1h")).usage
    assert one_hour.cache_creation is not None and one_hour.cache_creation.ephemeral_1h_input_tokens == 1100
    fake_api.clock_offset = 3601
    assert create(client, "hi", system=cached_system("1h")).usage.cache_read_input_tokens == 0
    fake_api.clear_cache()
    assert create(client, "hi", system=cached_system("1h")).usage.cache_creation_input_tokens == 1100
    assert create(client, "hi", system=cached_system("1h")).usage.cache_read_input_tokens == 1100
    assert (
        create(
            client, "hi", model=MODEL.replace("opus", "sonnet"), system=cached_system("1h")
        ).usage.cache_read_input_tokens
        == 0
    )


def test_moving_breakpoint_reads_previous_prefix(client: anthropic.Anthropic) -> None:
    def turn(messages: list[dict[str, Any]]) -> Any:
        last = messages[-1]
        marked = {
            **last,
            "content": [{"type": "text", "text": last["content"], "cache_control": {"type": "ephemeral"}}],
        }
        return client.messages.create(
            model=MODEL, max_tokens=10, system=BIG_SYSTEM, messages=[*messages[:-1], marked]
        )

    history = user("a" * 400)  # 100 tokens; with the system: 1,200
    assert turn(history).usage.cache_creation_input_tokens == 1200
    history += [{"role": "assistant", "content": "b" * 40}, *user("c" * 80)]  # +10 +20 tokens
    usage = turn(history).usage
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens, usage.input_tokens) == (
        1200,
        30,
        0,
    )


def test_top_level_cache_control_marks_last_block(client: anthropic.Anthropic) -> None:
    kwargs: dict[str, Any] = {"system": BIG_SYSTEM, "extra_body": {"cache_control": {"type": "ephemeral"}}}
    assert create(client, "hello", **kwargs).usage.cache_creation_input_tokens == 1102
    assert create(client, "hello", **kwargs).usage.cache_read_input_tokens == 1102


# -- models -----------------------------------------------------------------------------------------


def test_models_auto_paging(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    ids = [m.id for m in client.models.list(limit=2)]
    assert ids == [
        "claude-opus-5-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "claude-opus-5",
        "claude-sonnet-5",
        "claude-opus-4-8",
        "claude-opus-4-5",
        "claude-sonnet-4-6",
        "claude-haiku-4-5",
    ]
    pages = fake_api.requests_to("/v1/models")
    assert len(pages) == 5
    assert pages[1].query == {"limit": "2", "after_id": "claude-sonnet-5-5"}


def test_models_lifecycle_filter_before_id_and_retrieve(client: anthropic.Anthropic) -> None:
    retired = [m.id for m in client.models.list(lifecycle=["retired"])]
    assert retired == ["claude-sonnet-4-5", "claude-3-haiku-20240307", "claude-3-opus-20240229"]
    page = client.models.list(before_id="claude-opus-5", limit=2)
    assert [m.id for m in page.data] == ["claude-sonnet-5-5", "claude-haiku-5-5"]
    assert page.has_more is True
    info = client.models.retrieve("claude-sonnet-5-5")
    assert info.display_name == "Claude Sonnet 5.5"
    assert (info.lifecycle, info.max_input_tokens, info.max_tokens, info.line) == (
        "active",
        1_000_000,
        64_000,
        "sonnet",
    )
    assert info.capabilities is not None and info.capabilities.thinking.types.adaptive.supported
    old = client.models.retrieve("claude-opus-4-5")
    assert old.lifecycle == "deprecated" and old.deprecated_at is not None and old.retires_at is not None
    assert client.models.retrieve("claude-haiku-4-5").lifecycle == "active"
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nope")


def test_models_are_settable(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    fake_api.models = [m for m in fake_api.models if m["id"] == "claude-haiku-5-5"]
    assert [m.id for m in client.models.list()] == ["claude-haiku-5-5"]
    with pytest.raises(anthropic.NotFoundError):
        create(client, "hi")


# -- batches ----------------------------------------------------------------------------------------


def batch_request(custom_id: str, text: str, **params: Any) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "params": {"model": MODEL, "max_tokens": 100, "messages": user(text), **params},
    }


def test_batch_instant_results(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    requests = [
        batch_request("ok-1", "[[words:3]]"),
        batch_request("bad-1", "[[batch_error]]"),
        batch_request("late-1", "[[expire]]"),
        batch_request("ok-2", "hi"),
    ]
    batch = client.messages.batches.create(requests=requests)
    assert batch.id.startswith("msgbatch_")
    assert batch.processing_status == "ended"
    counts = batch.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.expired, counts.canceled) == (
        0,
        2,
        1,
        1,
        0,
    )
    assert batch.results_url == f"{fake_api.base_url}/v1/messages/batches/{batch.id}/results"
    assert batch.expires_at - batch.created_at == timedelta(hours=24)
    assert batch.ended_at is not None
    results = list(client.messages.batches.results(batch.id))
    by_id = {r.custom_id: r.result for r in results}
    assert sorted(by_id) == sorted(r["custom_id"] for r in requests)
    again = [r.custom_id for r in client.messages.batches.results(batch.id)]
    assert again == [r.custom_id for r in results]  # deterministic order
    ok = by_id["ok-1"]
    assert ok.type == "succeeded"
    assert ok.message.content[0].text == "w1 w2 w3"
    assert ok.message.usage.service_tier == "batch"
    assert by_id["bad-1"].type == "errored"
    assert by_id["bad-1"].error.error.type == "invalid_request_error"
    assert by_id["late-1"].type == "expired"
    assert fake_api.batch_creates == 1


def test_batch_manual_cancel_list_delete(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    fake_api.batch_mode = "manual"
    first = client.messages.batches.create(requests=[batch_request("a", "hi"), batch_request("b", "hi")])
    assert first.processing_status == "in_progress"
    assert first.request_counts.processing == 2
    assert first.results_url is None
    with pytest.raises(anthropic.AnthropicError):
        client.messages.batches.results(first.id)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.delete(first.id)
    canceling = client.messages.batches.cancel(first.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at is not None
    ended = client.messages.batches.retrieve(first.id)
    assert ended.processing_status == "ended"
    assert ended.request_counts.canceled == 2
    assert {r.result.type for r in client.messages.batches.results(first.id)} == {"canceled"}

    second = client.messages.batches.create(requests=[batch_request("c", "[[words:2]]")])
    fake_api.finish_batch(second.id)
    assert client.messages.batches.retrieve(second.id).request_counts.succeeded == 1
    third = client.messages.batches.create(requests=[batch_request("d", "hi")])

    listed = [b.id for b in client.messages.batches.list(limit=2)]
    assert listed == [third.id, second.id, first.id]
    assert len(fake_api.requests_to("/v1/messages/batches", method="GET")) == 2

    deleted = client.messages.batches.delete(first.id)
    assert (deleted.id, deleted.type) == (first.id, "message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(first.id)
    assert fake_api.batch_creates == 3


@pytest.mark.parametrize(
    ("requests", "fragment"),
    [
        ([], "at least one request"),
        ([batch_request("has space", "hi")], "requests.0.custom_id"),
        ([batch_request("x", "hi"), batch_request("x", "hi")], "duplicate"),
        (
            [batch_request("x", "hi"), batch_request("y", "hi", model="claude-nope")],
            "requests.1.params (custom_id 'y')",
        ),
        ([batch_request("x", "hi", max_tokens=0)], "max_tokens"),
    ],
)
def test_batch_validation(client: anthropic.Anthropic, requests: list[dict[str, Any]], fragment: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.batches.create(requests=requests)  # type: ignore[arg-type]
    assert fragment in str(info.value)


# -- server housekeeping ----------------------------------------------------------------------------


def test_reset_clears_state(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    create(client, "hi", system=cached_system())
    client.messages.batches.create(requests=[batch_request("a", "hi")])
    fake_api.enqueue(Fault.status(500, "api_error"))
    fake_api.reset()
    assert fake_api.requests == [] and fake_api.batches == {} and fake_api.pending_faults() == 0
    assert create(client, "hi", system=cached_system()).usage.cache_read_input_tokens == 0


def test_concurrent_requests_are_all_recorded(client: anthropic.Anthropic, fake_api: FakeAnthropic) -> None:
    fake_api.token_delay = 0.01
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with client.messages.stream(model=MODEL, max_tokens=10, messages=user("[[words:5]]")) as s:
                s.get_final_message()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(fake_api.requests_to("/v1/messages")) == 8


def test_context_manager_and_last_request_errors() -> None:
    with FakeAnthropic() as fake:
        url = fake.base_url
        assert url.startswith("http://127.0.0.1:") and not url.endswith("/")
        with pytest.raises(LookupError):
            fake.last_request()
    with pytest.raises(RuntimeError):
        _ = fake.base_url


@pytest.fixture
def standalone() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeapi", "--port", "0", "--token-delay", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_standalone_main(standalone: str) -> None:
    client = anthropic.Anthropic(api_key="sk-ant-test", base_url=standalone, max_retries=0)
    assert create(client, "[[words:2]]").content[0].text == "w1 w2"
