"""Streaming output of an answer that arrives in small text chunks.

Two sinks share the :class:`AnswerSink` protocol:

* :class:`PlainSink` writes the raw text (pipes, files, ``--plain``): no ANSI, flushed per chunk.
* :class:`MarkdownSink` renders Markdown incrementally on a terminal.  Top-level blocks that
  can no longer change are rendered once with rich's ``Markdown`` and printed permanently;
  only the unfinished last block is redrawn, in a rich ``Live`` area cropped to the bottom
  rows that fit the screen, at most ``max_refresh_per_second`` times per second.  When the
  answer ends the output equals ``console.print(Markdown(full_text))`` (see
  :mod:`claudecli.render.markdown_blocks` for the few documented exceptions).

Work per chunk is O(len(chunk)): chunks are only collected; parsing and rendering happen in
frames, and a frame re-parses only the unfinished tail.  Sinks are not thread-safe.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rich.console import Console

    from claudecli.render.markdown_sink import MarkdownSink

__all__ = ["AnswerSink", "MarkdownSink", "PlainSink", "make_sink"]


@runtime_checkable
class AnswerSink(Protocol):
    """Receives an answer chunk by chunk and shows it."""

    def feed(self, text: str) -> None:
        """Show one more chunk.  Feeding ``""`` lets a sink catch up on a throttled redraw."""

    def finish(self) -> None:
        """The answer is complete: show it in its final form.  Idempotent."""

    def abort(self, note: str | None = None) -> None:
        """The answer was cut short: keep what was shown, finalise it, then print ``note``."""

    @property
    def text(self) -> str:
        """Everything received so far, unmodified."""
        ...


class _Chunks:
    """The received chunks; joined lazily so that ``text`` costs nothing per chunk."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def append(self, chunk: str) -> None:
        self._parts.append(chunk)

    def joined(self) -> str:
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""


class PlainSink:
    """Writes chunks verbatim to ``file`` and flushes after each one."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self._chunks = _Chunks()
        self._last_char = ""
        self._closed = False

    @property
    def text(self) -> str:
        return self._chunks.joined()

    def feed(self, text: str) -> None:
        if self._closed:
            raise RuntimeError("feed() after finish() or abort()")
        if not text:
            return
        self._chunks.append(text)
        self._last_char = text[-1]
        self._file.write(text)
        self._file.flush()

    def finish(self) -> None:
        """End the output with a newline (nothing at all for an empty answer)."""
        if self._closed:
            return
        self._closed = True
        if self._last_char and self._last_char != "\n":
            self._file.write("\n")
            self._file.flush()

    def abort(self, note: str | None = None) -> None:
        closed = self._closed
        self.finish()
        if note and not closed:
            self._file.write(note + "\n")
            self._file.flush()


def make_sink(console: Console, *, markdown: bool) -> AnswerSink:
    """A :class:`MarkdownSink` on ``console``, or a :class:`PlainSink` on its file."""
    if markdown:
        from claudecli.render.markdown_sink import MarkdownSink
        from claudecli.scrub import ScrubbedSink, ScrubbedStream

        sink = MarkdownSink(console)
        if isinstance(console.file, ScrubbedStream):  # mask secrets before rendering folds or restyles them
            return ScrubbedSink(sink, console.file.scrubber)
        return sink
    return PlainSink(console.file)


def __getattr__(name: str) -> Any:
    """``MarkdownSink`` lives in its own module so piped output never imports the Markdown machinery."""
    if name == "MarkdownSink":
        from claudecli.render.markdown_sink import MarkdownSink

        return MarkdownSink
    raise AttributeError(name)
