"""Which local content is already uploaded: ``files.db`` in the data directory (path→id memory, by hash).

A row maps the SHA-256 of a file's bytes to the file id it got, per *scope*: the base URL (credentials in it
redacted), the workspace and the profile. The workspace is the API key's: a key belongs to one workspace and
a file id means something only there, so the scope holds a fingerprint of the key (the first 16 hex digits of
a SHA-256 of it, salted; never the key). Content, not the path, is the key: an edited file is uploaded again,
and a copy under another name is not.

The store is a convenience: when it cannot be opened or written, the upload still happens and the command
says so (exit 11 at the end, as for the other stores). A damaged file is moved aside like theirs.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from claudecli.core.db import Migration, write_transaction
from claudecli.core.dotenv_policy import redact_url
from claudecli.core.store import MigratedStore

if TYPE_CHECKING:
    from claudecli.core.config import Settings
    from claudecli.files.info import FileInfo

DEFAULT_BASE_URL = "https://api.anthropic.com"
MIGRATIONS = (
    Migration(
        "0001_uploads",
        """
        CREATE TABLE uploads (
            base_url TEXT NOT NULL,
            workspace TEXT NOT NULL,
            profile TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            file_id TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            filename TEXT NOT NULL,
            mime_type TEXT NOT NULL,
            uploaded_at TEXT NOT NULL,
            PRIMARY KEY (base_url, workspace, profile, sha256)
        );
        CREATE INDEX uploads_by_file_id ON uploads (file_id);
        """,
    ),
)


@dataclass(frozen=True)
class FileScope:
    base_url: str
    workspace: str  # a fingerprint of the API key
    profile: str  # "" when no profile was chosen

    @property
    def params(self) -> tuple[str, str, str]:
        return (self.base_url, self.workspace, self.profile)


def scope_of(settings: Settings) -> FileScope:
    _, secret = settings.credential()
    workspace = hashlib.sha256(b"claudecli files scope\0" + secret.encode("utf-8")).hexdigest()[:16]
    base_url = redact_url((settings.base_url or DEFAULT_BASE_URL).rstrip("/"))
    return FileScope(base_url, workspace, settings.profile or "")


class UploadStore(MigratedStore):
    migrations = MIGRATIONS
    label = "uploaded-files store"

    def find(self, scope: FileScope, sha256: str) -> str | None:
        """The file id this content got in ``scope``, if it was uploaded there."""
        row = (
            self._db()
            .execute(
                "SELECT file_id FROM uploads WHERE base_url = ? AND workspace = ? AND profile = ? AND sha256 = ?",
                (*scope.params, sha256),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def remember(self, scope: FileScope, sha256: str, info: FileInfo) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                conn.execute(
                    "INSERT OR REPLACE INTO uploads (base_url, workspace, profile, sha256, file_id, size_bytes,"
                    " filename, mime_type, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        *scope.params,
                        sha256,
                        info.id,
                        info.size_bytes,
                        info.filename,
                        info.mime_type,
                        datetime.now(UTC).isoformat(timespec="seconds"),
                    ),
                )

        self._write_recovering(write)

    def forget(self, file_id: str) -> None:
        """Drop every mapping to ``file_id`` (deleted, or found gone)."""

        def write(conn: sqlite3.Connection) -> None:
            with write_transaction(conn):
                conn.execute("DELETE FROM uploads WHERE file_id = ?", (file_id,))

        self._write_recovering(write)
