"""Making untrusted tool text safe to show and to send: no terminal escapes, no control characters, a size cap.

A tool's output, a model's tool arguments and a file's content are all untrusted: an escape sequence in them
could retitle the terminal, rewrite what the approval prompt shows, or write to the clipboard (OSC 52).
"""

from __future__ import annotations

import re

from claudecli.core.controls import CONTROL_CLASS, escaped

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC (ESC P|X|^|_ ... ST), then any other
# two-character escape; then the 8-bit C1 forms of CSI and OSC.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
# The characters a terminal must never get raw: the same set render.visible shows escaped, dropped here.
_CONTROLS = re.compile(CONTROL_CLASS)


def strip_escapes(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (``\\n`` and ``\\t`` are kept;
    ``\\r\\n`` becomes ``\\n``, and a lone ``\\r``, which could overwrite a line on screen, is dropped; a lone
    surrogate, which is not text in any encoding, becomes ``?``)."""
    text = text.replace("\r\n", "\n")
    if not text.isascii():  # a lone surrogate (from JSON "\\ud800" or an undecodable file name) becomes "?"
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


# What a name must not carry into a one-entry-a-line answer: every C0 control (newline and tab too), DEL, every
# C1 control, the line and paragraph separators, and the bidirectional overrides.
_NAME_CONTROLS = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A backslash is doubled, so a name literally spelled ``a\\nb`` and one with a real newline stay apart.
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def escape_controls(name: str) -> str:
    """``name`` (a file name, a path) on one line as it is: each control character written as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``), so ``a<newline>b.txt`` cannot pass for two entries of a listing."""
    return _NAME_CONTROLS.sub(_escape_one, name)


def _escape_one(found: re.Match[str]) -> str:
    char = found.group()
    return _SHORT_ESCAPES.get(char) or escaped(char)


_NAME_ESCAPE = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt\\])")
_SHORT_UNESCAPES = {escape: char for char, escape in _SHORT_ESCAPES.items()}


def unescape_name(shown: str) -> str:
    """The name :func:`escape_controls` showed as ``shown`` (so the model can open what a listing named)."""
    return _NAME_ESCAPE.sub(
        lambda found: _SHORT_UNESCAPES.get(found.group()) or chr(int(found.group()[2:], 16)), shown
    )


def cap_text(text: str, limit: int, what: str = "output") -> str:
    """``text`` cut to ``limit`` characters, with a note saying so (the model should know it saw a part)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[{what} truncated: showing the first {limit:,} of {len(text):,} characters]"


def decode(data: bytes) -> str:
    """Bytes from a child or a file as text; bytes that are not UTF-8 become U+FFFD."""
    return data.decode("utf-8", errors="replace")
