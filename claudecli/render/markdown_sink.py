"""The incremental Markdown sink (see :mod:`claudecli.render.stream` for the design)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.live import Live
from rich.segment import Segment
from rich.text import Text

from claudecli.render.markdown_blocks import Block, BlockStream, markdown_from_tokens
from claudecli.render.plain import _Chunks
from claudecli.render.terminal import hide_typed_echo

__all__ = ["MarkdownSink"]


class _Rows:
    """Pre-rendered rows (lists of segments), shown as they are."""

    def __init__(self, rows: Iterable[list[Segment]] = ()) -> None:
        self.rows = list(rows)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for row in self.rows:
            yield from row
            yield new_line


class MarkdownSink:
    """Renders a streamed Markdown answer on a terminal console, incrementally.

    ``clock`` (seconds, monotonic) is injectable for tests.  A redraw happens inside
    :meth:`feed` when at least ``1 / max_refresh_per_second`` seconds passed since the end
    of the previous redraw, so a slow redraw cannot saturate the CPU.  Without a chunk
    there is no redraw: callers that wait a long time between chunks may call
    ``feed("")`` (e.g. on a keep-alive event) to show the latest text.
    """

    def __init__(
        self,
        console: Console,
        *,
        max_refresh_per_second: float = 20.0,
        code_theme: str = "monokai",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_refresh_per_second <= 0:
            raise ValueError("max_refresh_per_second must be > 0")
        self._console = console
        self._code_theme = code_theme
        self._clock = clock
        self._interval = 1.0 / max_refresh_per_second
        self._chunks = _Chunks()
        self._pending: list[str] = []  # chunks not yet handed to self._blocks
        self._blocks = BlockStream()
        self._after_blank = False  # rich would put a blank line before the next block
        self._last_frame_end = float("-inf")
        self._closed = False
        self._live_enabled = console.is_interactive and not console.is_dumb_terminal
        self._live: Live | None = None
        self._restore_echo: Callable[[], None] | None = None
        self._unprinted: RenderableType | None = None  # final blocks whose printing was interrupted

    @property
    def text(self) -> str:
        return self._chunks.joined()

    def feed(self, text: str) -> None:
        if self._closed:
            raise RuntimeError("feed() after finish() or abort()")
        if text:
            self._chunks.append(text)
            self._pending.append(text)
        if self._pending and self._clock() - self._last_frame_end >= self._interval:
            self._frame()

    def finish(self) -> None:
        self._close(None)

    def abort(self, note: str | None = None) -> None:
        self._close(note)

    # -- internals -------------------------------------------------------------------------

    def _take_pending(self) -> None:
        if self._pending:
            self._blocks.feed("".join(self._pending))
            self._pending.clear()

    def _permanent(self, blocks: list[Block]) -> RenderableType | None:
        """The renderable for newly final blocks, spaced as in a whole-document render."""
        if not blocks:
            return None
        tokens = [token for block in blocks for token in block.tokens]
        markdown = markdown_from_tokens(tokens, after_blank=self._after_blank, code_theme=self._code_theme)
        self._after_blank = blocks[-1].new_line
        return markdown

    def _max_rows(self) -> int:
        return max(1, self._console.size.height - 1)

    def _live_rows(self) -> _Rows:
        """The unfinished tail, rendered, cropped to the bottom rows that fit the screen."""
        max_rows = self._max_rows()
        tokens = self._blocks.preview_tokens(max_lines=max_rows)
        if not tokens:
            return _Rows()
        markdown = markdown_from_tokens(tokens, after_blank=self._after_blank, code_theme=self._code_theme)
        console = self._console
        rows = console.render_lines(markdown, console.options, pad=False)
        return _Rows(rows[-max_rows:])

    def _frame(self) -> None:
        self._take_pending()
        permanent = self._permanent(self._blocks.take_final())
        try:
            if self._live_enabled:
                self._show(self._live_rows())
        finally:  # print the final blocks even if the preview failed
            if permanent is not None:
                self._unprinted = permanent
                self._console.print(permanent)  # Live's render hook redraws the live area below
                self._unprinted = None
            elif self._live is not None:
                self._live.refresh()
            self._last_frame_end = self._clock()

    def _show(self, rows: _Rows) -> None:
        if self._live is None:
            self._live = Live(
                console=self._console,
                auto_refresh=False,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                vertical_overflow="visible",
            )
            self._restore_echo = hide_typed_echo()
            self._live.start()
        self._live.update(rows)

    def _stop_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.update(_Rows())
            live.stop()  # transient: erases the live area
        restore, self._restore_echo = self._restore_echo, None
        if restore is not None:
            restore()

    def _close(self, note: str | None) -> None:
        if self._closed:
            return
        self._closed = True
        remainder = ""
        try:
            self._take_pending()
            remainder = self._blocks.live_source()
            permanent = self._permanent(self._blocks.take_final(everything=True))
            self._stop_live()
            for renderable in (self._unprinted, permanent):  # an interrupted frame's blocks first
                if renderable is not None:
                    self._console.print(renderable)
        except BaseException:
            self._stop_live()
            if remainder:  # never lose the answer: fall back to its unrendered rest
                self._console.print(Text(remainder), soft_wrap=True)
            raise
        if note:
            self._console.print(Text(note, style="dim"))
