"""/copy: put text on the system clipboard with the OSC 52 escape sequence.

OSC 52 asks the terminal itself to set the clipboard, so it works over SSH and without any clipboard tool.
Inside tmux or GNU screen the sequence is wrapped in their passthrough form. Terminals that do not support
it ignore it silently; some cap its size (about 100 kB is widely safe), so larger texts get a warning.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import IO

SAFE_PAYLOAD_BYTES = 100_000


def osc52(text: str, environ: Mapping[str, str]) -> str:
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    sequence = f"\x1b]52;c;{payload}\x07"
    if environ.get("TMUX"):
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    if environ.get("TERM", "").startswith("screen"):
        return "\x1bP" + sequence + "\x1b\\"
    return sequence


def copy_to_terminal(text: str, terminal: IO[str], environ: Mapping[str, str]) -> int:
    """Write the sequence to ``terminal``; returns the payload size in bytes."""
    sequence = osc52(text, environ)
    terminal.write(sequence)
    terminal.flush()
    return len(sequence)
