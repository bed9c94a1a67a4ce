"""Untrusted text made harmless for a terminal: every control character shown as a visible escape.

An answer is untrusted: the model may repeat what a web page, a tool or a piped file told it. Written to a
terminal as it is, ``ESC ] 0 ; … BEL`` retitles the window, ``ESC ] 52`` writes the clipboard, ``ESC ] 8`` makes a
link whose target is not its text, ``ESC [ 2 J`` clears the screen, a lone ``\\r`` overwrites the line and a
bidirectional override (U+202E) makes text read differently from what it is. On a terminal such text goes
through :func:`visible`; a pipe gets the bytes as they are (``claudecli ask … > file`` keeps the exact answer).

The rule: ``\\n`` and ``\\t`` stay; ``\\r\\n`` is a line end (``\\n``); every other C0 control, DEL and every C1
control is written as ``\\xNN`` (ESC as ``\\x1b``), and a bidirectional embedding, override or isolate
(U+202A-U+202E, U+2066-U+2069) as ``\\uNNNN``. Characters are escaped one by one, never parsed as sequences, so
a sequence split across two streamed chunks is escaped all the same; only a ``\\r`` that ends a chunk waits for
the next one (:class:`VisibleSink`), since it may be the first half of ``\\r\\n``.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from claudecli.core.controls import is_tty, visible
from claudecli.core.scrub import RelayingSink

if TYPE_CHECKING:
    from claudecli.render.plain import AnswerSink


def for_stream(text: str, stream: object) -> str:
    """``text`` as it may be written to ``stream``: :func:`visible` on a terminal, unchanged elsewhere."""
    return visible(text) if is_tty(stream) else text


class VisibleStream:
    """A text stream that writes through :func:`visible`, for whole records (batch results) on a terminal.

    A write is taken as complete: a ``\r`` at its end is shown, never held for the next write.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str, /) -> int:
        self.stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def records_for(stream: IO[str]) -> IO[str] | VisibleStream:
    """Where whole records for ``stream`` go: through :class:`VisibleStream` on a terminal, straight to a pipe."""
    return VisibleStream(stream) if is_tty(stream) else stream


class VisibleSink(RelayingSink):
    """An answer sink that shows ``sink`` each chunk through :func:`visible`.

    A chunk ending in ``\\r`` keeps that ``\\r`` back until the next chunk tells whether it starts a ``\\r\\n``.
    ``text`` is the answer exactly as it arrived.
    """

    def __init__(self, sink: AnswerSink) -> None:
        super().__init__(sink)
        self._held_cr = False

    def _relay(self, text: str) -> None:
        if self._held_cr:
            text = "\r" + text
        self._held_cr = text.endswith("\r")
        if self._held_cr:
            text = text[:-1]
        if text:
            self._sink.feed(visible(text))

    def _release(self) -> None:
        if self._held_cr:
            self._held_cr = False
            self._sink.feed(visible("\r"))
