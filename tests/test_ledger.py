"""The usage ledger and the shared SQLite helper, against real database files (no mocks)."""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import os
import sqlite3
import stat
import time
import traceback
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claudecli.core.db import Migration, applied_migrations, apply_migrations, connect, write_transaction
from claudecli.core.usage import TokenUsage
from claudecli.ledger.migrations import LEDGER_MIGRATIONS
from claudecli.ledger.store import CallRecord, Ledger, format_ts, parse_ts

T0 = datetime(2026, 11, 22, 4, 32, 1, 123000, tzinfo=UTC)

CALL_COLUMNS = {
    "id": "INTEGER",
    "ts": "TEXT",
    "command": "TEXT",
    "profile": "TEXT",
    "model": "TEXT",
    "input_tokens": "INTEGER",
    "output_tokens": "INTEGER",
    "cache_write_5m_tokens": "INTEGER",
    "cache_write_1h_tokens": "INTEGER",
    "cache_read_tokens": "INTEGER",
    "thinking_tokens": "INTEGER",
    "web_search_requests": "INTEGER",
    "cost_usd": "REAL",
    "list_cost_usd": "REAL",
    "is_batch": "INTEGER",
    "latency_ms": "INTEGER",
    "ttft_ms": "INTEGER",
    "stop_reason": "TEXT",
    "status": "TEXT",
    "request_id": "TEXT",
    "tag": "TEXT",
    "session_id": "TEXT",
    "batch_id": "TEXT",
    "custom_id": "TEXT",
    "prompt_sha256": "TEXT",
    "answer_sha256": "TEXT",
    "pid": "INTEGER",
    "pid_start": "TEXT",
    "host": "TEXT",
    "worst_cost_usd": "REAL",
    "web_fetch_requests": "INTEGER",
    "loop_id": "TEXT",
    "step": "INTEGER",
    "speed": "TEXT",
    "service_tier": "TEXT",
    "inference_geo": "TEXT",
}
MIGRATION_NAMES = [
    "m001_calls",
    "m002_indexes",
    "m003_bodies",
    "m004_call_days",
    "m005_write_ahead",
    "m006_tool_loops",
    "m007_call_mode",
]


def _columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    return {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({table})")}


def _indexes(conn: sqlite3.Connection, table: str) -> dict[str, list[str]]:
    names = [row[1] for row in conn.execute(f"PRAGMA index_list({table})") if row[3] == "c"]
    return {name: [row[2] for row in conn.execute(f"PRAGMA index_info({name})")] for name in names}


def _count(path: Path) -> int:
    """The number of rows in ``calls``, read from the file itself."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])


def _bodies(path: Path) -> dict[int, tuple[str | None, str | None]]:
    """``{call id: (prompt, answer)}`` of the bodies stored in the file."""
    with sqlite3.connect(path) as conn:
        return {
            row[0]: (row[1], row[2]) for row in conn.execute("SELECT call_id, prompt, answer FROM bodies")
        }


def _usage(n: int) -> TokenUsage:
    return TokenUsage(
        input_tokens=n,
        output_tokens=2 * n,
        cache_write_5m_tokens=3 * n,
        cache_write_1h_tokens=4 * n,
        cache_read_tokens=5 * n,
        thinking_tokens=6 * n,
        web_search_requests=7 * n,
    )


# -- migrations ---------------------------------------------------------------------------------------------


def test_migrations_from_empty_database_build_schema_and_rerun_is_noop(tmp_path: Path) -> None:
    conn = connect(tmp_path / "usage.db")
    assert apply_migrations(conn, LEDGER_MIGRATIONS) == MIGRATION_NAMES

    assert _columns(conn, "calls") == CALL_COLUMNS
    info = {row[1]: row for row in conn.execute("PRAGMA table_info(calls)")}
    assert info["id"][5] == 1  # primary key
    for column in ("ts", "command", "model", "status", "input_tokens", "thinking_tokens", "is_batch"):
        assert info[column][3] == 1, f"{column} should be NOT NULL"
    for column in ("cost_usd", "list_cost_usd", "latency_ms", "ttft_ms", "request_id", "tag"):
        assert info[column][3] == 0, f"{column} should be nullable"
    assert info["thinking_tokens"][4] == "0"
    assert _columns(conn, "bodies") == {"call_id": "INTEGER", "prompt": "TEXT", "answer": "TEXT"}
    assert conn.execute("PRAGMA foreign_key_list(bodies)").fetchone()[2:5] == ("calls", "call_id", "id")
    indexes = _indexes(conn, "calls")
    assert ["ts", "cost_usd"] in indexes.values()
    assert ["model", "ts"] in indexes.values()

    assert applied_migrations(conn) == MIGRATION_NAMES
    assert all(
        applied_at.endswith("Z") and parse_ts(applied_at)
        for (applied_at,) in conn.execute("SELECT applied_at FROM _migrations")
    )
    assert apply_migrations(conn, LEDGER_MIGRATIONS) == []
    conn.close()

    # Re-opening through the Ledger applies nothing either.
    with Ledger(tmp_path / "usage.db") as ledger:
        assert list(ledger.iter_calls()) == []
    conn = connect(tmp_path / "usage.db")
    assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATION_NAMES)
    conn.close()


def test_old_database_with_only_m001_gets_the_rest_on_open(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    conn = connect(path)
    assert apply_migrations(conn, LEDGER_MIGRATIONS[:1]) == ["m001_calls"]
    conn.execute(
        "INSERT INTO calls (ts, command, model, input_tokens, cost_usd) VALUES (?, 'ask', 'claude-x', 11, 0.5)",
        (format_ts(T0),),
    )
    conn.close()

    with Ledger(path) as ledger:
        (old,) = list(ledger.iter_calls())
        assert (old.command, old.model, old.usage.input_tokens, old.cost_usd) == (
            "ask",
            "claude-x",
            11,
            Decimal("0.5"),
        )
        assert old.status == "ok" and old.usage.thinking_tokens == 0
        ledger.record(CallRecord(command="ask", model="claude-x", usage=_usage(1), prompt_text="p"))

    conn = connect(path)
    assert applied_migrations(conn) == MIGRATION_NAMES
    assert "bodies" in {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_migration_runner_rules(tmp_path: Path) -> None:
    conn = connect(tmp_path / "m.db")
    calls: list[str] = []

    def fill(c: sqlite3.Connection) -> None:
        calls.append("fill")
        c.execute("INSERT INTO t (a) VALUES ('x;y')")

    migrations = [
        Migration("one", "CREATE TABLE t (a TEXT); -- a comment; with semicolons\nCREATE INDEX t_a ON t (a)"),
        Migration("two", fill),
    ]
    assert apply_migrations(conn, migrations) == ["one", "two"]
    assert apply_migrations(conn, migrations) == []
    assert calls == ["fill"]
    assert conn.execute("SELECT a FROM t").fetchall() == [("x;y",)]

    with pytest.raises(ValueError, match="duplicate"):
        apply_migrations(conn, [*migrations, Migration("one", "SELECT 1")])

    # A failing migration leaves nothing behind: not its effects, not its name, not earlier pending ones.
    broken = [*migrations, Migration("three", "CREATE TABLE u (a)"), Migration("four", "NOT SQL")]
    with pytest.raises(sqlite3.OperationalError):
        apply_migrations(conn, broken)
    assert applied_migrations(conn) == ["one", "two"]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'u'").fetchone() == (0,)
    assert not conn.in_transaction
    conn.close()


def test_write_transaction_commits_rolls_back_and_nests(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (a INTEGER)")
    with write_transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(RuntimeError), write_transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError
        conn.execute("INSERT INTO t VALUES (3)")
    with pytest.raises(RuntimeError), write_transaction(conn):
        conn.execute("INSERT INTO t VALUES (4)")
        raise RuntimeError
    assert [a for (a,) in conn.execute("SELECT a FROM t ORDER BY a")] == [1, 3]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA busy_timeout").fetchone() == (30000,)
    conn.close()


# -- recording ----------------------------------------------------------------------------------------------


def test_record_round_trips_every_field(tmp_path: Path) -> None:
    usage = TokenUsage(
        input_tokens=1234,
        output_tokens=567,
        cache_write_5m_tokens=89,
        cache_write_1h_tokens=10,
        cache_read_tokens=11_000,
        thinking_tokens=321,
        web_search_requests=2,
    )
    rec = CallRecord(
        command="ask",
        model="claude-sonnet-4-5",
        usage=usage,
        status="rate_limit_error",
        cost_usd=Decimal("0.012345678"),
        list_cost_usd=0.0456,
        profile="work",
        is_batch=True,
        latency_ms=1500,
        ttft_ms=420,
        stop_reason="end_turn",
        request_id="req_011CabcDEF",
        tag="nightly",
        session_id="sess-1",
        batch_id="msgbatch_01",
        custom_id="row-7",
        prompt_text="What is 2+2? ünïcödé",
        answer_text="4",
        ts=T0,
    )
    with Ledger(tmp_path / "usage.db") as ledger:
        call_id = ledger.record(rec)
        (stored,) = list(ledger.iter_calls())

    assert stored.id == call_id
    assert stored.ts == T0 and stored.ts.tzinfo is not None
    assert stored.usage == usage
    assert stored.cost_usd == Decimal("0.012345678")
    assert stored.list_cost_usd == Decimal("0.0456")
    assert (stored.command, stored.model, stored.profile, stored.status) == (
        "ask",
        "claude-sonnet-4-5",
        "work",
        "rate_limit_error",
    )
    assert stored.is_batch is True
    assert (stored.latency_ms, stored.ttft_ms, stored.stop_reason) == (1500, 420, "end_turn")
    assert (stored.request_id, stored.tag, stored.session_id) == ("req_011CabcDEF", "nightly", "sess-1")
    assert (stored.batch_id, stored.custom_id) == ("msgbatch_01", "row-7")
    assert stored.prompt_sha256 == hashlib.sha256("What is 2+2? ünïcödé".encode()).hexdigest()
    assert stored.answer_sha256 == hashlib.sha256(b"4").hexdigest()

    conn = sqlite3.connect(tmp_path / "usage.db")
    assert conn.execute("SELECT ts FROM calls").fetchone() == ("2026-11-22T04:32:01.123Z",)
    assert conn.execute("SELECT count(*) FROM bodies").fetchone() == (0,)  # log_bodies is off by default
    conn.close()
    # Nothing of the texts is stored anywhere in the files.
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"What is 2+2?" not in raw


def test_defaults_and_unknown_cost(tmp_path: Path) -> None:
    with Ledger(tmp_path / "usage.db") as ledger:
        call_id = ledger.record(CallRecord(command="chat", model="m", usage=TokenUsage()))
        (stored,) = list(ledger.iter_calls())
    assert stored.id == call_id
    assert stored.status == "ok" and stored.is_batch is False
    assert stored.cost_usd is None and stored.list_cost_usd is None
    assert stored.prompt_sha256 is None and stored.answer_sha256 is None
    assert stored.usage == TokenUsage()
    assert datetime.now(UTC) - stored.ts < timedelta(minutes=1)


def test_bodies_stored_only_with_log_bodies(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    with Ledger(path, log_bodies=True) as ledger:
        first = ledger.record(
            CallRecord(command="ask", model="m", usage=_usage(1), prompt_text="hello", answer_text="world")
        )
        partial = ledger.record(CallRecord(command="ask", model="m", usage=_usage(1), prompt_text="only q"))
        ledger.record(CallRecord(command="ask", model="m", usage=_usage(1)))
        assert _bodies(path) == {first: ("hello", "world"), partial: ("only q", None)}
    with Ledger(path) as ledger:
        ledger.record(CallRecord(command="ask", model="m", usage=_usage(1), prompt_text="secret"))
    assert _bodies(path) == {first: ("hello", "world"), partial: ("only q", None)}


def test_naive_timestamps_are_refused(tmp_path: Path) -> None:
    with Ledger(tmp_path / "usage.db") as ledger:
        with pytest.raises(ValueError, match="timezone-aware"):
            ledger.record(CallRecord(command="a", model="m", usage=TokenUsage(), ts=datetime(2026, 1, 1)))
        with pytest.raises(ValueError, match="timezone-aware"):
            ledger.spent_since(datetime(2026, 1, 1))
    assert _count(tmp_path / "usage.db") == 0
    india = datetime(2026, 1, 1, 11, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert format_ts(india) == "2026-01-01T05:30:00.000Z"


def test_record_many_is_one_transaction(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    with Ledger(path, log_bodies=True) as ledger:
        recs = [
            CallRecord(command="batch", model="m", usage=_usage(1), custom_id=f"r{i}", prompt_text=f"p{i}")
            for i in range(2000)
        ]
        ids = ledger.record_many(recs)
        assert len(ids) == 2000 and len(set(ids)) == 2000
        assert _count(path) == 2000
        assert _bodies(path)[ids[-1]] == ("p1999", None)
        bad = [CallRecord(command="batch", model="m", usage=_usage(1)) for _ in range(3)]
        bad[2].ts = datetime(2026, 1, 1)  # naive: refused before anything is written
        with pytest.raises(ValueError):
            ledger.record_many(bad)
        assert _count(path) == 2000


def test_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "usage.db"
    old_umask = os.umask(0o022)
    try:
        with Ledger(path) as ledger:
            ledger.record(CallRecord(command="ask", model="m", usage=_usage(1)))
            for candidate in (path, path.with_name("usage.db-wal"), path.with_name("usage.db-shm")):
                assert candidate.exists(), candidate
                assert stat.S_IMODE(candidate.stat().st_mode) == 0o600, candidate
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# -- concurrency --------------------------------------------------------------------------------------------
# Real processes, released together by a barrier so they collide. Each child reports ("ok", value) or ("error",
# traceback); any "database is locked" would show up as an error. They come from a fork server (a clean,
# single-threaded process that imported this module once): forking from the test process would copy its threads
# (the fake API, xdist), and "spawn" paid an interpreter start-up and these imports per child (~38 per run).

Outcome = tuple[str, object]


def _child(job: str, path: str, barrier: Any, results: Any, index: int) -> None:
    try:
        if job == "record":  # open the fresh ledger (create + migrate) and record one call
            barrier.wait(timeout=60)
            with Ledger(Path(path)) as ledger:
                value: object = ledger.record(
                    CallRecord(
                        command="ask", model="m", usage=_usage(1), request_id=f"req_{index}", cost_usd=0.25
                    )
                )
        elif job == "migrate":  # all run the same migrations at once
            conn = connect(Path(path))
            barrier.wait(timeout=60)
            value = apply_migrations(conn, SLOW_MIGRATIONS)
            conn.close()
        elif job == "increment":  # read, think, write: needs the write lock from the start
            conn = connect(Path(path))
            barrier.wait(timeout=60)
            with write_transaction(conn):
                (n,) = conn.execute("SELECT n FROM counter").fetchone()
                time.sleep(0.01)
                conn.execute("UPDATE counter SET n = ?", (n + 1,))
            conn.close()
            value = n
        else:
            raise ValueError(job)
        results.put((index, ("ok", value)))
    except BaseException:
        results.put((index, ("error", traceback.format_exc())))


def _run_processes(job: str, path: Path, n: int) -> list[object]:
    """Run ``n`` children of ``job`` on ``path``; assert none failed; return their values by index."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # read when the server starts (once per test process)
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(job, str(path), barrier, results, i)) for i in range(n)]
    for proc in procs:
        proc.start()
    try:
        outcomes: dict[int, Outcome] = dict(results.get(timeout=90) for _ in procs)
    finally:
        for proc in procs:
            proc.join(timeout=30)
    failures = [str(value) for kind, value in outcomes.values() if kind != "ok"]
    assert not failures, "\n".join(failures)
    assert all(proc.exitcode == 0 for proc in procs)
    return [outcomes[i][1] for i in range(n)]


def test_concurrent_processes_each_write_one_row(tmp_path: Path) -> None:
    n = 20
    path = tmp_path / "fresh" / "usage.db"
    ids = _run_processes("record", path, n)
    assert sorted(ids) == list(range(1, n + 1))  # type: ignore[type-var]
    assert _count(path) == n
    with Ledger(path) as ledger:
        assert sorted(c.request_id or "" for c in ledger.iter_calls()) == sorted(f"req_{i}" for i in range(n))
        assert ledger.spent_since(datetime(2000, 1, 1, tzinfo=UTC)) == Decimal("5.00")
    conn = connect(path)
    assert applied_migrations(conn) == MIGRATION_NAMES
    conn.close()


def _slow_migration(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO applications (pid) VALUES (?)", (os.getpid(),))
    time.sleep(0.05)  # hold the write lock long enough that every other process meets it


SLOW_MIGRATIONS = (
    Migration("m001_applications", "CREATE TABLE applications (pid INTEGER)"),
    Migration("m002_slow", _slow_migration),
)


def test_concurrent_processes_never_apply_a_migration_twice(tmp_path: Path) -> None:
    n = 8
    applied = _run_processes("migrate", tmp_path / "m.db", n)
    # Exactly one process applied both; the others waited, re-checked and found nothing to do.
    assert sorted(map(len, applied)) == [0] * (n - 1) + [2]  # type: ignore[arg-type]
    conn = connect(tmp_path / "m.db")
    assert conn.execute("SELECT count(*) FROM applications").fetchone() == (1,)
    assert applied_migrations(conn) == ["m001_applications", "m002_slow"]
    conn.close()


def test_write_transactions_of_concurrent_processes_queue_up(tmp_path: Path) -> None:
    n = 10
    path = tmp_path / "counter.db"
    conn = connect(path)
    conn.execute("CREATE TABLE counter (n INTEGER)")
    conn.execute("INSERT INTO counter VALUES (0)")
    seen = _run_processes("increment", path, n)
    # No lost update and no "database is locked": each saw the previous one's commit.
    assert sorted(seen) == list(range(n))  # type: ignore[type-var]
    assert conn.execute("SELECT n FROM counter").fetchone() == (n,)
    conn.close()


# -- queries ------------------------------------------------------------------------------------------------

DAY1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DAY2 = datetime(2026, 3, 2, 23, 59, 59, 999000, tzinfo=UTC)
DAY3 = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def seeded(home: Path) -> Ledger:
    """Five calls over four UTC days, in the ledger the CLI reads; costs chosen so float sums would not be
    exact (0.1 + 0.2)."""
    rows = [
        # ts, command, model, profile, tag, usage n, cost, list cost
        (DAY1, "ask", "opus", "work", "a", 1, "0.1", "0.3"),
        (DAY1 + timedelta(hours=1), "chat", "opus", "work", None, 2, "0.2", "0.4"),
        (DAY2, "ask", "haiku", None, "a", 3, None, None),
        (DAY3, "batch", "haiku", "home", "b", 4, "0.000000001", "0.000000002"),
        (DAY3 + timedelta(days=1), "ask", "opus", "home", "b", 10, "1.5", "3"),
    ]
    ledger = Ledger(home / "data" / "usage.db")
    ledger.record_many(
        CallRecord(
            command=command,
            model=model,
            usage=_usage(n),
            profile=profile,
            tag=tag,
            cost_usd=None if cost is None else Decimal(cost),
            list_cost_usd=None if list_cost is None else Decimal(list_cost),
            ts=ts,
        )
        for ts, command, model, profile, tag, n, cost, list_cost in rows
    )
    return ledger


def test_spent_since(seeded: Ledger) -> None:
    with seeded:
        assert seeded.spent_since(DAY1) == Decimal("1.800000001")
        assert seeded.spent_since(DAY1 + timedelta(minutes=1)) == Decimal("1.700000001")
        assert seeded.spent_since(DAY2) == Decimal("1.500000001")  # DAY2 itself costs unknown
        assert seeded.spent_since(DAY3) == Decimal("1.500000001")
        assert seeded.spent_since(DAY3 + timedelta(hours=1)) == Decimal("1.5")
        assert seeded.spent_since(datetime(2027, 1, 1, tzinfo=UTC)) == Decimal(0)
        plan = " ".join(
            str(row[3])
            for row in seeded._db().execute(
                "EXPLAIN QUERY PLAN SELECT sum(cost_usd) FROM calls WHERE ts >= ?", ("x",)
            )
        )
        assert "COVERING INDEX" in plan


def test_iter_calls_and_count_ranges(seeded: Ledger) -> None:
    with seeded:
        assert len(list(seeded.iter_calls())) == 5
        assert [c.ts for c in seeded.iter_calls()] == sorted(c.ts for c in seeded.iter_calls())
        assert len(list(seeded.iter_calls(since=DAY2))) == 3
        assert len(list(seeded.iter_calls(until=DAY2))) == 2  # until is exclusive
        assert [c.command for c in seeded.iter_calls(DAY2, DAY3 + timedelta(hours=1))] == ["ask", "batch"]


def _report(run_cli, by: str, since: str = "2026-03-01", until: str = "2026-03-04") -> dict:
    """``cost report --csv`` as ``{key: (calls, input tokens, web searches, cost, list cost, unpriced calls)}``."""
    result = run_cli("cost", "report", "--csv", "--by", by, "--since", since, "--until", until)
    assert result.exit_code == 0, result
    return {
        row[by] or None: (
            int(row["calls"]),
            int(row["input_tokens"]),
            int(row["web_search_requests"]),
            Decimal(row["cost_usd"]),
            Decimal(row["list_cost_usd"]),
            int(row["unknown_cost_calls"]),
        )
        for row in csv.DictReader(io.StringIO(result.stdout))
    }


def test_report_totals_by_each_grouping(seeded: Ledger, run_cli) -> None:
    with seeded:
        assert _report(run_cli, "model") == {
            "haiku": (2, 7, 49, Decimal("0.000000001"), Decimal("0.000000002"), 1),
            "opus": (3, 13, 91, Decimal("1.8"), Decimal("3.7"), 0),
        }
        assert _report(run_cli, "day") == {
            "2026-03-01": (2, 3, 21, Decimal("0.3"), Decimal("0.7"), 0),
            "2026-03-02": (1, 3, 21, Decimal(0), Decimal(0), 1),
            "2026-03-03": (1, 4, 28, Decimal("0.000000001"), Decimal("0.000000002"), 0),
            "2026-03-04": (1, 10, 70, Decimal("1.5"), Decimal("3"), 0),
        }
        assert _report(run_cli, "command") == {
            "ask": (3, 14, 98, Decimal("1.6"), Decimal("3.3"), 1),
            "batch": (1, 4, 28, Decimal("0.000000001"), Decimal("0.000000002"), 0),
            "chat": (1, 2, 14, Decimal("0.2"), Decimal("0.4"), 0),
        }
        assert _report(run_cli, "tag") == {
            None: (1, 2, 14, Decimal("0.2"), Decimal("0.4"), 0),
            "a": (2, 4, 28, Decimal("0.1"), Decimal("0.3"), 1),
            "b": (2, 14, 98, Decimal("1.500000001"), Decimal("3.000000002"), 0),
        }
        assert _report(run_cli, "profile") == {
            None: (1, 3, 21, Decimal(0), Decimal(0), 1),
            "home": (2, 14, 98, Decimal("1.500000001"), Decimal("3.000000002"), 0),
            "work": (2, 3, 21, Decimal("0.3"), Decimal("0.7"), 0),
        }
        # Within a time range (partial days at both ends), keys ordered.
        in_range = _report(run_cli, "model", since="2026-03-01T10:01", until="2026-03-03T01:00")
        assert list(in_range) == ["haiku", "opus"]
        assert in_range == {
            "haiku": (2, 7, 49, Decimal("0.000000001"), Decimal("0.000000002"), 1),
            "opus": (1, 2, 14, Decimal("0.2"), Decimal("0.4"), 0),
        }
        assert _report(run_cli, "day", since="2030-01-01", until="2030-02-01") == {}
        refused = run_cli("cost", "report", "--by", "nope")
        assert refused.exit_code == 2 and "--by: expected one of" in refused.stderr


def test_ts_format_round_trip() -> None:
    assert format_ts(T0) == "2026-11-22T04:32:01.123Z"
    assert parse_ts("2026-11-22T04:32:01.123Z") == T0
    assert format_ts(datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)) == "2026-01-02T03:04:05.999Z"
