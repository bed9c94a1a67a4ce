"""`batch run`'s ledger writes never checkpoint the WAL on the event loop: a thread of their own does.

Real SQLite files throughout. A checkpoint copies the WAL's pages into the database file, so the file growing
while the writer has automatic checkpoints off shows the thread at work.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from claudecli.core.db import CHECKPOINT_BOUND_PAGES, checkpoints_aside, connect, write_transaction
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
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (CHECKPOINT_BOUND_PAGES,)
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


def test_the_wal_stays_bounded_when_commits_never_pause(tmp_path: Path) -> None:
    """A PASSIVE checkpoint on another connection lets the writer start the WAL over only if nothing was
    committed between the checkpoint's start and the next write; commits that never pause never give it that
    moment, and the WAL grew with every one (1.2 GB in 6 s here). The writer checkpoints itself once the WAL
    holds ``most_pages``, so the file stays within that bound whatever the thread manages."""
    path = tmp_path / "store.db"
    conn = connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
    with checkpoints_aside(conn, path, every_s=0.01, most_pages=100):
        for index in range(6000):
            with write_transaction(conn):
                conn.execute("INSERT INTO t (text) VALUES (?)", ("x" * 500 + str(index),))
        wal_bytes = Path(f"{path}-wal").stat().st_size  # a WAL file never shrinks while it is open
    conn.close()
    assert wal_bytes < 1000 * 4120, f"the WAL grew to {wal_bytes:,} bytes"  # 10-21 MB without the bound


def test_no_thread_to_be_had_leaves_the_writer_checkpointing_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no thread can be started (a process or container at its limit), the block runs without one: no
    error out of it, and the writer checkpoints as before."""
    path = tmp_path / "store.db"
    conn = connect(path)
    started = threading.Thread.start

    def refused(self: threading.Thread) -> None:
        if self.name == "claudecli-checkpoints":
            raise RuntimeError("can't start new thread")
        started(self)

    monkeypatch.setattr(threading.Thread, "start", refused)
    with checkpoints_aside(conn, path):
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    conn.close()
