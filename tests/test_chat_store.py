"""The chat session store: real SQLite files, including one written by a process killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from claudecli.chat.conversation import Exchange
from claudecli.chat.session_store import MIGRATIONS, SessionMeta, SessionStore
from claudecli.core.errors import UsageError
from claudecli.core.usage import TokenUsage
from tests.conftest import subprocess_env


def turn(n: int, *, answer: str | None = None, cost: str | None = "0.001", status: str = "ok") -> Exchange:
    return Exchange(
        prompt_text=f"question {n}",
        user_content=[{"type": "text", "text": f"question {n}"}],
        answer=f"answer {n}" if answer is None else answer,
        status=status,
        model="claude-sonnet-5-5",
        usage=TokenUsage(input_tokens=10 * n, output_tokens=n, cache_read_tokens=5),
        cost_usd=None if cost is None else Decimal(cost),
        list_cost_usd=Decimal("0.002"),
    )


@pytest.fixture
def store(tmp_path: Path):
    with SessionStore(tmp_path / "data" / "sessions.db") as opened:
        yield opened


def meta(session_id: str = "abc123def456", name: str = "my-chat") -> SessionMeta:
    return SessionMeta(
        id=session_id, name=name, model="claude-sonnet-5-5", system="be brief", thinking="adaptive"
    )


def test_a_session_round_trips_with_its_turns_usage_and_cost(store):
    session = meta()
    store.record(session, turn(1))
    store.record(session, turn(2))
    loaded = store.get(session.id)
    assert loaded is not None
    assert (loaded.name, loaded.model, loaded.system, loaded.thinking) == (
        "my-chat",
        "claude-sonnet-5-5",
        "be brief",
        "adaptive",
    )
    exchanges = store.exchanges(session.id)
    assert [e.seq for e in exchanges] == [1, 2]
    assert exchanges[1].user_content == [{"type": "text", "text": "question 2"}]
    assert exchanges[1].usage == TokenUsage(input_tokens=20, output_tokens=2, cache_read_tokens=5)
    assert exchanges[1].cost_usd == Decimal("0.001")
    totals = store.totals(session.id)
    assert (
        totals.calls == 2 and totals.cost_usd == Decimal("0.002") and totals.list_cost_usd == Decimal("0.004")
    )


def test_states_hide_turns_from_the_conversation_but_not_from_the_cost(store):
    session = meta()
    for n in (1, 2, 3):
        store.record(session, turn(n))
    store.set_state(session.id, [3], "undone")
    store.record(session, turn(4), replaces=2)
    assert [e.prompt_text for e in store.exchanges(session.id)] == ["question 1", "question 4"]
    assert len(store.exchanges(session.id, everything=True)) == 4
    assert store.totals(session.id).cost_usd == Decimal("0.004")


def test_compaction_updates_summary_states_and_books_the_call_at_once(store):
    session = meta()
    for n in (1, 2, 3):
        store.record(session, turn(n))
    session.summary = "they asked three questions"
    call = turn(9)
    call.kind, call.state = "compact", "summary"
    store.compact(session, [1, 2], call)
    assert store.get(session.id).summary == "they asked three questions"
    assert [e.seq for e in store.exchanges(session.id)] == [3]
    assert store.totals(session.id).calls == 4


def test_find_by_name_id_or_unique_id_prefix(store):
    store.save_meta(meta("aaaa11112222", "alpha"))
    store.save_meta(meta("aaaa33334444", "beta"))
    assert store.find("alpha").id == "aaaa11112222"
    assert store.find("aaaa33334444").name == "beta"
    assert store.find("aaaa3").name == "beta"
    assert store.find("aaaa") is None  # ambiguous
    assert store.find("aa") is None  # too short to be a prefix
    assert store.find("a%") is None and store.find("____") is None  # LIKE wildcards are literal
    assert store.find("gamma") is None


def test_names_are_unique_and_numbered(store):
    store.save_meta(meta("id1", "chat"))
    store.save_meta(meta("id2", "chat-2"))
    assert store.unique_name("chat") == "chat-3"
    assert store.unique_name("other") == "other"
    assert store.name_taken("chat") and not store.name_taken("chat", by_other_than="id1")
    chosen = meta("id3", "chat")  # the user's own choice (/save) is refused, nothing written
    with pytest.raises(UsageError, match="a session named 'chat' already exists"):
        store.save_meta(chosen, exclusive_name=True)
    assert store.get("id3") is None and chosen.name == "chat"


def test_a_name_taken_by_another_terminal_meanwhile_is_numbered_not_a_crash(tmp_path):
    """Two `chat --session work` both found no session; the name is settled inside each write transaction."""
    path = tmp_path / "data" / "sessions.db"
    with SessionStore(path) as first, SessionStore(path) as second:
        mine, theirs = meta("id1", "work"), meta("id2", "work")
        first.record(mine, turn(1))
        assert second.record(theirs, turn(1)) == 1  # before: sqlite3.IntegrityError, the answer lost
        assert (mine.name, theirs.name) == ("work", "work-2")
        second.record(theirs, turn(2))  # its own name again: no further renaming
        stale = meta("id3", "work-2")
        first.compact(stale, [], turn(9))
        assert stale.name == "work-2-2"
    with SessionStore(path) as store:
        assert [len(store.exchanges(i)) for i in ("id1", "id2")] == [1, 2]
        assert {listing.meta.name for listing in store.list_sessions()} == {"work", "work-2", "work-2-2"}


def test_latest_is_per_profile_and_listing_is_most_recent_first(store):
    first, second = meta("id1", "first"), meta("id2", "second")
    store.record(first, turn(1))
    time.sleep(0.005)
    store.record(second, turn(1, cost=None))
    time.sleep(0.005)
    store.record(first, turn(2))
    assert store.latest().id == "id1"
    work = SessionMeta(id="id3", name="work", model="m", profile="work")
    store.save_meta(work)
    assert store.latest("work").id == "id3" and store.latest().id == "id1"
    listings = store.list_sessions()
    assert [listing.meta.name for listing in listings] == ["work", "first", "second"]
    by_name = {listing.meta.name: listing for listing in listings}
    assert by_name["first"].turns == 2 and by_name["first"].cost_usd == Decimal("0.002")
    assert by_name["second"].unpriced_calls == 1
    assert len(store.list_sessions(limit=1)) == 1


def test_the_file_is_private_and_migrations_are_named_and_applied_once(tmp_path):
    path = tmp_path / "data" / "sessions.db"
    SessionStore(path).close()
    SessionStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert names == [migration.name for migration in MIGRATIONS]


WRITER = textwrap.dedent(
    """
    import sys
    from decimal import Decimal
    from claudecli.chat.conversation import Exchange
    from claudecli.chat.session_store import SessionMeta, SessionStore
    from claudecli.core.usage import TokenUsage

    store = SessionStore(sys.argv[1])
    meta = SessionMeta(id="killed000001", name="killed", model="claude-sonnet-5-5")
    n = 0
    while True:
        n += 1
        text = "answer %d " % n + "x" * 20000  # big rows: the kill often lands inside a write
        store.record(meta, Exchange(prompt_text="q%d" % n, user_content="q%d" % n, answer=text,
                                    model="claude-sonnet-5-5", usage=TokenUsage(input_tokens=n),
                                    cost_usd=Decimal("0.001")))
        print(n, flush=True)
    """
)


def test_a_session_written_by_a_killed_process_keeps_every_completed_turn(tmp_path):
    path = tmp_path / "data" / "sessions.db"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=subprocess_env()
    )
    assert child.stdout is not None
    committed = 0
    while committed < 25:
        committed = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    with SessionStore(path) as store:
        exchanges = store.exchanges("killed000001")
        assert store.get("killed000001").name == "killed"
    assert len(exchanges) >= committed  # nothing acknowledged was lost
    assert [e.seq for e in exchanges] == list(range(1, len(exchanges) + 1))  # whole turns only, in order
    for e in exchanges:
        assert (
            e.prompt_text == f"q{e.seq}" and e.answer.startswith(f"answer {e.seq} ") and len(e.answer) > 20000
        )
        assert e.usage.input_tokens == e.seq
