"""The small SQLite layer every claudecli store shares (usage ledger, chat sessions, batch journal).

* :func:`connect` opens a database file the same way everywhere: private (0600) file in a private directory,
  WAL journal (readers never block the writer), a 30 s busy timeout (concurrent writers wait their turn
  instead of failing), foreign keys on, and ``isolation_level=None`` so transactions are explicit.
* :func:`write_transaction` wraps writes in ``BEGIN IMMEDIATE``: the write lock is taken up front, where
  the busy timeout applies, instead of on a lock upgrade in the middle of a transaction, where SQLite
  gives up at once with "database is locked".
* :func:`apply_migrations` is a forward-only schema migrator. Each store owns an ordered list of named
  :class:`Migration` objects; applied names are recorded in ``_migrations``. Migrations are only ever
  appended: once released, a migration's name and body never change (fix mistakes with a new one).
* :func:`checkpoints_aside` moves the WAL's checkpoints off a connection that commits many small
  transactions in a row (``batch run``'s ledger) to a thread of their own.
* how every store survives a bad file (moved aside, rows spooled): :mod:`claudecli.core.store`.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from claudecli.core.db_files import (
    create_private_database,
    now_ts,
)
from claudecli.core.fsutil import ensure_private_dir

BUSY_TIMEOUT_S = 30.0
CHECKPOINT_EVERY_S = 0.2
CHECKPOINT_BOUND_PAGES = 10_000  # ~40 MB of WAL: see checkpoints_aside
MIGRATIONS_TABLE = "_migrations"

MigrationBody = str | Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Migration:
    """One named schema step.

    ``sql`` is a script of one or more ``;``-separated statements, or a callable given the connection.
    Either way it runs inside the migrator's ``BEGIN IMMEDIATE`` transaction, so it must not begin,
    commit or roll back itself (and PRAGMAs that are no-ops inside a transaction, such as
    ``foreign_keys``, have no effect there).
    """

    name: str
    sql: MigrationBody


def connect(path: Path, *, timeout: float = BUSY_TIMEOUT_S, handed_over: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the SQLite database at ``path``, set up as the module doc says.

    ``handed_over``: the connection may be opened on one thread (the warm-up) and used on another, never by
    two at once (the caller hands it over under a lock); sqlite3 otherwise refuses any thread but its opener.
    """
    path = Path(path)
    ensure_private_dir(path.parent)
    create_private_database(path)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=not handed_over)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        _enable_wal(conn, timeout)
        # Safe in WAL mode (a power cut can lose the last commits, never corrupt the file) and much faster.
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch the database to WAL unless it already is (the mode is stored in the file, so this is once).

    The switch needs an exclusive lock, and when several processes open a brand-new database at the same
    moment SQLite can refuse it at once ("database is locked") instead of waiting on the busy timeout, to
    avoid a deadlock between them. So retry, with a short jittered back-off, until the timeout. A file
    system that cannot do WAL leaves the old mode in place; the database still works, just less
    concurrently.
    """
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if not ("locked" in message or "busy" in message) or time.monotonic() >= deadline:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.1)


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in a ``BEGIN IMMEDIATE`` transaction: commit on success, roll back on any exception.

    Nested use (inside another ``write_transaction``) becomes a savepoint of the outer transaction.
    """
    if conn.in_transaction:
        name = f"sp_{os.urandom(6).hex()}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def checkpoints_aside(
    conn: sqlite3.Connection,
    path: Path,
    *,
    every_s: float = CHECKPOINT_EVERY_S,
    most_pages: int = CHECKPOINT_BOUND_PAGES,
) -> Iterator[None]:
    """While the block runs, a thread with its own connection checkpoints the WAL, so ``conn``'s commits don't.

    SQLite checkpoints inside the commit that takes the WAL past ``wal_autocheckpoint`` pages, and a
    checkpoint syncs the WAL and then the database file to disk. In ``batch run`` one commit in ~100 took
    1-8 ms that way, while the event loop serving every connection stood still (~1 % of the run, more on a
    slow disk). The thread's checkpoints are PASSIVE: they never wait for a writer nor hold one up, and
    SQLite releases the GIL while it copies and syncs. At the end the thread stops and ``conn`` checkpoints
    again as before.

    The WAL starts over from its beginning only when a write begins with every frame checkpointed: commits that
    never pause (each begun before the thread's last checkpoint ended) never give it that moment, and the WAL
    would grow with each of them (1.2 GB in 6 s of back-to-back commits). So ``conn`` still checkpoints once the
    WAL holds ``most_pages`` pages (~40 MB): never while the thread keeps up, and little to copy when it does.
    Where no thread can be started, ``conn`` keeps checkpointing as before.
    """
    try:
        (before,) = conn.execute("PRAGMA wal_autocheckpoint").fetchone()
    except sqlite3.Error:
        yield  # the connection's own trouble is met by its next write
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until, args=(stop, path, every_s), name="claudecli-checkpoints", daemon=True
    )
    try:
        thread.start()
    except RuntimeError:  # no thread to be had: the writer checkpoints, as without this
        yield
        return
    try:
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(most_pages)}")
        yield
    finally:
        stop.set()
        thread.join()
        with contextlib.suppress(sqlite3.Error):  # closed meanwhile (a damaged file moved aside)
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")


def _checkpoint_until(stop: threading.Event, path: Path, every_s: float) -> None:
    """Checkpoint ``path`` every ``every_s`` until ``stop``; never creates the file (``mode=rw``)."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA synchronous = NORMAL")
        while not stop.wait(every_s):
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (``;`` inside strings, comments and triggers is kept).

    Needed because ``executescript`` commits any open transaction first, which would break atomic migrations.
    """
    statements: list[str] = []
    start = 0
    for index, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : index + 1]):
            statements.append(script[start : index + 1].strip())
            start = index + 1
    rest = script[start:].strip()
    if rest:  # a last statement without ";" (a comment-only rest executes as a no-op)
        statements.append(rest)
    return statements


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names recorded in ``_migrations``, in the order applied (empty if there is no such table)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if not exists:
        return []
    return [name for (name,) in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply, in order, every migration whose name is not yet recorded; return the names applied now.

    Everything pending is applied in one ``BEGIN IMMEDIATE`` transaction (all or nothing), and the applied
    set is re-read after the lock is held, so processes opening the same database at once never apply a
    migration twice: the losers wait on the busy timeout, then find nothing left to do. When nothing is
    pending no write lock is taken at all. Names recorded in the database but unknown to ``migrations``
    (a database written by a newer claudecli) are left alone.
    """
    names = [migration.name for migration in migrations]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate migration names: {', '.join(duplicates)}")
    if not (set(names) - set(applied_migrations(conn))):
        return []
    applied_now: list[str] = []
    with write_transaction(conn):
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = set(applied_migrations(conn))
        for migration in migrations:
            if migration.name in done:
                continue
            if callable(migration.sql):
                migration.sql(conn)
            else:
                for statement in split_statements(migration.sql):
                    conn.execute(statement)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                (migration.name, now_ts()),
            )
            applied_now.append(migration.name)
    return applied_now
