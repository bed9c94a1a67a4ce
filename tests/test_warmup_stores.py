"""What the warm-up prepares for main's newer call path.

The ledger is opened ahead of the first call only when that needs no word to the user
(``MigratedStore.open_if_sound``); anything else - a missing, empty or damaged file, rows spooled beside it -
is left to the first call, in the foreground, which handles and reports it as it always did (exit 11). The
rehearsal streams through the beta resource when the calls will (betas or fast mode configured)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from claudecli.core import side_spool
from claudecli.core.usage import TokenUsage
from claudecli.ledger.store import CallRecord, Ledger

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
GARBAGE = b"this is not a SQLite database at all\n" * 200


def _ledger(path: Path, told: list[tuple[str, str]]) -> Ledger:
    return Ledger(path, notify=lambda happened, todo: told.append((happened, todo)))


def _asides(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def test_a_sound_ledger_is_opened_on_one_thread_and_used_on_another(tmp_path):
    path = tmp_path / "usage.db"
    with Ledger(path) as first:
        first.spent_since(LONG_AGO)  # creates and migrates it
    told: list[tuple[str, str]] = []
    ledger = _ledger(path, told)
    opener = threading.Thread(target=ledger.open_if_sound)
    opener.start()
    opener.join()
    assert ledger._conn is not None
    assert ledger.spent_since(LONG_AGO) == 0  # the main thread uses the warm-up's connection
    ledger.close()
    assert told == []
    with sqlite3.connect(path) as conn:  # its rehearsed write changed nothing
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM calls").fetchone() == (0,)


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (the calls, the rollups their triggers keep, sqlite_sequence, ...)."""
    with sqlite3.connect(path) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: conn.execute(f'SELECT * FROM "{table}"').fetchall() for table in sorted(tables)}


def test_the_rehearsed_writes_of_a_call_leave_the_ledger_as_it_was(tmp_path):
    """open_if_sound writes a call's rows as a call does and rolls them back, so SQLite has compiled them (and
    the rollup triggers) before the first call: no row, rollup or id may survive it."""
    path = tmp_path / "usage.db"
    with Ledger(path) as first:
        first.record(CallRecord(command="ask", model="claude-sonnet-5-5", usage=TokenUsage(input_tokens=3)))
    before = _snapshot(path)
    ledger = Ledger(path)
    ledger.open_if_sound()
    assert _snapshot(path) == before
    second = ledger.record(
        CallRecord(command="ask", model="claude-sonnet-5-5", usage=TokenUsage(input_tokens=3))
    )
    ledger.close()
    assert second == max(row[0] for row in before["calls"]) + 1
    assert len(_snapshot(path)["calls"]) == 2


def test_another_process_writing_does_not_hold_the_warm_up(tmp_path):
    path = tmp_path / "usage.db"
    with Ledger(path) as first:
        first.spent_since(LONG_AGO)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process mid-write
    try:
        ledger = Ledger(path)
        started = time.monotonic()
        ledger.open_if_sound()  # opens (reads need no lock); its rehearsed write gives up at once
        assert time.monotonic() - started < 5 and ledger._conn is not None
        assert ledger._conn.execute("PRAGMA busy_timeout").fetchone() == (30000,)  # put back for real writes
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert ledger.spent_since(LONG_AGO) == 0
    ledger.close()


@pytest.mark.parametrize("content", [None, b"", GARBAGE], ids=["missing", "empty", "damaged"])
def test_a_ledger_that_is_not_sound_is_left_untouched_and_unreported(tmp_path, content):
    path = tmp_path / "usage.db"
    if content is not None:
        path.write_bytes(content)
    told: list[tuple[str, str]] = []
    ledger = _ledger(path, told)
    ledger.open_if_sound()
    assert ledger._conn is None and told == [] and _asides(path) == []
    assert path.exists() == (content is not None)  # a missing ledger is not created by the warm-up
    if content is not None:
        assert path.read_bytes() == content
        ledger.spent_since(LONG_AGO)  # the first real use: moved aside, with the note, as always
        assert len(_asides(path)) == 1 and len(told) == 1
    ledger.close()


def test_rows_spooled_beside_the_ledger_are_left_for_the_first_call_to_import(tmp_path):
    path = tmp_path / "usage.db"
    with Ledger(path) as first:
        first.spent_since(LONG_AGO)
    side_spool.append(path, {"spool_id": "x", "kind": "call"})
    ledger = Ledger(path)
    ledger.open_if_sound()
    assert ledger._conn is None and side_spool.spool_path(path).exists()


@pytest.mark.parametrize("beta", [False, True], ids=["messages", "beta messages"])
def test_the_rehearsal_streams_through_the_resource_the_calls_will_use(beta):
    from claudecli.call.stream import rehearse
    from claudecli.core.client import rehearsal_client

    client = rehearsal_client()
    try:
        rehearse(client, beta=beta)  # in-process: a canned reply, no network, nothing booked
    finally:
        client.close()


def test_leaving_while_the_warm_up_opens_a_store_neither_waits_nor_closes_it_under_its_feet(tmp_path):
    """The chat left at once: AppContext.close runs while the warm-up's thread is still opening (or rehearsing
    on) the ledger. close() neither waits for it nor closes the connection that thread is using."""
    path = tmp_path / "usage.db"
    with Ledger(path) as first:
        first.spent_since(LONG_AGO)
    ledger = Ledger(path)
    ledger.open_if_sound()
    holding, done = threading.Event(), threading.Event()
    used: list[object] = []

    def warm_up() -> None:
        with ledger._opening:  # what open_if_sound holds while it opens and rehearses
            conn = ledger._conn
            assert conn is not None
            holding.set()
            done.wait(5)
            used.append(conn.execute("SELECT count(*) FROM calls").fetchone()[0])

    thread = threading.Thread(target=warm_up)
    thread.start()
    assert holding.wait(5)
    started = time.monotonic()
    ledger.close()
    assert time.monotonic() - started < 0.5
    done.set()
    thread.join(5)
    assert used == [0]  # its connection was left alone
    ledger.close()
    assert ledger._conn is None
