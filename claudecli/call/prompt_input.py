"""Where a one-shot prompt comes from: arguments, stdin, or both, and never a wait on a terminal.

Rules (documented in the README): stdin is read only when it is not a terminal and ``--no-stdin`` is not given;
when both stdin and arguments are present the prompt is the stdin text, a blank line, then the argument text;
``-`` as the whole prompt reads stdin explicitly; a terminal stdin with no prompt is a usage error; stdin longer
than ``STDIN_LIMIT`` (the API's request size limit) and ``@file`` text over ``TEXT_FILE_LIMIT`` are usage errors.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO, TextIO

from claudecli.core.controls import is_tty
from claudecli.core.errors import UsageError
from claudecli.core.fsutil import STDIN_LIMIT, TEXT_FILE_LIMIT, read_capped, read_stream_capped, unreadable


def _read_binary(stream: TextIO, *, explicit: bool) -> bytes:
    """stdin's bytes, at most ``STDIN_LIMIT`` of them (``ask < /dev/zero`` is refused, not read forever).
    A stdin the system will not read (opened write-only, ``0>file``; an I/O error) is a usage error."""
    buffer: BinaryIO | None = getattr(stream, "buffer", None)
    try:
        if buffer is not None:
            return read_stream_capped(buffer, STDIN_LIMIT, "stdin")
        text = stream.read(STDIN_LIMIT + 1)
    except OSError as exc:
        hint = None if explicit else "--no-stdin leaves it alone"
        raise UsageError(f"cannot read stdin: {exc.strerror or exc}", hint=hint) from None
    return read_stream_capped(io.BytesIO(text.encode("utf-8")), STDIN_LIMIT, "stdin")


def decode_utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{source} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})",
            hint="send binary files with -a/--attach",
        ) from None


def read_prompt(words: list[str], stdin: TextIO, *, use_stdin: bool) -> str:
    """Assemble the prompt text from argument words and stdin according to the rules above."""
    explicit_stdin = words == ["-"]
    argument_text = "" if explicit_stdin else " ".join(words)
    stdin_is_tty = is_tty(stdin)
    stdin_text = ""
    if explicit_stdin:
        if stdin_is_tty:
            raise UsageError("'-' reads the prompt from stdin, but stdin is a terminal", hint="pipe text in")
        stdin_text = decode_utf8(_read_binary(stdin, explicit=True), "stdin")
    elif use_stdin and not stdin_is_tty and not stdin.closed:
        stdin_text = decode_utf8(_read_binary(stdin, explicit=False), "stdin")
    if not argument_text and not stdin_text and stdin_is_tty and not explicit_stdin:
        raise UsageError("no prompt given", hint='pass it as an argument (claudecli ask "...") or pipe it in')
    parts = [part for part in (stdin_text.rstrip("\n"), argument_text) if part.strip()]
    prompt = "\n\n".join(parts)
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    return prompt


def read_text_option(value: str | None, option: str) -> str | None:
    """An option that takes text or ``@path`` (``-s @prompts/reviewer.md``); ``@@`` escapes a literal ``@``."""
    if value is None:
        return None
    if value.startswith("@@"):
        return value[1:]
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return decode_utf8(read_capped(path, TEXT_FILE_LIMIT, f"{option}: {path}"), str(path))
        except OSError as exc:
            raise unreadable(f"{option} {path}", exc) from None
    return value
