"""/edit: compose a message in ``$VISUAL`` / ``$EDITOR`` (a private temp file, removed afterwards)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from claudecli.core.errors import UsageError

FALLBACK_EDITOR = "vi"


def editor_command() -> list[str]:
    raw = os.environ.get("VISUAL") or os.environ.get("EDITOR") or FALLBACK_EDITOR
    try:
        command = shlex.split(raw)
    except ValueError:
        raise UsageError(f"cannot parse the editor command '{raw}' ($VISUAL / $EDITOR)") from None
    if not command:
        raise UsageError("$EDITOR is empty")
    return command


def edit_text(initial: str = "") -> str:
    """Open the editor on ``initial``; return what was saved (without the trailing newline editors add)."""
    command = editor_command()
    fd, name = tempfile.mkstemp(prefix="claudecli-chat-", suffix=".md")  # mkstemp files are 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(initial)
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except FileNotFoundError:
            raise UsageError(f"editor not found: {command[0]}", hint="set $EDITOR") from None
        if done.returncode != 0:
            raise UsageError(f"the editor exited with status {done.returncode}; nothing was changed")
        text = path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)
    return text[:-1] if text.endswith("\n") else text
