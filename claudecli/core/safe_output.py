"""Output streams that never fail on a character their encoding cannot hold, nor with a traceback.

An answer is paid for before it is printed. With ``PYTHONIOENCODING=ascii``, a Latin-1 terminal or a lone
surrogate in a model's JSON, a plain ``write`` raises ``UnicodeEncodeError`` half-way through and the rest of the
answer is lost. :class:`EncodingGuard` writes such text with ``backslashreplace`` (``café`` becomes ``caf\\xe9``)
and says so once on stderr; text the encoding can hold passes through untouched.

A stream the system refuses to write (``> /dev/full``, a stdout closed with ``>&-``, an I/O error) is a
``StdoutFailed`` on stdout, the command's one-line error; on stderr the notes are dropped and the command goes
on (whatever it answers still reaches stdout), even when stderr's reader left. A reader of stdout that left
(EPIPE) stays a ``BrokenPipeError`` (exit 141).
"""

from __future__ import annotations

import codecs
import errno
import io
import sys
from collections.abc import Callable
from typing import Any

from claudecli.core.errors import StdoutFailed


class ClosedStdout(io.TextIOWrapper):
    """stdout as claudecli was given it: closed (``cli.startup`` holds the descriptor on /dev/null). Every write
    fails as a write to a closed descriptor does."""

    def write(self, text: str, /) -> int:
        raise OSError(errno.EBADF, "it was closed when claudecli started")


def stdout_closed_at_start() -> bool:
    """Whether claudecli was started with stdout closed (``>&-``): a command whose paid answers go only to
    stdout can refuse before anything is sent, rather than at its first write."""
    return isinstance(sys.stdout, ClosedStdout)


def refuse_closed_stdout(what: str) -> None:
    if stdout_closed_at_start():
        raise StdoutFailed(
            f"cannot write to stdout: it was closed when claudecli started; {what} would go nowhere, so nothing "
            "was sent",
            hint="give -o FILE, or let stdout go to a file (> out.jsonl)",
        )


class EncodingGuard:
    """A text stream whose ``write`` escapes what the stream's encoding cannot hold (warning once)."""

    def __init__(
        self, stream: Any, warn: Callable[[str], None] | None = None, *, name: str = "stdout"
    ) -> None:
        self.stream = stream
        self.warn = warn
        self.name = name
        self._warned = False
        self._lost = False  # a failed stream is written no more: stderr drops notes, stdout says it once
        self._encoding = _codec_name(getattr(stream, "encoding", None))

    def write(self, text: str, /) -> int:
        written = len(text)
        try:
            text.encode(self._encoding)
        except UnicodeEncodeError:
            self._warn_once()
            text = text.encode(self._encoding, "backslashreplace").decode(self._encoding)
        self._guarded(self.stream.write, text)
        return written

    def flush(self) -> None:
        self._guarded(self.stream.flush)

    def _guarded(self, action: Callable[..., object], *args: object) -> None:
        if self._lost:
            return
        try:
            action(*args)
        except OSError as exc:
            if self.name != "stdout":
                self._lost = True  # notes nobody can read, not even a reader that left, stop no command
                return
            if isinstance(exc, BrokenPipeError):
                raise
            self._lost = True  # said once: a later flush (the app closing) must not make it a second line
            raise StdoutFailed(f"cannot write to stdout: {exc.strerror or exc}") from None

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
