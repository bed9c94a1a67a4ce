"""File ids: their shape, and how an attachment argument names one.

An id is checked before it is put in a URL or a request: ``file_`` and then 1-200 letters, digits, ``_`` or
``-`` (the API's ids are ``file_011C…``; the SDK says the format may change, so the rule is loose, but a ``/``,
``..``, ``?`` or a space can never reach a URL path).
"""

from __future__ import annotations

import re
from pathlib import Path

from claudecli.core.errors import UsageError

ID_RULE = re.compile(r"file_[A-Za-z0-9_-]{1,200}")
PREFIX = "file:"


def is_file_id(text: str) -> bool:
    return ID_RULE.fullmatch(text) is not None


def check_file_id(text: str) -> str:
    """``text`` if it is a file id; a usage error (exit 2) otherwise."""
    if not is_file_id(text):
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise UsageError(f"{shown!r} is not a file id (file ids look like file_011C…)")
    return text


def file_ref(spec: str, base_dir: Path | None = None) -> str | None:
    """The file id an attachment argument names, or None when it names a path or a URL.

    ``file:ID`` always names an id (and a malformed one is an error); a bare ``file_…`` does only when no
    local file of that name exists (relative to ``base_dir`` when given), so a file really called
    ``file_notes`` can still be attached.
    """
    if spec.startswith(PREFIX):
        return check_file_id(spec[len(PREFIX) :])
    if is_file_id(spec):
        local = Path(spec).expanduser()
        if base_dir is not None:
            local = base_dir / local
        if not local.exists():
            return spec
    return None
