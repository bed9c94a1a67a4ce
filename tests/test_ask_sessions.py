"""`ask -c` / `ask --session NAME`: conversations that continue from the shell (issue 14, part 3).

Against the fake API (real SDK, real HTTP, real SQLite): the history reaches the request, the cache breakpoint
moves, the chat's session store holds the conversation, and concurrent asks of one conversation never fork it.
"""

from __future__ import annotations

import json
import sqlite3
import time

from tests.conftest import assert_no_traceback
from tests.test_signals_pipes import spawn_ask

MESSAGES = "/v1/messages"
LONG_INPUT = "A line of a long diff to review, repeated to pass the cache minimum.\n" * 400


def posts(fake_api) -> list[dict]:
    return [r.body for r in fake_api.requests_to(MESSAGES, method="POST")]


def text_of(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") for block in content if block.get("type") == "text")


def sessions(home) -> list[tuple[str, int]]:
    path = home / "data" / "sessions.db"
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT s.name, count(t.seq) FROM sessions s LEFT JOIN turns t ON t.session_id = s.id "
            "GROUP BY s.id ORDER BY s.name"
        ).fetchall()


def test_a_named_conversation_continues_and_reads_the_cache(cli_env, run_cli, fake_api, ledger_rows, home):
    first = run_cli("ask", "--session", "review", "[[words:3]] review this", input=LONG_INPUT)
    assert first.exit_code == 0, first
    second = run_cli("ask", "--session", "review", "--json", "[[echo]] now only the security issues")
    assert second.exit_code == 0, second
    body = posts(fake_api)[-1]
    roles = [message["role"] for message in body["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert text_of(body["messages"][0]["content"]).startswith(LONG_INPUT[:40])
    assert body["messages"][1]["content"] == "w1 w2 w3"
    assert "cache_control" in body["messages"][-1]["content"][-1]  # the breakpoint moved to the newest turn
    document = json.loads(second.stdout)
    assert document["session"]["name"] == "review"
    rows = ledger_rows()
    assert rows[-1]["cache_read_tokens"] > 0  # the first ask's prefix came from cache
    assert rows[0]["session_id"] == rows[1]["session_id"] == document["session"]["id"]
    assert sessions(home) == [("review", 2)]


def test_a_plain_ask_stores_no_conversation(cli_env, run_cli, fake_api, home):
    assert run_cli("ask", "[[words:2]]").exit_code == 0
    assert sessions(home) == []


def test_continue_picks_the_latest_and_chat_lists_it(cli_env, run_cli, fake_api, home):
    assert run_cli("ask", "--session", "older", "[[words:1]]").exit_code == 0
    assert run_cli("ask", "--session", "newer", "[[words:2]]").exit_code == 0
    result = run_cli("ask", "-c", "[[words:1]] more")
    assert result.exit_code == 0, result
    assert posts(fake_api)[-1]["messages"][1]["content"] == "w1 w2"
    listed = json.loads(run_cli("chat", "--list", "--json").stdout)["items"]
    assert {item["name"] for item in listed} == {"older", "newer"}


def test_continue_with_nothing_to_continue_starts_one(cli_env, run_cli, fake_api, home):
    result = run_cli("ask", "-c", "[[words:1]]")
    assert result.exit_code == 0 and "no earlier conversation" in result.stderr
    assert len(sessions(home)) == 1


def test_the_model_stays_with_the_conversation_until_a_flag_changes_it(cli_env, run_cli, fake_api):
    assert run_cli("ask", "--session", "m", "-m", "haiku", "[[words:1]]").exit_code == 0
    assert run_cli("ask", "--session", "m", "[[words:1]]").exit_code == 0
    assert posts(fake_api)[-1]["model"] == "claude-haiku-5-5"
    assert run_cli("ask", "--session", "m", "-m", "opus", "-s", "Be brief.", "[[words:1]]").exit_code == 0
    assert run_cli("ask", "--session", "m", "[[words:1]]").exit_code == 0
    body = posts(fake_api)[-1]
    assert body["model"] == "claude-opus-5-5" and body["system"] == "Be brief."


def test_continue_and_session_together_is_a_usage_error(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-c", "--session", "x", "hi")
    assert result.exit_code == 2 and "give one of them" in result.stderr
    assert posts(fake_api) == []


def _wait_for_posts(fake_api, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(posts(fake_api)) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_concurrent_asks_of_one_conversation_take_turns(cli_env, fake_api, home):
    fake_api.token_delay = 0.02
    first = spawn_ask("--session", "shared", "[[words:150]] one")  # holds the conversation ~3 s
    _wait_for_posts(fake_api, 1)
    second = spawn_ask("--session", "shared", "[[words:2]] two")
    busy = spawn_ask("--session", "shared", "--no-wait", "three")
    _, busy_err = busy.communicate(timeout=30)
    assert busy.returncode == 2 and b"another ask is continuing this conversation" in busy_err
    for child in (first, second):
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        assert_no_traceback(err.decode())
    later = posts(fake_api)[-1]
    assert [m["role"] for m in later["messages"]] == ["user", "assistant", "user"]  # it saw the first
    assert sessions(home) == [("shared", 2)]  # one conversation, never renamed shared-2, never forked
