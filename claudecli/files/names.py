"""The local name a downloaded file gets: its API filename, made safe, unless ``-o`` names one.

A filename comes from the API, and the API took it from whoever uploaded the file (or from a tool the model
ran): it is untrusted. So only its last path component is kept (``/`` and ``\\`` both count), control and
format characters (including bidirectional overrides that disguise an extension) are dropped, characters
Windows refuses become ``_``, leading dots and spaces are removed (no hidden files, no ``..``), and the name
is cut to 255 bytes of UTF-8 keeping its extension. What is left, if nothing, is the file id.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 255
_RESERVED = re.compile(r'[<>:"|?*]')


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
