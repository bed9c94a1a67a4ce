"""Streaming output of an answer that arrives in small text chunks.

Two sinks share the :class:`AnswerSink` protocol:

* :class:`PlainSink` writes the raw text (pipes, files, ``--plain``): no ANSI, flushed per chunk; on a
  terminal its control characters are shown escaped (:mod:`claudecli.render.visible`).
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

from typing import TYPE_CHECKING, Any

from claudecli.core.controls import is_tty
from claudecli.render.plain import AnswerSink, PlainSink
from claudecli.render.visible import VisibleSink

if TYPE_CHECKING:
    from rich.console import Console

    from claudecli.render.markdown_sink import MarkdownSink

__all__ = ["AnswerSink", "MarkdownSink", "PlainSink", "make_sink"]


def make_sink(console: Console, *, markdown: bool) -> AnswerSink:
    """A :class:`MarkdownSink` on ``console``, or a :class:`PlainSink` on its file.

    This is where every streamed answer meets the terminal: on one (always, when rendering Markdown) the
    text passes through :func:`~claudecli.render.visible.visible`; a pipe or a file gets it byte for byte.
    """
    if not markdown:
        plain = PlainSink(console.file)
        return VisibleSink(plain) if is_tty(console.file) else plain
    from claudecli.core.scrub import ScrubbedSink, ScrubbedStream
    from claudecli.render.markdown_sink import MarkdownSink

    sink: AnswerSink = MarkdownSink(console)
    if isinstance(console.file, ScrubbedStream):  # mask secrets before rendering folds or restyles them
        sink = ScrubbedSink(sink, console.file.scrubber)
    return VisibleSink(sink)


REHEARSAL_ANSWER = (
    "# A\n\nSome *text*, `code` and a [link](https://example.com).\n\n- one\n- two\n\n```\nx = 1\n```\n"
)


def rehearse_rendering(color_system: str | None, spinner_label: str) -> None:
    """Draw what a turn draws - the spinner, a summary line and, for a terminal, a small Markdown answer - on
    throwaway consoles (the chat's warm-up): the renderer's imports, parser and width caches are then ready for
    the first answer. Nothing is shown."""
    import io
    import string

    from rich.console import Console
    from rich.spinner import Spinner
    from rich.status import Status  # noqa: F401  (the spinner shown until the first token)
    from rich.text import Text

    console = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=80)
    console.print(Spinner("dots", text=Text(spinner_label)))
    console.print(Text(string.printable + "…·", style="dim"))
    if color_system is None:
        return
    from claudecli.render.markdown_blocks import make_parser, markdown_from_tokens
    from claudecli.render.markdown_sink import MarkdownSink  # noqa: F401

    console = Console(file=io.StringIO(), force_terminal=True, color_system=color_system, width=80)  # type: ignore[arg-type]
    tokens = make_parser().parse(REHEARSAL_ANSWER)
    console.print(markdown_from_tokens(tokens, after_blank=False, code_theme="monokai"))


def __getattr__(name: str) -> Any:
    """``MarkdownSink`` lives in its own module so piped output never imports the Markdown machinery."""
    if name == "MarkdownSink":
        from claudecli.render.markdown_sink import MarkdownSink

        return MarkdownSink
    raise AttributeError(name)
