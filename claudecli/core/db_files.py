"""The files of a SQLite store: creating one that is never empty, telling damage, moving a damaged one aside;
and the one stored form of a timestamp (every store writes ``2026-11-22T04:32:01.123Z``).

Used by :mod:`claudecli.core.db` and :mod:`claudecli.core.store` (see :class:`~claudecli.core.store.MigratedStore` for when and why).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


def create_private_database(path: Path) -> None:
    """Create ``path`` as an empty SQLite database with mode 0600 unless it exists.

    It is built under a temporary name (header written, WAL mode set) and linked into place, so the name never
    shows an empty file: a 0-byte store is always damage (a truncated copy, a full disk), never a new one.
    SQLite gives its ``-wal`` and ``-shm`` files the mode of the main file, so they are private too.
    """
    if os.path.lexists(path):
        return
    temporary = path.with_name(f".{path.name}.new-{os.getpid()}-{os.urandom(4).hex()}")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        os.chmod(temporary, 0o600)  # exactly 0600 whatever the umask
        conn = sqlite3.connect(temporary, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA user_version = 0")  # writes the header even where WAL is unavailable
        finally:
            conn.close()
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile: use theirs
            os.link(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite says the file itself is broken (corrupt, or not a database at all)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    return isinstance(exc, sqlite3.DatabaseError) and name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


_ASIDE_STAMP = "%Y%m%dT%H%M%SZ"  # the UTC moment in the name of a copy set aside


def move_aside(path: Path, expected: tuple[int, int] | None) -> Path | None:
    """Rename the damaged database ``path`` (and its -wal/-shm) to ``<name>.corrupt-<UTC time>``; never delete.

    ``expected`` is the file found damaged: if another process already moved it and started a fresh one, the
    fresh one is left alone and None returned.
    """
    import fcntl

    lock = os.open(path.with_name(f".{path.name}.recover.lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if expected is None or identity(path) != expected:
            return None
        stamp = datetime.now(UTC).strftime(_ASIDE_STAMP)
        aside, number = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
        while os.path.lexists(aside):
            number += 1
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
        os.rename(path, aside)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.rename(f"{path}{suffix}", f"{aside}{suffix}")
        return aside
    finally:
        os.close(lock)


def set_aside_copies(path: Path, after: datetime) -> list[tuple[datetime, Path]]:
    """The copies of ``path`` that :func:`move_aside` made after ``after`` (a UTC time), oldest first, each with
    the moment it was set aside (read from its name: the file's own times are those of its last write)."""
    found: list[tuple[datetime, Path]] = []
    prefix = f"{path.name}.corrupt-"
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        stamp = name[len(prefix) :].split("-", 1)[0] if name.startswith(prefix) else ""
        if name.endswith(("-wal", "-shm")) or len(stamp) != 16:
            continue
        try:
            moment = datetime.strptime(stamp, _ASIDE_STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if moment > after:
            found.append((moment, path.with_name(name)))
    return sorted(found)


def rehearse_write(
    conn: sqlite3.Connection,
    busy_timeout_s: float,
    statements: Callable[[sqlite3.Connection], object] | None = None,
) -> None:
    """A write that changes nothing (``user_version`` set to its own value), to pay ahead what a process's first
    write to a WAL database costs (~5-10 ms here: the log restarted after the last process checkpointed it) -
    the chat's warm-up does it, so the first call's write-ahead row is as quick as any later one. Given up at
    once when another process is writing (SQLITE_BUSY); the busy timeout is put back either way.

    ``statements``: the store's own writes, run first and rolled back (a savepoint), so that SQLite has compiled
    them - and the triggers they fire - before the first real one (~0.5 ms of a ledger's first call)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if statements is not None:
                _rolled_back(conn, statements)
            conn.execute(f"PRAGMA user_version = {int(version)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")


def _rolled_back(conn: sqlite3.Connection, statements: Callable[[sqlite3.Connection], object]) -> None:
    conn.execute("SAVEPOINT rehearsal")
    try:
        statements(conn)
    finally:
        conn.execute("ROLLBACK TO rehearsal")
        conn.execute("RELEASE rehearsal")


def format_ts(moment: datetime) -> str:
    """The stored form of a timestamp: ``2026-11-22T04:32:01.123Z`` (UTC, milliseconds, truncated)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"ledger timestamps must be timezone-aware, got naive {moment!r}")
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def now_ts() -> str:
    """Now, in the stored form."""
    return format_ts(datetime.now(UTC))
