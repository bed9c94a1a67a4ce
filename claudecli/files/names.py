"""The names a file gets on each side: the local name of a download, and the API name of an upload.

A download's name is its API filename, made safe, unless ``-o`` names one.

A filename comes from the API, and the API took it from whoever uploaded the file (or from a tool the model
ran): it is untrusted. So only its last path component is kept (``/`` and ``\\`` both count), control and
format characters (including bidirectional overrides that disguise an extension) are dropped, characters
Windows refuses become ``_``, leading dots and spaces are removed (no hidden files, no ``..``), and the name
is cut to 255 bytes of UTF-8 keeping its extension. What is left, if nothing, is the file id.

An upload's name is the local file's name with each character the Files API refuses in a filename (``< > :
" | ? * \\`` and control characters) replaced by ``_``: ``report: Q3?.pdf`` is a fine name on Linux, and the
API would otherwise refuse the whole upload with a 400 that does not say which file.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 255
_RESERVED = re.compile(r'[<>:"|?*]')
_REFUSED_ON_UPLOAD = re.compile(r'[<>:"|?*\\\x00-\x1f\x7f-\x9f]')
UPLOAD_FALLBACK = "upload"


def _printable(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))


def _cut(name: str) -> str:
    """``name`` in at most 255 bytes of UTF-8, its extension kept when it is short."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext.encode("utf-8")) <= 16 else ""
    base = name[: len(name) - len(suffix)]
    while len((base + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        base = base[:-1]
    return base + suffix


def safe_name(filename: str, fallback: str) -> str:
    """A name that stays in the directory it is written to and shows what it is (see the module doc)."""
    last = re.split(r"[/\\]", filename)[-1]
    cleaned = _RESERVED.sub("_", _printable(unicodedata.normalize("NFC", last)))
    cleaned = cleaned.lstrip(". ").rstrip(". ")
    cleaned = _cut(cleaned)
    return cleaned or fallback


def upload_name(local_name: str) -> str:
    """The name the Files API is given for a local file (see the module doc)."""
    return _cut(_REFUSED_ON_UPLOAD.sub("_", unicodedata.normalize("NFC", local_name))) or UPLOAD_FALLBACK
