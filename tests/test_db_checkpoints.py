"""`batch run`'s ledger writes never checkpoint the WAL on the event loop: a thread of their own does.

Real SQLite files throughout. A checkpoint copies the WAL's pages into the database file, so the file growing
while the writer has automatic checkpoints off shows the thread at work.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from claudecli.core.db import checkpoints_aside, connect, write_transaction
from claudecli.core.usage import TokenUsage
from claudecli.ledger.store import CallRecord, Ledger


def _grows(path: Path, size: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.stat().st_size > size:
            return True
        time.sleep(0.02)
    return False


def test_the_writer_never_checkpoints_and_the_thread_does(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    conn = connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
    size = path.stat().st_size
    with checkpoints_aside(conn, path, every_s=0.02):
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        for index in range(300):
            with write_transaction(conn):
                conn.execute("INSERT INTO t (text) VALUES (?)", ("x" * 3000 + str(index),))
        assert _grows(path, size), "no checkpoint reached the database file"
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    conn.close()
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (300,)


def test_a_file_gone_is_not_created_again(tmp_path: Path) -> None:
    """The thread opens the database read-write only: a file moved aside meanwhile is not recreated empty."""
    conn = connect(tmp_path / "here.db")
    missing = tmp_path / "moved.db"
    with checkpoints_aside(conn, missing, every_s=0.01):
        time.sleep(0.05)
    assert not missing.exists()
    conn.close()


def test_the_ledger_books_through_it_and_an_unopenable_one_is_left_to_its_writes(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    with ledger.checkpoints_aside():
        ids = [
            ledger.record(CallRecord(command="batch-run", model="m", usage=TokenUsage())) for _ in range(50)
        ]
    assert len(set(ids)) == 50 and None not in ids
    ledger.close()
    (tmp_path / "blocked").write_text("a file where the ledger's directory should be")
    blocked = Ledger(tmp_path / "blocked" / "ledger.db")
    with blocked.checkpoints_aside():
        pass  # no error here: the first write meets it (and spools or says so), as without checkpoints_aside
    blocked.close()
