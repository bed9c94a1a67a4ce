"""Pure logic of the chat: the message list (moving breakpoint, validity), names, limits, OSC 52, summaries."""

from __future__ import annotations

import base64
import random

from claudecli.chat.clipboard import osc52
from claudecli.chat.compact import transcript_for_summary
from claudecli.chat.conversation import Conversation, Exchange, message_problems, with_breakpoint
from claudecli.chat.limits import ContextCheck
from claudecli.chat.session_store import slug

CC = {"type": "ephemeral", "ttl": "5m"}


def ex(prompt: str, answer: str, status: str = "ok", content: object = None) -> Exchange:
    return Exchange(prompt_text=prompt, user_content=content or prompt, answer=answer, status=status)


def breakpoints(messages: list[dict]) -> list[tuple[int, int]]:
    found = []
    for i, message in enumerate(messages):
        content = message["content"]
        if isinstance(content, list):
            found += [(i, j) for j, block in enumerate(content) if block.get("cache_control")]
    return found


def test_first_turn_is_one_user_message_with_the_breakpoint_on_it():
    messages = Conversation().messages("hello", cache=True, ttl="5m")
    assert messages == [{"role": "user", "content": [{"type": "text", "text": "hello", "cache_control": CC}]}]


def test_the_breakpoint_moves_to_the_newest_turn_and_history_carries_none():
    conversation = Conversation([ex("one", "first answer"), ex("two", "second answer")])
    messages = conversation.messages("three", cache=True, ttl="1h")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert breakpoints(messages) == [(4, 0)]
    assert messages[4]["content"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert messages[0]["content"] == "one" and messages[1]["content"] == "first answer"


def test_without_cache_there_is_no_breakpoint():
    messages = Conversation([ex("one", "a")]).messages("two", cache=False, ttl="5m")
    assert breakpoints(messages) == [] and messages[-1]["content"] == "two"


def test_old_attachment_breakpoints_are_stripped_and_the_stored_content_is_untouched():
    blocks = [
        {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": "x"},
            "cache_control": CC,
        },
        {"type": "text", "text": "read it"},
    ]
    first = ex("read it", "done", content=blocks)
    messages = Conversation([first]).messages("next", cache=True, ttl="5m")
    assert breakpoints(messages) == [(2, 0)]
    assert "cache_control" in first.user_content[0]  # a copy was stripped, not the stored exchange


def test_with_breakpoint_marks_the_last_block_of_a_block_list():
    blocks = with_breakpoint([{"type": "image", "source": {}}, {"type": "text", "text": "q"}], "5m")
    assert "cache_control" not in blocks[0] and blocks[1]["cache_control"] == CC


def test_exchanges_without_an_answer_never_enter_the_conversation():
    conversation = Conversation(
        [ex("lost", "", status="interrupted"), ex("kept", "partial", status="interrupted")]
    )
    assert [e.prompt_text for e in conversation.exchanges] == ["kept"]
    assert not conversation.add(ex("again", "   ", status="connection_error"))
    assert len(conversation) == 1


def test_partial_answers_are_sent_back_trimmed():
    messages = Conversation([ex("q", "half an answer  \n", status="interrupted")]).messages(
        "go on", cache=True, ttl="5m"
    )
    assert messages[1] == {"role": "assistant", "content": "half an answer"}
    assert message_problems(messages) == []


def test_retry_excludes_the_exchange_it_replaces():
    last = ex("two", "b")
    conversation = Conversation([ex("one", "a"), last])
    messages = conversation.messages("two", cache=True, ttl="5m", exclude=last)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]


def test_message_problems_names_what_the_api_would_refuse():
    assert message_problems([]) != []
    assert any("same role" in p for p in message_problems([{"role": "user", "content": "a"}] * 2))
    assert any("empty" in p for p in message_problems([{"role": "user", "content": "  "}]))
    tool = [{"role": "user", "content": [{"type": "tool_use", "id": "t", "name": "x", "input": {}}]}]
    assert any("tool_use" in p for p in message_problems(tool))
    many = [
        {"role": "user", "content": [{"type": "text", "text": str(i), "cache_control": CC} for i in range(3)]}
    ]
    system = [
        {"type": "text", "text": "s", "cache_control": CC},
        {"type": "text", "text": "t", "cache_control": CC},
    ]
    assert any("breakpoints" in p for p in message_problems(many, system))


def test_any_sequence_of_turns_undos_retries_and_interrupts_yields_a_valid_list():
    """Property: whatever the user does, the next request is valid for the API."""
    rng = random.Random(5)
    for _ in range(300):
        conversation = Conversation()
        for step in range(rng.randint(1, 12)):
            action = rng.choice(["ok", "ok", "partial", "empty", "undo", "retry", "compact"])
            if action == "undo":
                conversation.pop()
            elif action == "retry":
                old = conversation.last()
                if old is None:
                    continue
                assert message_problems(conversation.messages("r", cache=True, ttl="5m", exclude=old)) == []
                conversation.exchanges.remove(old)
                conversation.add(ex("r", f"retried {step}"))
            elif action == "compact":
                del conversation.exchanges[:-1]
            else:
                answer = {"ok": f"answer {step}", "partial": f"part {step} ", "empty": ""}[action]
                conversation.add(
                    ex(f"prompt {step}", answer, status="ok" if action == "ok" else "interrupted")
                )
            messages = conversation.messages(f"next {step}", cache=True, ttl="5m")
            assert message_problems(messages) == [], messages


def test_session_names_come_from_the_first_prompt():
    assert slug("How do I reverse a list in Python? Quickly please") == "how-do-i-reverse-a-list"
    assert slug("   ???  ") == "chat"
    assert len(slug("x" * 200)) <= 40


def test_context_check_warns_from_80_percent_and_refuses_over_the_window():
    assert ContextCheck(100, None).message() is None
    assert ContextCheck(700, 1000).message() is None
    near = ContextCheck(850, 1000)
    assert near.near and not near.over and "/compact" in (near.message() or "")
    over = ContextCheck(1001, 1000)
    assert over.over and "would not fit" in (over.message() or "")


def test_osc52_carries_base64_and_is_wrapped_for_tmux():
    plain = osc52("héllo", {})
    assert plain == "\x1b]52;c;" + base64.b64encode("héllo".encode()).decode() + "\x07"
    wrapped = osc52("x", {"TMUX": "/tmp/tmux-1/default,1,0"})
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]52;c;") and wrapped.endswith("\x1b\\")


def test_the_compaction_transcript_includes_the_old_summary_and_marks_partial_answers():
    text = transcript_for_summary("earlier facts", [ex("q1", "a1"), ex("q2", "a2 cut", status="interrupted")])
    assert "earlier facts" in text and "q1" in text and "a1" in text
    assert "Assistant (interrupted, partial)" in text
