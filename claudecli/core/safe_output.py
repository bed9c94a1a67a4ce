"""Output streams that never fail on a character their encoding cannot hold.

An answer is paid for before it is printed. With ``PYTHONIOENCODING=ascii``, a Latin-1 terminal or a lone
surrogate in a model's JSON, a plain ``write`` raises ``UnicodeEncodeError`` half-way through and the rest of the
answer is lost. :class:`EncodingGuard` writes such text with ``backslashreplace`` (``café`` becomes ``caf\\xe9``)
and says so once on stderr; text the encoding can hold passes through untouched.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any


class EncodingGuard:
    """A text stream whose ``write`` escapes what the stream's encoding cannot hold (warning once)."""

    def __init__(self, stream: Any, warn: Callable[[str], None] | None = None) -> None:
        self.stream = stream
        self.warn = warn
        self._warned = False
        self._encoding = _codec_name(getattr(stream, "encoding", None))

    def write(self, text: str, /) -> int:
        written = len(text)
        try:
            text.encode(self._encoding)
        except UnicodeEncodeError:
            self._warn_once()
            text = text.encode(self._encoding, "backslashreplace").decode(self._encoding)
        self.stream.write(text)
        return written

    def _warn_once(self) -> None:
        if self._warned or self.warn is None:
            return
        self._warned = True
        self.warn(
            f"stdout's encoding ({self._encoding}) cannot show some characters of the output; they are written "
            "as backslash escapes (set PYTHONIOENCODING=utf-8 to get them as they are)"
        )

    def writelines(self, lines: Any, /) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _codec_name(encoding: str | None) -> str:
    """The stream's codec by its canonical name; UTF-8 when it names none or one Python does not know."""
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        return "utf-8"
