"""/copy: put text on the clipboard, and say honestly what was done.

OSC 52 asks the terminal itself to set the clipboard, so it works over SSH and without any clipboard tool.
Inside tmux or GNU screen the sequence is wrapped in their passthrough form. But nothing confirms it: many
terminals ignore it, tmux drops it unless passthrough is allowed, some cap its size (about 100 kB is widely
safe). So the sequence is always sent, and a local clipboard tool (tmux's own buffer inside tmux, pbcopy,
wl-copy, xclip, xsel) is tried too: only a tool that took the text lets /copy say "copied".
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import IO

SAFE_PAYLOAD_BYTES = 100_000
TOOL_TIMEOUT_S = 3.0


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


def clipboard_tools(environ: Mapping[str, str], platform: str = sys.platform) -> list[tuple[str, list[str]]]:
    """(where the text goes, argv) of each local tool that may take it, best first."""
    tools: list[tuple[str, list[str]]] = []
    if environ.get("TMUX"):
        tools.append(("tmux's paste buffer", ["tmux", "load-buffer", "-w", "-"]))
        tools.append(("tmux's paste buffer", ["tmux", "load-buffer", "-"]))  # tmux before 3.2 has no -w
    if platform == "darwin":
        tools.append(("the clipboard (pbcopy)", ["pbcopy"]))
    if environ.get("WAYLAND_DISPLAY"):
        tools.append(("the clipboard (wl-copy)", ["wl-copy"]))
    if environ.get("DISPLAY"):
        tools.append(("the clipboard (xclip)", ["xclip", "-selection", "clipboard"]))
        tools.append(("the clipboard (xsel)", ["xsel", "--clipboard", "--input"]))
    return tools


def copy_with_tool(text: str, environ: Mapping[str, str]) -> str | None:
    """Hand ``text`` to the first local clipboard tool that takes it; returns where it went, or None."""
    for where, argv in clipboard_tools(environ):
        program = shutil.which(argv[0], path=environ.get("PATH"))
        if program is None:
            continue
        try:
            done = subprocess.run(
                [program, *argv[1:]],
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,  # xclip and wl-copy stay behind to serve the selection
                stderr=subprocess.DEVNULL,
                timeout=TOOL_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return where
    return None
