"""One file's metadata as the API gives it, as a table row and as a ``--json`` object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from claudecli.core.tokens import remember_file
from claudecli.render.emit import iso_or_none


class MalformedFile(ValueError):
    """An answer that should be a file's metadata but is not (what is wrong with it is the message)."""


def _text(meta: Any, name: str) -> str:
    value = getattr(meta, name)
    if not isinstance(value, str):
        raise MalformedFile(f"{name} is not text")
    return value


def _count(meta: Any, name: str) -> int:
    value = getattr(meta, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedFile(f"{name} is not a size")
    return value


def _flag(meta: Any, name: str) -> bool:
    value = getattr(meta, name)
    if not isinstance(value, bool):
        raise MalformedFile(f"{name} is not true or false")
    return value


def _moment(meta: Any, name: str) -> datetime | None:
    value = getattr(meta, name, None)
    if value is not None and not isinstance(value, datetime):
        raise MalformedFile(f"{name} is not a date")
    return value


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
        """The metadata the SDK parsed, checked field by field: a gateway's HTML page or JSON of another shape
        comes through the SDK unvalidated, and is refused here (:class:`MalformedFile`), not shown half-read."""
        try:
            info = cls(
                id=_text(meta, "id"),
                filename=_text(meta, "filename"),
                mime_type=_text(meta, "mime_type"),
                size_bytes=_count(meta, "size_bytes"),
                created_at=_moment(meta, "created_at"),
                downloadable=_flag(meta, "downloadable"),
                expires_at=_moment(meta, "expires_at"),
            )
        except AttributeError:
            raise MalformedFile("not a file's metadata") from None
        remember_file(info.id, info.mime_type, info.size_bytes)  # for token estimates
        return info

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
