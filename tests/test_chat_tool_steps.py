"""Tool steps in chat sessions: stored block for block, replayed as valid tool_use/tool_result pairs, or as text.

Real SQLite files; the message lists are checked with the same rules the API (and the fake) applies.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from claudecli.chat.compact import transcript_for_summary
from claudecli.chat.conversation import Conversation, Exchange, message_problems
from claudecli.chat.replay import steps_as_text, valid_steps
from claudecli.chat.session_rows import exchange_document, exchange_from_document
from claudecli.chat.session_store import MIGRATIONS, SessionMeta, SessionStore
from claudecli.core.db import apply_migrations, connect
from claudecli.core.usage import TokenUsage

THINKING = "The user wants the file; read it."
SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1mYWtl"


def tool_steps(result: str = "hello from a.txt") -> list[dict]:
    return [
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": THINKING, "signature": SIGNATURE},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.txt"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": result}]},
        {"role": "assistant", "content": [{"type": "text", "text": "It says hello."}]},
    ]


def search_steps() -> list[dict]:
    return [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "server_tool_use",
                    "id": "srvtoolu_1",
                    "name": "web_search",
                    "input": {"query": "q"},
                },
                {
                    "type": "web_search_tool_result",
                    "tool_use_id": "srvtoolu_1",
                    "content": [
                        {
                            "type": "web_search_result",
                            "title": "Fake result one",
                            "url": "https://example.com/1",
                            "encrypted_content": "enc1",
                        }
                    ],
                },
                {"type": "text", "text": "Found it."},
            ],
        }
    ]


def tool_exchange(steps: list[dict] | None = None, prompt: str = "read a.txt") -> Exchange:
    steps = tool_steps() if steps is None else steps
    return Exchange(
        prompt_text=prompt,
        user_content=prompt,
        answer="It says hello.",
        model="claude-sonnet-5-5",
        usage=TokenUsage(input_tokens=30, output_tokens=12),
        cost_usd=Decimal("0.002"),
        list_cost_usd=Decimal("0.002"),
        steps=steps,
        calls=2,
    )


def meta() -> SessionMeta:
    return SessionMeta(id="0123456789ab", name="tools", model="claude-sonnet-5-5")


def test_tool_steps_are_stored_and_replayed_exactly(tmp_path: Path):
    with SessionStore(tmp_path / "sessions.db") as store:
        store.record(meta(), tool_exchange())
        loaded = store.exchanges(meta().id)
        totals = store.totals(meta().id)
    assert loaded[0].steps == tool_steps() and loaded[0].calls == 2
    assert totals.calls == 2  # the session's calls count every step of the loop
    messages = Conversation(loaded).messages("next", cache=False, ttl="5m", tool_names={"read_file"})
    assert messages == [
        {"role": "user", "content": "read a.txt"},
        *tool_steps(),
        {"role": "user", "content": "next"},
    ]
    assert message_problems(messages) == []


def test_server_tool_steps_replay_when_the_server_tool_is_offered():
    exchange = tool_exchange(search_steps())
    messages = Conversation([exchange]).messages("more", cache=False, ttl="5m", tool_names={"web_search"})
    assert messages[1] == search_steps()[0]
    flat = Conversation([exchange]).messages("more", cache=False, ttl="5m")
    assert "Fake result one <https://example.com/1>" in flat[1]["content"]
    assert not any(isinstance(m["content"], list) for m in flat[:2])


def test_without_its_tools_offered_a_tool_exchange_goes_as_text_and_the_list_stays_valid():
    messages = Conversation([tool_exchange()]).messages("next", cache=True, ttl="5m")
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    text = messages[1]["content"]
    assert isinstance(text, str)
    assert '[called read_file {"path":"a.txt"}]' in text
    assert "[tool result: hello from a.txt]" in text and text.endswith("It says hello.")
    assert THINKING not in text
    assert message_problems(messages) == []
    # a tool not offered any more, even if another one is: text as well
    other = Conversation([tool_exchange()]).messages("next", cache=False, ttl="5m", tool_names={"list_dir"})
    assert isinstance(other[1]["content"], str)


def test_a_loop_cut_off_after_its_tools_ran_joins_the_next_prompt_after_its_results():
    steps = tool_steps()[:2]  # Ctrl-C after the tool ran, before the model answered
    exchange = tool_exchange(steps)
    exchange.answer, exchange.status = "", "interrupted"
    assert exchange.in_context and not exchange.has_answer
    messages = Conversation([exchange]).messages("go on", cache=True, ttl="5m", tool_names={"read_file"})
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    last = messages[-1]["content"]
    assert last[0]["type"] == "tool_result" and last[-1]["text"] == "go on" and "cache_control" in last[-1]
    assert message_problems(messages) == []


def test_damaged_steps_are_repaired_and_valid_ones_come_back_unchanged():
    valid = tool_steps()
    assert valid_steps(valid) == valid and valid_steps(search_steps()) == search_steps()
    damaged = copy.deepcopy(valid)
    damaged[0]["content"].append({"type": "tool_use", "id": "toolu_2", "name": "read_file", "input": {}})
    damaged[1]["content"].insert(0, {"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"})
    damaged[2]["content"].append({"type": "text", "text": "  "})
    damaged.insert(
        0, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t0", "content": "y"}]}
    )
    assert valid_steps(damaged) == valid
    unanswered = [valid[0]]  # a tool_use whose result was never stored
    repaired = valid_steps(unanswered)
    assert [b["type"] for b in repaired[0]["content"]] == ["thinking", "text"]
    cut_off = [*valid[:2], {"role": "assistant", "content": [valid[0]["content"][0]]}]  # its call was cut off
    assert valid_steps(cut_off) == valid[:2]
    messages = Conversation([tool_exchange(damaged)]).messages(
        "x", cache=False, ttl="5m", tool_names={"read_file"}
    )
    assert message_problems(messages) == []


def test_message_problems_catches_bad_pairing():
    steps = tool_steps()
    unpaired = [{"role": "user", "content": "q"}, steps[0], {"role": "user", "content": "next"}]
    assert any("without results" in p for p in message_problems(unpaired))
    late = [
        {"role": "user", "content": "q"},
        steps[0],
        {"role": "user", "content": [{"type": "text", "text": "hi"}, *steps[1]["content"]]},
    ]
    assert any("must come first" in p for p in message_problems(late))


def test_an_old_store_migrates_forward_and_its_turns_still_load(tmp_path: Path):
    path = tmp_path / "sessions.db"
    conn = connect(path)
    apply_migrations(conn, MIGRATIONS[:1])  # a store written before tool steps were kept
    conn.execute(
        "INSERT INTO sessions VALUES ('0123456789ab', 'old', NULL, 'claude-sonnet-5-5', NULL, NULL, NULL, "
        "'2026-11-01T10:00:00.000000Z', '2026-11-01T10:00:00.000000Z')"
    )
    conn.execute(
        "INSERT INTO turns (session_id, seq, kind, state, prompt_text, user_content, answer, status, model, usage, "
        "cost_nanos, list_cost_nanos, created_at) VALUES ('0123456789ab', 1, 'chat', 'active', 'hi', '\"hi\"', "
        "'hello', 'ok', 'claude-sonnet-5-5', '{\"input_tokens\": 3}', 1000, 1000, '2026-11-01T10:00:00.000000Z')"
    )
    conn.close()
    with SessionStore(path) as store:
        old = store.exchanges("0123456789ab")
        assert (old[0].steps, old[0].calls, old[0].answer) == (None, 1, "hello")
        store.record(meta(), tool_exchange())
        loaded = store.exchanges("0123456789ab")
        assert store.totals("0123456789ab").calls == 3
    messages = Conversation(loaded).messages("next", cache=False, ttl="5m", tool_names={"read_file"})
    assert messages[:2] == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert messages[3:6] == tool_steps() and message_problems(messages) == []
    with sqlite3.connect(path) as raw:
        names = [name for (name,) in raw.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [migration.name for migration in MIGRATIONS]


def test_secrets_are_masked_in_steps_but_signatures_are_not_and_a_leaking_thinking_block_is_dropped(
    tmp_path: Path,
):
    secret = "sk-live-CANARY-0123456789"
    steps = tool_steps(result=f"token={secret}")
    steps[0]["content"][2]["input"] = {"path": secret}
    leaky = {"type": "thinking", "thinking": f"the key is {secret}", "signature": "sig2"}
    steps[2]["content"].insert(0, leaky)
    with SessionStore(tmp_path / "sessions.db", scrub=lambda text: text.replace(secret, "********")) as store:
        store.record(meta(), tool_exchange(steps))
        stored = store.exchanges(meta().id)[0].steps
    raw = json.dumps(stored)
    assert secret not in raw and "token=********" in raw
    assert stored[0]["content"][0] == {"type": "thinking", "thinking": THINKING, "signature": SIGNATURE}
    assert [b["type"] for b in stored[2]["content"]] == ["text"]


def test_spooled_exchanges_keep_their_steps_and_old_spool_records_still_load():
    exchange = tool_exchange()
    document = json.loads(json.dumps(exchange_document(exchange)))
    again = exchange_from_document(document)
    assert again.steps == tool_steps() and again.calls == 2
    del document["steps"], document["calls"]
    old = exchange_from_document(document)
    assert old.steps is None and old.calls == 1


def test_compact_and_export_text_tell_the_tool_steps():
    transcript = transcript_for_summary(None, [tool_exchange()])
    assert '[called read_file {"path":"a.txt"}]' in transcript and "hello from a.txt" in transcript
    long = steps_as_text(tool_steps(result="x" * 5000))
    assert "(5,000 characters)" in long and len(long) < 1000
