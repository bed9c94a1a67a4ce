"""One file's metadata as the API gives it, as a table row and as a ``--json`` object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from claudecli.core.tokens import remember_file
from claudecli.render.emit import iso_or_none


@dataclass(frozen=True)
class FileInfo:
    id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: datetime | None
    downloadable: bool
    expires_at: datetime | None = None

    @classmethod
    def from_sdk(cls, meta: Any) -> FileInfo:
        remember_file(str(meta.id), str(meta.mime_type), int(meta.size_bytes))  # for token estimates
        return cls(
            id=str(meta.id),
            filename=str(meta.filename),
            mime_type=str(meta.mime_type),
            size_bytes=int(meta.size_bytes),
            created_at=meta.created_at,
            downloadable=bool(meta.downloadable),
            expires_at=meta.expires_at,
        )

    @property
    def expired(self) -> bool:
        if self.expires_at is None:
            return False
        now = datetime.now(self.expires_at.tzinfo) if self.expires_at.tzinfo else datetime.now()
        return self.expires_at <= now

    def document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": self.size_bytes,
            "created_at": iso_or_none(self.created_at),
            "downloadable": self.downloadable,
            "expires_at": iso_or_none(self.expires_at),
        }


def size_label(size: int) -> str:
    """``812 B``, ``14.2 KB``, ``3.1 MB``: sizes in decimal units, as the API's limits are written."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB"):
        value /= 1000
        if value < 999.95:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} GB"


def when_label(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")
