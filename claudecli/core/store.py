"""The base of every claudecli store (usage ledger, chat sessions, batch journal, uploads): a SQLite file
opened and migrated on first use (see :mod:`claudecli.core.db`).

A :class:`MigratedStore` survives a bad file the same way for every store:

- a *damaged* file (SQLite says corrupt or "not a database", or it is 0 bytes: claudecli never leaves an
  empty database, see :func:`claudecli.core.db.connect`) is moved aside, never deleted: renamed ``<name>.corrupt-<UTC time>``
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
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

from claudecli.core import side_spool
from claudecli.core.db import (
    BUSY_TIMEOUT_S,
    Migration,
    applied_migrations,
    apply_migrations,
    checkpoints_aside,
    connect,
    write_transaction,
)
from claudecli.core.db_files import (
    identity,
    is_damage,
    move_aside,
    rehearse_write,
)
from claudecli.core.errors import StoreError

Notify = Callable[[str, str], None]  # (what happened, what to do)
T = TypeVar("T")


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
                    rehearse_write(self._conn, BUSY_TIMEOUT_S, self._rehearsed_writes)

    @contextlib.contextmanager
    def checkpoints_aside(self) -> Iterator[None]:
        """Many small writes ahead (``batch run``): the WAL is checkpointed by a thread of its own meanwhile
        (``db.checkpoints_aside``). A store that cannot be opened is left to its first write, as without this."""
        try:
            conn: sqlite3.Connection | None = self._db()
        except StoreError:
            conn = None
        if conn is None:
            yield
            return
        with checkpoints_aside(conn, self.path):
            yield

    def _rehearsed_writes(self, conn: sqlite3.Connection) -> None:
        """The writes :meth:`open_if_sound` runs and rolls back (see ``rehearse_write``): a store's usual first
        ones, with throwaway values. None by default."""

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
        """Close the connection - unless another thread is opening it right now (the warm-up, when a chat is
        left at once): closing it under that thread's feet is not ours to do, and the process's exit closes it."""
        if not self._opening.acquire(blocking=False):
            return
        try:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()
        finally:
            self._opening.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
