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
* :class:`MigratedStore` is how every store survives a bad file, the same way for all three:

  - a *damaged* file (SQLite says corrupt or "not a database", or it is 0 bytes: claudecli never leaves an
    empty database, see :func:`connect`) is moved aside, never deleted: renamed ``<name>.corrupt-<UTC time>``
    with its ``-wal``/``-shm``, and a fresh one is started, with a note;
  - a write that must not fail, because it books money already spent (:meth:`MigratedStore._guarded`), goes
    to the side spool ``<name>.spool.jsonl`` (:mod:`claudecli.core.side_spool`) when the store cannot take it:
    a file written by a *newer* claudecli (migration names this one does not know) that refuses the row,
    one that is read-only, locked or on a full disk. Such a file is never moved aside. Any later open by a
    version that understands the schema imports the spool, exactly once.

  Each such incident is reported through the store's ``notify`` (what happened, what to do): the command
  says so at once on stderr and ends with exit code 11 (``ExitCode.STORE``) once its work is done.
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
from typing import Any, Self, TypeVar

from claudecli.core import side_spool
from claudecli.core.db_files import (
    create_private_database,
    identity,
    is_damage,
    move_aside,
    now_ts,
    rehearse_write,
)
from claudecli.core.errors import StoreError
from claudecli.core.fsutil import ensure_private_dir

BUSY_TIMEOUT_S = 30.0
MIGRATIONS_TABLE = "_migrations"

MigrationBody = str | Callable[[sqlite3.Connection], None]
Notify = Callable[[str, str], None]  # (what happened, what to do)
T = TypeVar("T")


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


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _ignore(happened: str, todo: str) -> None:
    """The default ``notify``: a store used outside a command (tests, benchmarks) reports nothing."""


class MigratedStore:
    """A SQLite file opened, and brought up to date by ``migrations``, on first use; closed once.

    The ledger, the chat sessions and the batch journal share this: none pays for opening the database until a
    command actually reads or writes it, and all survive a bad file the same way (see the module docstring).
    ``label`` names the store in messages. The opening is locked, and the connection may then be used by another
    thread than the one that opened it (one at a time): the chat's warm-up opens the ledger for the first turn
    (:meth:`open_if_sound`).
    """

    migrations: Sequence[Migration] = ()
    label = "database"

    def __init__(self, path: Path, *, notify: Notify | None = None) -> None:
        self.path = Path(path)
        self.notify = notify or _ignore
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self.newer = False  # written by a newer claudecli: it holds migrations this one does not know
        self._broken: str | None = None  # why this process's guarded writes go to the spool
        self._opening = threading.RLock()  # held while opening: a caller on another thread waits for it

    def _db(self) -> sqlite3.Connection:
        with self._opening:
            if self._conn is None:
                try:
                    self._open()
                except (sqlite3.Error, OSError) as exc:
                    raise StoreError(
                        f"cannot open the {self.label} {self.path} ({_reason(exc)})",
                        hint=f"fix {self.path} (permissions, free space, another program's lock)",
                    ) from exc
            assert self._conn is not None
            return self._conn

    def open_if_sound(self) -> None:
        """Open now, ahead of first use (the warm-up's thread), but only when nothing about it needs saying.

        A missing file (the first call creates it), an empty or damaged one (moved aside, with a note), a spool
        of rows to import: all are left to the first real use, in the foreground, where they are handled and
        reported exactly as without a warm-up. Never raises, never notifies. Once open, a write that changes
        nothing pays the first write's cost ahead (``db_files.rehearse_write``).
        """
        if self._conn is not None or side_spool.spool_path(self.path).exists():
            return
        with self._opening:
            try:
                if self._conn is None and os.stat(self.path).st_size > 0:
                    self._open_now()
            except (sqlite3.Error, OSError):
                return  # _open_now closed what it opened; the foreground meets the trouble itself
            if self._conn is not None and not self.newer:
                with contextlib.suppress(
                    sqlite3.Error
                ):  # read-only, or busy: the first write pays, as before
                    rehearse_write(self._conn, BUSY_TIMEOUT_S)

    def _open(self) -> None:
        found = identity(self.path)
        if found is not None and os.stat(self.path).st_size == 0:
            self._set_aside("it is empty (0 bytes)", found)
        try:
            self._open_now()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self._set_aside(_reason(exc), self._identity or found)
            self._open_now()

    def _open_now(self) -> None:
        conn = connect(self.path, handed_over=True)
        self._identity = identity(self.path)
        try:
            apply_migrations(conn, self.migrations)
            self._conn = conn  # the hooks below may use the store's own methods
            self.newer = bool(set(applied_migrations(conn)) - {m.name for m in self.migrations})
            if not self.newer:
                self._import_spooled(conn)
            self._opened(conn)
        except BaseException:
            self._conn = None
            conn.close()
            raise

    def _opened(self, conn: sqlite3.Connection) -> None:
        """Called once the database is open and up to date; a store's own housekeeping goes here."""

    def _set_aside(self, reason: str, found: tuple[int, int] | None) -> None:
        self.close()
        aside = move_aside(self.path, found)
        if aside is None:
            return  # another process moved it aside (and said so) first
        self.notify(
            f"the {self.label} {self.path} was damaged ({reason}): kept as {aside.name}, a fresh one started",
            f"the {self.label} was damaged and replaced by a fresh one; its old content is kept in {aside} "
            f"(`sqlite3 {aside} .recover` may salvage it)",
        )

    # -- writes that must not fail: they book what was already paid for ---------------------------------------

    def _guarded(self, action: Callable[[sqlite3.Connection], T], spooled: dict[str, Any]) -> T | None:
        """Run ``action`` (a write) on the store; if the store cannot take it, keep ``spooled`` in the side spool.

        Never raises for the store's own trouble: after a paid call there is nothing left to refuse. A damaged
        file is moved aside and the write retried on a fresh one. Returns None when the write was spooled.
        """
        first_failure = self._broken is None
        if first_failure:
            try:
                return self._write_recovering(action)
            except (sqlite3.Error, OSError, StoreError) as exc:
                self._broken = _reason(exc.__cause__ or exc if isinstance(exc, StoreError) else exc)
        # Spooled first, announced after: the announcement says where the row is only once it is there.
        if self._spool(spooled) and first_failure:
            self._announce_broken()
        return None

    def _write_recovering(self, action: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return action(self._db())
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self._set_aside(_reason(exc), self._identity)
            return action(self._db())

    def _announce_broken(self) -> None:
        spool = side_spool.spool_path(self.path)
        if self.newer:
            self.notify(
                f"the {self.label} {self.path} was written by a newer claudecli and refuses this one's rows "
                f"({self._broken}): they are kept in {spool.name}",
                f"upgrade claudecli: the rows kept in {spool} are booked by the first version that "
                f"understands the {self.label}",
            )
            return
        self.notify(
            f"cannot write the {self.label} {self.path} ({self._broken}): its rows are kept in {spool.name}",
            f"fix {self.path} (permissions, free space, another program's lock); the next run that can write it "
            f"books the rows kept in {spool}",
        )

    def _spool(self, record: dict[str, Any]) -> bool:
        """Keep ``record`` in the side spool; False (and said so) when even that fails: the row is lost."""
        try:
            side_spool.append(self.path, record)
        except OSError as exc:
            self.notify(
                f"cannot write the {self.label} {self.path} ({self._broken}) nor keep its row beside it "
                f"({_reason(exc)}): the row is lost",
                f"fix {self.path.parent} (permissions, free space, a file in place of a directory): a row of the "
                f"{self.label} was lost",
            )
            return False
        return True

    def _import_spooled(self, conn: sqlite3.Connection) -> None:
        """Book the rows an earlier run spooled (each once, even if an import is cut short and repeated)."""
        if not side_spool.spool_path(self.path).exists():
            return  # the common case: one stat
        with (
            contextlib.suppress(sqlite3.Error, OSError),
            side_spool.drained(self.path) as records,
            write_transaction(conn),
        ):
            conn.execute("CREATE TABLE IF NOT EXISTS _spool_imported (spool_id TEXT PRIMARY KEY)")
            for record in records:
                new = conn.execute(
                    "INSERT OR IGNORE INTO _spool_imported (spool_id) VALUES (?)", (record["spool_id"],)
                )
                if new.rowcount == 1:  # a malformed record is dropped (its savepoint rolled back)
                    with contextlib.suppress(KeyError, TypeError, ValueError), write_transaction(conn):
                        self._import_record(conn, record)

    def _import_record(self, conn: sqlite3.Connection, record: dict[str, Any]) -> None:
        """Write one spooled record (a store that spools implements this)."""
        raise NotImplementedError

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
