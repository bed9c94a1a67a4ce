"""The Files API: ``/v1/files`` upload (multipart), list (cursor pages), metadata, content, delete.

As the real API (GA in SDK 2.16, no beta header): ids are ``file_…``; a file belongs to the workspace of the
credential that uploaded it (here: the credential itself), and every other workspace gets 404 for it; the
stored name is the last path component of the part's filename (``unnamed`` when empty), and a name with
``< > : " | ? * \\`` or a control character is a 400; a file over ``max_bytes`` (500 MB) is a 413; only
files a tool created (``add_generated``) are downloadable, others answer 400 with ``error_code``
``file_not_downloadable``; a file whose ``expires_at`` has passed answers 404 ``file_expired`` for its
content and in Messages requests. A Messages request naming an unknown or deleted ``file_id`` is a 404, and
one whose file has the wrong type for its block (a PDF in an ``image`` block) a 400.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from .wire import ApiError, Response, invalid, iso, new_id, utcnow

if TYPE_CHECKING:
    from .server import FakeAnthropic, RecordedRequest

MAX_FILE_BYTES = 500 * 1000 * 1000
MIN_EXPIRY_S, MAX_EXPIRY_S = 3600, 7_776_000
DEFAULT_PAGE, MAX_PAGE = 20, 1000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
DOCUMENT_TYPES = frozenset({"application/pdf", "text/plain"})
_BAD_NAME = re.compile(r'[<>:"|?*\\\x00-\x1f]')


@dataclass
class StoredFile:
    id: str
    owner: str
    filename: str
    mime_type: str
    content: bytes
    created_at: datetime
    downloadable: bool = False
    expires_at: datetime | None = None
    deleted: bool = False

    def metadata(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "file",
            "filename": self.filename,
            "mime_type": self.mime_type,
            "size_bytes": len(self.content),
            "created_at": iso(self.created_at),
            "downloadable": self.downloadable,
            "expires_at": iso(self.expires_at),
        }

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


class FileStore:
    """The fake's files, plus test controls (``add_generated``, ``expire``)."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.max_bytes = MAX_FILE_BYTES
        self.uploads = 0

    def add(self, owner: str, filename: str, mime_type: str, content: bytes, **kw: Any) -> StoredFile:
        stored = StoredFile(new_id("file_"), owner, filename, mime_type, content, utcnow(), **kw)
        self.files[stored.id] = stored
        return stored

    def add_generated(self, owner: str, filename: str, content: bytes, mime_type: str) -> StoredFile:
        """A file a tool (code execution) created: the only kind the API lets anyone download."""
        return self.add(owner, filename, mime_type, content, downloadable=True)

    def expire(self, file_id: str) -> None:
        self.files[file_id].expires_at = utcnow() - timedelta(seconds=1)

    def visible(self, owner: str) -> list[StoredFile]:
        """The owner's live files, newest first."""
        found = [f for f in self.files.values() if f.owner == owner and not f.deleted]
        return sorted(found, key=lambda f: f.created_at, reverse=True)

    def find(self, owner: str, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None or stored.deleted or stored.owner != owner:
            raise ApiError("not_found_error", f"File not found: {file_id}")
        return stored

    def clear(self) -> None:
        self.files.clear()
        self.uploads = 0


def _owner(req: RecordedRequest) -> str:
    from .server import presented_credential

    return presented_credential(req)


def _detailed(error_type: str, message: str, code: str, status: int) -> ApiError:
    err = ApiError(error_type, message, status=status)
    err.details = {"error_code": code}
    return err


def _form_parts(req: RecordedRequest) -> dict[str, tuple[str | None, str | None, bytes]]:
    """``name → (filename, content type, bytes)`` of a multipart/form-data body."""
    content_type = req.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise invalid("Content-Type must be multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + req.raw)
    parts: dict[str, tuple[str | None, str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            ctype = part.get("content-type")
            parts[name] = (part.get_filename(), str(ctype) if ctype else None, payload or b"")
    return parts


def _stored_name(raw: str | None, mime_type: str) -> str:
    name = re.split(r"[/\\]", raw or "")[-1]
    if not name:
        return "unnamed" + (mimetypes.guess_extension(mime_type) or "")
    if len(name) > 255 or _BAD_NAME.search(name):
        raise invalid(
            'file.filename: must be 1-255 characters without < > : " | ? * \\ or control characters'
        )
    return name


def _expiry(parts: dict[str, tuple[str | None, str | None, bytes]]) -> datetime | None:
    if "expires_in_seconds" not in parts:
        return None
    try:
        seconds = int(parts["expires_in_seconds"][2])
    except ValueError:
        raise invalid("expires_in_seconds: Input should be a valid integer") from None
    if not MIN_EXPIRY_S <= seconds <= MAX_EXPIRY_S:
        raise invalid(f"expires_in_seconds: must be between {MIN_EXPIRY_S} and {MAX_EXPIRY_S}")
    return utcnow() + timedelta(seconds=seconds)


def upload(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    store: FileStore = fake.files
    if len(req.raw) > store.max_bytes + 64 * 1024:  # the whole body, before parsing it
        raise ApiError("request_too_large", f"File exceeds the maximum size of {store.max_bytes} bytes")
    parts = _form_parts(req)
    if "file" not in parts:
        raise invalid("file: Field required")
    raw_name, ctype, content = parts["file"]
    if len(content) > store.max_bytes:
        raise ApiError("request_too_large", f"File exceeds the maximum size of {store.max_bytes} bytes")
    mime_type = (ctype or "").split(";")[0].strip().lower()
    if not mime_type or mime_type == "application/octet-stream":
        mime_type = mimetypes.guess_type(raw_name or "")[0] or "application/octet-stream"
    name = _stored_name(raw_name, mime_type)
    with fake.lock:
        store.uploads += 1
        stored = store.add(_owner(req), name, mime_type, content, expires_at=_expiry(parts))
    return Response.json(stored.metadata())


def _page_cursor(file_id: str) -> str:
    return "page_" + base64.urlsafe_b64encode(file_id.encode()).decode().rstrip("=")


def _after(cursor: str) -> str:
    if not cursor.startswith("page_"):
        raise invalid("page: invalid page cursor")
    text = cursor[5:]
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except ValueError:
        raise invalid("page: invalid page cursor") from None


def list_files(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        files = fake.files.visible(_owner(req))
    ids_param = req.query.get("ids[]") or req.query.get("ids")  # the SDK sends `ids[]=a&ids[]=b`
    if ids_param:
        if "page" in req.query or "limit" in req.query:
            raise invalid("ids: mutually exclusive with page and limit")
        wanted = set(ids_param.split(","))
        if len(wanted) > 100:
            raise invalid("ids: at most 100 entries")
        return Response.json({"data": [f.metadata() for f in files if f.id in wanted], "next_page": None})
    try:
        limit = int(req.query.get("limit", DEFAULT_PAGE))
    except ValueError:
        raise invalid("limit: Input should be a valid integer") from None
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit: Input should be between 1 and {MAX_PAGE}")
    start = 0
    if req.query.get("page"):
        after = _after(req.query["page"])
        ids = [f.id for f in files]
        if after not in ids:
            raise invalid("page: invalid page cursor")
        start = ids.index(after) + 1
    page = files[start : start + limit]
    more = start + limit < len(files)
    return Response.json(
        {"data": [f.metadata() for f in page], "next_page": _page_cursor(page[-1].id) if more else None}
    )


def metadata(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        return Response.json(fake.files.find(_owner(req), match["file_id"]).metadata())


def content(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        stored = fake.files.find(_owner(req), match["file_id"])
    if stored.expired:
        raise _detailed("not_found_error", "The file has expired", "file_expired", 404)
    if not stored.downloadable:
        raise _detailed(
            "invalid_request_error",
            "The file is not downloadable: only files created by a tool can be downloaded",
            "file_not_downloadable",
            400,
        )
    return Response(body=stored.content, content_type=stored.mime_type)


def delete(fake: FakeAnthropic, req: RecordedRequest, match: re.Match[str]) -> Response:
    with fake.lock:
        stored = fake.files.find(_owner(req), match["file_id"])
        stored.deleted = True
    return Response.json({"id": stored.id, "type": "file_deleted"})


def _file_sources(body: Any) -> list[tuple[str, str, Any]]:
    """``(where, block type, file_id)`` of every ``{"source": {"type": "file"}}`` block of the messages."""
    found = []
    messages = body.get("messages") if isinstance(body, dict) else None
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        blocks = message.get("content") if isinstance(message, dict) else None
        for j, block in enumerate(blocks if isinstance(blocks, list) else []):
            source = block.get("source") if isinstance(block, dict) else None
            if isinstance(source, dict) and source.get("type") == "file":
                found.append((f"messages.{i}.content.{j}", str(block.get("type")), source.get("file_id")))
    return found


def check_file_sources(fake: FakeAnthropic, body: Any, owner: str | None) -> None:
    """Refuse a Messages body whose file sources the API would refuse (``owner`` None: any workspace)."""
    for where, kind, file_id in _file_sources(body):
        if not isinstance(file_id, str) or not file_id:
            raise invalid(f"{where}.source.file_id: Field required")
        with fake.lock:
            stored = fake.files.files.get(file_id)
        if stored is None or stored.deleted or (owner is not None and stored.owner != owner):
            raise ApiError("not_found_error", f"File not found: {file_id}")
        if stored.expired:
            raise _detailed("not_found_error", f"The file {file_id} has expired", "file_expired", 404)
        allowed = IMAGE_TYPES if kind == "image" else DOCUMENT_TYPES if kind == "document" else None
        if allowed is not None and stored.mime_type not in allowed:
            raise invalid(f"{where}: a file of type {stored.mime_type} cannot be used in a {kind} block")


def check_request(fake: FakeAnthropic, req: RecordedRequest) -> None:
    """``check_file_sources`` for a Messages request, in the workspace of its credential."""
    check_file_sources(fake, req.body, _owner(req))
