"""The control characters a terminal must never get raw from untrusted text, and how they are shown instead.

The rule (see ``render.visible`` for why): ``\\n`` and ``\\t`` stay; ``\\r\\n`` is a line end; every other C0
control, DEL and every C1 control is written as ``\\xNN`` (ESC as ``\\x1b``), a bidirectional embedding,
override or isolate as ``\\uNNNN``. It lives in core because error messages use it too: a server's error text or
an MCP server's tool name is as untrusted as an answer. :func:`is_tty` says whether a stream is a terminal,
where that rule applies.
"""

from __future__ import annotations

import re

# Every C0 control but tab and newline, DEL, every C1 control, and the bidirectional controls ("Trojan Source").
CONTROL_CLASS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_CONTROL = re.compile(CONTROL_CLASS)


def escaped(char: str) -> str:
    """One character as the escape that shows it: ``\\x1b``, ``\\x9b``, ``\\u202e``."""
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` safe to write to a terminal (see the module doc); the identity on text without controls."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _CONTROL.sub(lambda match: escaped(match.group()), text)


def visible_line(text: str) -> str:
    """:func:`visible` for a message that is one line by design (a warning, a note, ``FILE:LINE: reason``): its
    newlines are escaped too, so a file name holding one cannot start a line of its own, a forged
    ``claudecli: error: …`` among them."""
    return visible(text).replace("\n", "\\x0a")


def is_tty(stream: object) -> bool:
    """Whether ``stream`` is a terminal, asked of the stream itself (``FORCE_COLOR`` must not make a pipe one);
    a closed or broken stream is not one."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False
