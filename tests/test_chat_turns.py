"""Chat turns and slash commands in-process: the real SDK over real HTTP against the fake API, real SQLite.

The terminal side (keys, Ctrl-C, paste, rendering) is covered in test_chat_pty.py; these tests check what
is sent, stored and booked, fast.
"""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from claudecli.chat import slash
from claudecli.chat.compact import INSTRUCTIONS
from claudecli.chat.repl import handle_line, toolbar_text
from claudecli.chat.session_store import SessionStore
from claudecli.chat.state import ChatState
from claudecli.chat.turn import run_turn
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.errors import ClaudeCliError
from tests.fakeapi import Fault
from tests.fakeapi.models import model_entry

LONG_SYSTEM = "You are a careful assistant. " * 700  # ~20,000 characters: ~5,000 tokens


@pytest.fixture
def make_chat(cli_env):
    opened: list[tuple[AppContext, SessionStore]] = []

    def make(
        model: str = "claude-sonnet-5-5", system: str | None = None, name: str | None = None
    ) -> ChatState:
        settings = load_settings()
        app_ctx = AppContext.create(
            settings, stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(""), environ={}
        )
        store = SessionStore(settings.paths.sessions_file)
        opened.append((app_ctx, store))
        return ChatState.fresh(app_ctx, store, model=model, system=system, thinking=None, name=name)

    yield make
    for app_ctx, store in opened:
        store.close()
        app_ctx.close()


def err(chat: ChatState) -> str:
    return chat.app_ctx.stderr.file.getvalue()  # type: ignore[attr-defined]


def out(chat: ChatState) -> str:
    return chat.app_ctx.stdout.file.getvalue()  # type: ignore[attr-defined]


def sent(fake_api) -> list[dict]:
    return [r.body for r in fake_api.requests_to("/v1/messages", "POST")]


def say(chat: ChatState, line: str) -> slash.Reply:
    return handle_line(chat, line)


def test_each_turn_moves_the_breakpoint_and_reads_the_previous_turn_from_cache(make_chat, fake_api):
    chat = make_chat(system=LONG_SYSTEM)
    results = [run_turn(chat, f"question {n} [[words:30]]") for n in (1, 2, 3)]
    bodies = sent(fake_api)
    assert len(bodies) == 3
    for number, body in enumerate(bodies):
        assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
        marked = [
            (i, j)
            for i, message in enumerate(body["messages"])
            if isinstance(message["content"], list)
            for j, block in enumerate(message["content"])
            if "cache_control" in block
        ]
        assert marked == [(2 * number, 0)]  # only the newest user message carries a breakpoint
    usages = [result.exchange.usage for result in results]
    assert usages[0].cache_write_tokens > 5000 and usages[0].cache_read_tokens == 0
    assert usages[1].cache_read_tokens >= usages[0].cache_write_tokens  # turn 1's whole prefix read back
    assert usages[2].cache_read_tokens > usages[1].cache_read_tokens  # the breakpoint moved on
    assert "cache read" in err(chat) and "session $" in err(chat)
    assert "w30" in out(chat)


def test_every_turn_is_booked_in_the_ledger_and_the_session(make_chat, fake_api, ledger_rows):
    chat = make_chat()
    run_turn(chat, "hello [[words:3]]")
    run_turn(chat, "again [[words:3]]")
    rows = ledger_rows()
    assert [(row["command"], row["status"], row["session_id"]) for row in rows] == [
        ("chat", "ok", chat.meta.id),
        ("chat", "ok", chat.meta.id),
    ]
    assert chat.meta.name == "hello-words-3"  # named from the first prompt, no API call
    toolbar = toolbar_text(chat)
    assert toolbar.startswith(" claude-sonnet-5-5 · hello-words-3 · ") and "tokens in context · $" in toolbar
    assert len(chat.store.exchanges(chat.meta.id)) == 2


def test_a_budget_refusal_sends_nothing_and_gives_the_prompt_back(make_chat, fake_api, monkeypatch):
    monkeypatch.setenv("CLAUDECLI_MAX_COST_PER_CALL", "0.000001")  # a real budget, through the real loader
    chat = make_chat()
    reply = say(chat, "expensive question")
    assert reply.restore == "expensive question" and not reply.exit
    assert sent(fake_api) == [] and len(chat.conversation) == 0
    assert "budget" in err(chat) and "--force" in err(chat)


def test_a_stream_dropped_half_way_keeps_the_partial_answer_and_the_next_request_is_valid(
    make_chat, fake_api
):
    chat = make_chat()
    fake_api.enqueue(Fault.drop_after(3))
    result = run_turn(chat, "long one [[words:20]]")
    assert result.exchange is not None and result.exchange.answer == "w1 w2 w3"
    assert result.exchange.status == "connection_error" and result.restore_prompt is None
    assert "partial answer is kept" in err(chat)
    run_turn(chat, "go on [[words:2]]")
    messages = sent(fake_api)[-1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == "w1 w2 w3"


def test_an_error_before_any_text_drops_the_exchange_and_returns_the_prompt(make_chat, fake_api):
    chat = make_chat()
    fake_api.enqueue(Fault.status(400, "invalid_request_error", "bad thing"))
    result = run_turn(chat, "first try")
    assert result.restore_prompt == "first try" and len(chat.conversation) == 0
    assert "bad thing" in err(chat) and "your prompt is back" in err(chat)
    run_turn(chat, "second try")
    assert len(sent(fake_api)[-1]["messages"]) == 1
    stored = chat.store.exchanges(chat.meta.id, everything=True)
    assert [(e.prompt_text, e.state) for e in stored] == [("first try", "dropped"), ("second try", "active")]


def test_context_window_warns_near_the_limit_and_refuses_over_it(make_chat, fake_api):
    fake_api.models.insert(
        0, model_entry("claude-tiny-5", "Tiny", "2026-10-01T00:00:00Z", max_input_tokens=2000)
    )
    chat = make_chat(model="claude-tiny-5")
    run_turn(chat, "x" * 6600)  # ~1,650 tokens of 2,000
    assert "/compact" in err(chat) and len(sent(fake_api)) == 1
    result = run_turn(chat, "y" * 4000)
    assert result.restore_prompt == "y" * 4000 and "would not fit" in err(chat)
    assert len(sent(fake_api)) == 1
    assert "/2,000 tokens in context" in toolbar_text(chat)


def test_undo_and_retry(make_chat, fake_api):
    chat = make_chat()
    say(chat, "one [[words:2]]")
    say(chat, "two [[words:3]]")
    say(chat, "/retry")
    retried = sent(fake_api)[-1]["messages"]
    assert [m["role"] for m in retried] == ["user", "assistant", "user"]
    assert retried[-1]["content"][0]["text"] == "two [[words:3]]"
    assert len(chat.conversation) == 2
    say(chat, "/undo")
    say(chat, "three [[echo]]")
    messages = sent(fake_api)[-1]["messages"]
    assert [m["content"] if isinstance(m["content"], str) else m["content"][0]["text"] for m in messages] == [
        "one [[words:2]]",
        "w1 w2",
        "three [[echo]]",
    ]
    states = [e.state for e in chat.store.exchanges(chat.meta.id, everything=True)]
    assert states == ["active", "replaced", "undone", "active"]
    assert "removed the last exchange" in err(chat)


def test_model_system_thinking_and_attach_shape_the_next_request(make_chat, fake_api, tmp_path: Path):
    chat = make_chat()
    notes = tmp_path / "notes.txt"
    notes.write_text("the secret word is teapot", encoding="utf-8")
    say(chat, "/model haiku")
    say(chat, "/system Answer in French.")
    say(chat, "/thinking adaptive")
    say(chat, f"/attach {notes}")
    assert "your next message carries" in err(chat) and "thinking adaptive" in toolbar_text(chat)
    say(chat, "what is the word?")
    body = sent(fake_api)[-1]
    assert body["model"] == "claude-haiku-5-5"
    assert body["system"] == "Answer in French."
    assert body["thinking"] == {"type": "adaptive"}
    content = body["messages"][0]["content"]
    assert content[0]["type"] == "document" and content[0]["source"]["data"] == "the secret word is teapot"
    assert content[1]["text"] == "what is the word?" and "cache_control" in content[1]
    assert chat.attachments == []  # attachments go with one message only
    say(chat, "/thinking off")
    say(chat, "/system off")
    say(chat, "again")
    body = sent(fake_api)[-1]
    assert "thinking" not in body and "system" not in body
    stored = chat.store.get(chat.meta.id)
    assert stored.model == "claude-haiku-5-5" and stored.thinking is None


def test_bad_slash_arguments_are_one_line_errors(make_chat, fake_api):
    chat = make_chat()
    for line, fragment in [
        ("/attach /nonexistent/file.png", ": file not found"),
        ("/thinking 12", "at least 1024"),
        ("/resume nosuchsession", "no session named"),
        ("/export", "needs a file name"),
        ("/save", "needs a name"),
    ]:
        with pytest.raises(ClaudeCliError, match=fragment):
            say(chat, line)
    say(chat, "/modle haiku")
    assert "unknown command /modle (did you mean /model?)" in err(chat)
    assert sent(fake_api) == []


def test_double_slash_sends_a_message_starting_with_a_slash(make_chat, fake_api):
    chat = make_chat()
    say(chat, "//etc/passwd is a path [[echo]]")
    assert sent(fake_api)[-1]["messages"][0]["content"][0]["text"] == "/etc/passwd is a path [[echo]]"


def test_save_clear_and_resume(make_chat, fake_api):
    chat = make_chat()
    say(chat, "first topic [[words:2]]")
    first_id = chat.meta.id
    say(chat, "/save project-x")
    say(chat, "/clear")
    assert chat.meta.id != first_id and len(chat.conversation) == 0
    assert "/resume project-x" in err(chat)
    say(chat, "second topic [[words:2]]")
    say(chat, "/sessions")
    assert "project-x" in err(chat) and "second-topic-words-2" in err(chat)
    say(chat, "/resume project-x")
    assert chat.meta.id == first_id and len(chat.conversation) == 1
    assert "resumed session 'project-x'" in err(chat)
    say(chat, "follow up [[words:1]]")
    messages = sent(fake_api)[-1]["messages"]
    assert messages[0]["content"] == "first topic [[words:2]]"
    with pytest.raises(ClaudeCliError, match="already exists"):
        say(chat, "/save second-topic-words-2")


def test_cost_shows_tokens_and_cache_savings(make_chat, fake_api):
    chat = make_chat(system=LONG_SYSTEM)
    say(chat, "a [[words:2]]")
    say(chat, "b [[words:2]]")
    say(chat, "/cost")
    text = err(chat)
    assert "saved by caching" in text and "cache read" in text
    assert chat.totals.usage.cache_read_tokens > 5000
    assert chat.totals.list_cost_usd > chat.totals.cost_usd


def test_compact_summarises_older_turns_with_the_small_model(make_chat, fake_api, ledger_rows):
    chat = make_chat(system="Be brief.")
    for n in (1, 2, 3):
        say(chat, f"topic {n} [[words:5]]")
    say(chat, "/compact")
    compact_request = sent(fake_api)[-1]
    assert compact_request["model"] == "claude-haiku-5-5"
    assert "topic 1" in compact_request["messages"][0]["content"]
    assert "topic 3" not in compact_request["messages"][0]["content"]  # the newest exchange stays verbatim
    assert "compacted 2 exchanges" in err(chat)
    assert len(chat.conversation) == 1 and chat.meta.summary
    say(chat, "next [[words:1]]")
    body = sent(fake_api)[-1]
    assert body["system"].startswith("Be brief.\n\nSummary of the earlier part")
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][0]["content"] == "topic 3 [[words:5]]"
    assert [row["command"] for row in ledger_rows()] == ["chat"] * 3 + ["chat-compact", "chat"]
    assert chat.store.get(chat.meta.id).summary == chat.meta.summary
    assert chat.totals.calls == 5
    say(chat, "/compact")  # folds "topic 3" into the summary (the summary chains)
    assert "topic 3" in sent(fake_api)[-1]["messages"][0]["content"]
    say(chat, "/compact")
    assert "nothing to compact" in err(chat)


def test_export_writes_a_private_markdown_transcript(make_chat, fake_api, tmp_path: Path):
    chat = make_chat(system="Be brief.")
    say(chat, "what is two plus two [[words:4]]")
    fake_api.enqueue(Fault.drop_after(2))
    say(chat, "and then [[words:10]]")
    path = tmp_path / "chat.md"
    say(chat, f"/export {path}")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# what-is-two-plus-two-words\n")
    assert "## System prompt\n\nBe brief." in text
    assert "## You\n\nwhat is two plus two [[words:4]]" in text
    assert "## Claude (claude-sonnet-5-5)\n\nw1 w2 w3 w4" in text
    assert "*[incomplete: connection_error: partial answer]*" in text
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ClaudeCliError, match="already exists"):
        say(chat, f"/export {path}")
    say(chat, f"/export {path} --force")


def test_exit_and_help(make_chat):
    chat = make_chat()
    assert say(chat, "/exit").exit and say(chat, "/quit").exit
    say(chat, "/help")
    assert all(name in err(chat) for name in slash.COMMANDS)


def test_list_json_reads_the_store(make_chat, fake_api, run_cli):
    chat = make_chat()
    say(chat, "listed chat [[words:2]]")
    result = run_cli("chat", "--list", "--json")
    assert result.exit_code == 0, result
    [document] = json.loads(result.stdout)["items"]
    assert (
        document["name"] == "listed-chat-words-2"
        and document["turns"] == 1
        and document["id"] == chat.meta.id
    )
    assert document["cost_usd"] > 0 and document["cost_complete"] is True
    table = run_cli("chat", "--list")
    assert "listed-chat-words-2" in table.stdout and "\x1b" not in table.stdout
    with sqlite3.connect(chat.store.path) as conn:
        assert conn.execute("SELECT count(*) FROM turns").fetchone() == (1,)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_rendered_turn_is_marked_incomplete_only_when_part_of_an_answer_arrived(make_chat, fake_api):
    from claudecli.core.context import OutputMode, make_console

    chat = make_chat()
    screen = _Terminal()
    chat.app_ctx.stdout, chat.app_ctx.mode = make_console(screen, styled=True), OutputMode.RICH
    for _ in range(3):
        fake_api.enqueue(Fault.status(529, "overloaded_error", "Overloaded"))
    run_turn(chat, "nothing arrives [[words:5]]")
    assert "overloaded" in err(chat) and "[answer incomplete]" not in screen.getvalue()
    fake_api.enqueue(Fault.drop_after(3))
    run_turn(chat, "some of it arrives [[words:20]]")
    assert "w3" in screen.getvalue() and "[answer incomplete]" in screen.getvalue()


def test_model_refuses_an_id_the_models_list_does_not_have(make_chat, fake_api):
    """`/model nosuchmodel` was accepted silently; the next turn then failed with a 404."""
    chat = make_chat()
    with pytest.raises(
        ClaudeCliError, match=r"unknown model 'claude-sonet-5-5'.*did you mean claude-sonnet-5-5"
    ):
        say(chat, "/model claude-sonet-5-5")
    assert chat.meta.model == "claude-sonnet-5-5"
    say(chat, "/model claude-opus-5")
    assert chat.meta.model == "claude-opus-5" and "model: claude-opus-5" in err(chat)


def test_model_looks_for_a_new_model_in_a_fetched_list_before_refusing(make_chat, fake_api):
    chat = make_chat()
    say(chat, "/model haiku")  # the list is now cached
    fake_api.models = [
        model_entry("claude-opus-6", "Claude Opus 6", "2026-12-01T00:00:00Z", line="opus"),
        *fake_api.models,
    ]
    say(chat, "/model claude-opus-6")  # released after the cache was written
    assert chat.meta.model == "claude-opus-6"


def test_model_refuses_an_api_alias_of_a_retired_model(make_chat, fake_api):
    """`/model <alias of a retired model>` was accepted, and failed at the next turn."""
    fake_api.models = [
        *(m for m in fake_api.models if m["id"] != "claude-sonnet-4-5"),  # the API lists the dated id
        model_entry(
            "claude-sonnet-4-5-20250929",
            "Claude Sonnet 4.5",
            "2025-09-29T00:00:00Z",
            "retired",
            line="sonnet",
        ),
    ]
    chat = make_chat()
    with pytest.raises(ClaudeCliError, match=r"claude-sonnet-4-5 \(claude-sonnet-4-5-20250929\) was retired"):
        say(chat, "/model claude-sonnet-4-5")
    assert chat.meta.model == "claude-sonnet-5-5" and sent(fake_api) == []


def test_model_accepts_an_unchecked_id_with_a_warning_when_the_list_is_unreachable(make_chat, fake_api):
    fake_api.enqueue(Fault.status(500, "api_error", "down"), path="/v1/models")
    chat = make_chat()
    say(chat, "/model claude-gateway-special")
    assert chat.meta.model == "claude-gateway-special"
    assert "cannot check 'claude-gateway-special' against the models list" in err(chat)


def _copy_in_a_terminal(chat: ChatState) -> tuple[str, str]:
    """Run /copy with stderr a terminal; returns (what the terminal received, what /copy said)."""
    from claudecli.core.context import make_console

    screen = _Terminal()
    chat.app_ctx.stderr = make_console(screen, styled=False)
    say(chat, "/copy")
    said = screen.getvalue().split("\x07")[-1]  # after the OSC 52 sequence
    return screen.getvalue(), said


def _clipboard_tool(directory: Path, name: str, exit_code: int = 0) -> Path:
    """A stand-in clipboard tool on PATH that keeps what it was given."""
    kept = directory / f"{name}.txt"
    tool = directory / name
    tool.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(kept)!r}, 'wb').write(sys.stdin.buffer.read())\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    tool.chmod(0o755)
    return kept


def test_copy_says_what_was_done_when_nothing_confirms_it(make_chat, fake_api, monkeypatch, tmp_path):
    """It said "copied" though tmux or the terminal may drop OSC 52 without a word."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "TMUX"):
        monkeypatch.delenv(name, raising=False)
    chat = make_chat()
    say(chat, "say it [[words:3]]")
    screen, said = _copy_in_a_terminal(chat)
    assert "\x1b]52;c;" + base64.b64encode(b"w1 w2 w3").decode() in screen
    assert "sent the last answer (8 characters) to the terminal's clipboard with OSC 52" in said
    assert "may ignore it" in said and "copied" not in said
    monkeypatch.setenv("TMUX", "/tmp/tmux-1/default,1,0")
    monkeypatch.setenv("PATH", str(tmp_path))  # no tmux binary to take it
    _, said = _copy_in_a_terminal(chat)
    assert "allow-passthrough" in said and "copied" not in said


def test_copy_says_copied_when_a_clipboard_tool_took_the_text(make_chat, fake_api, monkeypatch, tmp_path):
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("PATH", str(tmp_path))
    kept = _clipboard_tool(tmp_path, "wl-copy", exit_code=1)  # a tool that fails confirms nothing
    chat = make_chat()
    say(chat, "say it [[words:3]]")
    _, said = _copy_in_a_terminal(chat)
    assert "may ignore it" in said and "copied" not in said
    kept = _clipboard_tool(tmp_path, "wl-copy")
    _, said = _copy_in_a_terminal(chat)
    assert "copied the last answer (8 characters) to the clipboard (wl-copy)" in said
    assert kept.read_text(encoding="utf-8") == "w1 w2 w3"


def _compact_requests(fake_api) -> list[dict]:
    return [body for body in sent(fake_api) if body.get("system") == INSTRUCTIONS]


def test_compact_keeps_the_history_when_the_summary_is_cut_off(make_chat, fake_api, ledger_rows):
    """A summary that stopped at max_tokens was accepted: the end of the conversation was silently lost."""
    chat = make_chat(system="Be brief.")
    say(chat, "topic 1 [[max_tokens]]")  # the fake's summary of a transcript holding this stops at max_tokens
    say(chat, "topic 2 [[words:2]]")
    say(chat, "/compact")
    assert [body["max_tokens"] for body in _compact_requests(fake_api)] == [
        2048,
        8192,
    ]  # one retry, more room
    assert "cut off" in err(chat) and "nothing changed" in err(chat)
    assert len(chat.conversation) == 2 and chat.meta.summary is None
    assert chat.store.get(chat.meta.id).summary is None
    assert [row["command"] for row in ledger_rows()] == ["chat", "chat", "chat-compact", "chat-compact"]
    assert chat.totals.calls == 4  # the two summaries cost money: they count in the session
    say(chat, "next [[words:1]]")
    assert sent(fake_api)[-1]["system"] == "Be brief."  # no truncated summary was folded in


def test_compact_never_makes_the_context_larger(make_chat, fake_api, ledger_rows):
    """On a very short chat the summary can be longer than what it replaces: it was folded in anyway and the
    context grew, under "compacted"."""
    chat = make_chat(system="Be brief.")
    say(chat, "hi [[echo]]")  # the fake's summary of a transcript holding this echoes the whole transcript
    say(chat, "ok [[words:1]]")
    say(chat, "/compact")
    assert "nothing compacted: the summary came out no shorter than the 1 exchange it would replace" in err(
        chat
    )
    assert "compacted 1" not in err(chat)
    assert len(chat.conversation) == 2 and chat.meta.summary is None
    assert [row["command"] for row in ledger_rows()] == ["chat", "chat", "chat-compact"]
    assert chat.totals.calls == 3  # the summary cost money: it counts in the session
    say(chat, "next [[words:1]]")
    assert sent(fake_api)[-1]["system"] == "Be brief."


def test_compact_counts_what_an_attachment_takes_in_context(make_chat, fake_api, tmp_path: Path):
    """The summary is measured against what it replaces in context, not against the transcript it was made from
    (an attachment is one "[attached: …]" line there): a chat holding a long document was never compacted."""
    chat = make_chat(system="Be brief.")
    notes = tmp_path / "notes.txt"
    notes.write_text("a fact worth keeping. " * 2_000, encoding="utf-8")  # about 11,000 tokens in context
    say(chat, f"/attach {notes}")
    say(
        chat, "read it [[echo]]"
    )  # the summary echoes the transcript: longer than it, far shorter than the file
    say(chat, "ok [[words:1]]")
    say(chat, "/compact")
    assert "nothing compacted" not in err(chat) and "compacted 1" in err(chat)
    assert len(chat.conversation) == 1 and chat.meta.summary is not None


def test_compact_asks_again_with_more_room_when_the_summary_is_cut_off(make_chat, fake_api):
    chat = make_chat()
    say(chat, "topic 1 [[words:3000]]")  # the fake's summary is 3,000 words: over 2,048, under 8,192
    say(chat, "topic 2 [[words:2]]")
    say(chat, "/compact")
    assert [body["max_tokens"] for body in _compact_requests(fake_api)] == [2048, 8192]
    assert "asking again with room for 8,192" in err(chat) and "compacted 1 exchange" in err(chat)
    assert len(chat.conversation) == 1 and chat.meta.summary is not None
    assert chat.meta.summary.split()[-1] == "w3000"  # the whole summary, not its first 2,048 words
