"""Tests of the streaming answer renderer (claudecli.render.stream).

The Markdown sink writes rich ``Live`` frames (cursor movement + erase codes) interleaved with
permanently printed blocks.  To compare what the user ends up with, the raw output is replayed
through a small terminal model (:class:`Terminal`) that understands exactly the codes rich
emits and refuses anything it cannot model faithfully (overwriting text, moving the cursor
above the top of the screen, unknown controls).  The final screen + scrollback must equal a
whole-document ``console.print(Markdown(doc))``, with styles.  The permanent stream alone is
also checked on a non-interactive console with ``record=True`` (no live area at all).
"""

from __future__ import annotations

import functools
import io
import itertools
import random
import re
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console
from rich.markdown import Markdown

from claudecli.render.markdown_blocks import BlockStream, make_parser
from claudecli.render.stream import AnswerSink, MarkdownSink, PlainSink, make_sink
from claudecli.render.visible import VisibleSink

WIDTH = 80
HEIGHT = 24

CODE_LINES = "\n".join(f"    value_{i} = compute({i})  # step {i}" for i in range(40))

DOC = f"""# Streaming Renderer Test Document

An opening paragraph with **bold**, *emphasis*, `inline code`, ~~strike~~ and a
[link](https://example.com/docs). It continues on a second source line so that the
paragraph grows while it streams.

## Lists

- first bullet
- second bullet with `code`
  - nested bullet one
  - nested bullet two
    1. deep ordered
    2. deep ordered two
- third bullet

* loose item one

* loose item two

  with a second paragraph inside the item

* loose item three

1. ordered one
2. ordered two
3. ordered three

Between the lists.

7. starts at seven
8. eight

## Code

```python
def greet(name: str) -> str:
    \"\"\"Say hello.

    ```
    an indented fence line does not close the block
    ```
    \"\"\"

    message = f"Hello, {{name}}!"

{CODE_LINES}

    return message
```

~~~
tilde fence
```
not a closing fence
~~~

    indented code block
    second line

## Table

| Name  | Kind   | Size |
|-------|:------:|-----:|
| alpha | letter |    1 |
| beta  | letter |   22 |
| gamma | `code` |  333 |

> A blockquote with a first paragraph
> that spans two lines.
>
> And a second paragraph in the same quote.

Setext Heading
--------------

---

***

A paragraph right after rules.
Another line.\\
Hard break above.

### Unique Heading Marker

- [ ] task one
- [x] task two

Final line without a newline and with *emphasis*"""

_SGR_OR_OSC = r"\x1b\[[0-9;]*m|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
_TOKEN = re.compile(_SGR_OR_OSC + r"|\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+|.", re.S)
_ZERO_WIDTH = re.compile(_SGR_OR_OSC)
_LINK_ID = re.compile(r"\x1b\]8;id=[^;]*;")


class Terminal:
    """A terminal reduced to what rich writes: text + SGR/OSC, CR, LF, erase line, cursor up."""

    def __init__(self, height: int = HEIGHT) -> None:
        self.height = height
        self.lines = [""]
        self.row = 0
        self.max_live_rows = 0  # tallest area erased by one run of "cursor up + erase"
        self._overwrite = False
        self._up_run = 0

    def _has_text(self, row: int) -> bool:
        return bool(_ZERO_WIDTH.sub("", self.lines[row]))

    def write(self, raw: str) -> Terminal:
        for match in _TOKEN.finditer(raw):
            token = match.group(0)
            if token not in ("\x1b[1A", "\x1b[2K"):
                self._up_run = 0
            if token == "\n":
                self.row += 1
                if self.row == len(self.lines):
                    self.lines.append("")
                self._overwrite = self._has_text(self.row)
            elif token == "\r":
                self._overwrite = self._has_text(self.row)
            elif token == "\x1b[2K":
                self.lines[self.row] = ""
                self._overwrite = False
            elif token == "\x1b[1A":
                self._up_run += 1
                self.max_live_rows = max(self.max_live_rows, self._up_run + 1)
                screen_top = max(0, len(self.lines) - self.height)
                assert self.row > screen_top, "cursor moved above the screen: scrollback would be duplicated"
                self.row -= 1
                self._overwrite = self._has_text(self.row)
            elif token in ("\x1b[?25l", "\x1b[?25h"):  # hide / show cursor
                pass
            elif _ZERO_WIDTH.fullmatch(token):
                self.lines[self.row] += token
            else:
                assert not token.startswith("\x1b"), f"unexpected control sequence {token!r}"
                assert not self._overwrite, f"text written over row {self.row}: {self.lines[self.row]!r}"
                self.lines[self.row] += token
        return self

    def transcript(self) -> str:
        """Everything on screen and in the scrollback, styled; trailing empty rows dropped."""
        lines = [_LINK_ID.sub("\x1b]8;id=X;", line) for line in self.lines]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)


def plain(text: str) -> str:
    return _ZERO_WIDTH.sub("", text)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FlushRecorder(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed_at: list[int] = []

    def flush(self) -> None:
        self.flushed_at.append(len(self.getvalue()))
        super().flush()


@pytest.fixture(autouse=True)
def _terminal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_INTERACTIVE", "TTY_COMPATIBLE", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)


def make_console(*, height: int = HEIGHT, live: bool = True, record: bool = False) -> Console:
    """A truecolor terminal console; ``live=False`` makes it non-interactive (no live area)."""
    return Console(
        file=io.StringIO(),
        width=WIDTH,
        height=height,
        force_terminal=True,
        force_interactive=live,
        color_system="truecolor",
        record=record,
    )


def output(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


def whole_render(doc: str, *, height: int = HEIGHT, live: bool = True, record: bool = False) -> Console:
    console = make_console(height=height, live=live, record=record)
    console.print(Markdown(doc, hyperlinks=False))
    return console


def stream(
    chunks: Iterable[str], *, step: float = 0.01, console: Console | None = None, height: int = HEIGHT
) -> tuple[Console, MarkdownSink]:
    console = console or make_console(height=height)
    clock = FakeClock()
    sink = MarkdownSink(console, clock=clock)
    for chunk in chunks:
        clock.now += step
        sink.feed(chunk)
    sink.finish()
    return console, sink


def random_chunks(text: str, seed: int, max_size: int = 50) -> list[str]:
    rng = random.Random(seed)
    chunks, index = [], 0
    while index < len(text):
        size = rng.randint(1, max_size)
        chunks.append(text[index : index + size])
        index += size
    return chunks


def assert_same_screen(raw: str, expected_raw: str, height: int = HEIGHT) -> Terminal:
    terminal = Terminal(height).write(raw)
    got, want = terminal.transcript(), Terminal(height).write(expected_raw).transcript()
    assert plain(got) == plain(want)
    assert got == want
    return terminal


# -- the parser ----------------------------------------------------------------------------


def _shape(tokens: list[Token]) -> list[tuple[str, int, list[int] | None, str]]:
    return [(t.type, t.level, t.map, t.content) for t in tokens]


def test_parser_is_configured_like_rich() -> None:
    assert _shape(make_parser().parse(DOC)) == _shape(Markdown(DOC).parsed)


# -- final output equals one whole render -----------------------------------------------------

CHUNKINGS: dict[str, Callable[[], list[str]]] = {
    "whole": lambda: [DOC],
    "lines": lambda: DOC.splitlines(keepends=True),
    "chars": lambda: list(DOC),
    **{f"random{seed}": functools.partial(random_chunks, DOC, seed) for seed in range(4)},
}


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
def test_streamed_screen_equals_whole_render(chunking: str) -> None:
    chunks = CHUNKINGS[chunking]()
    # 1-char chunks every 3 ms: a frame every ~17 chars; random chunks every 20 ms: every ~3 chunks.
    console, sink = stream(chunks, step=0.003 if chunking == "chars" else 0.02)
    assert sink.text == DOC
    raw = output(console)
    terminal = assert_same_screen(raw, output(whole_render(DOC)))
    if chunking != "whole":
        assert "\r\x1b[2K" in raw  # the live area was really redrawn
    assert terminal.max_live_rows <= HEIGHT


@pytest.mark.parametrize("seed", range(3))
def test_permanent_stream_equals_whole_render(seed: int) -> None:
    """Without a live area (non-interactive console) only final blocks are printed, each once."""
    expected = whole_render(DOC, live=False, record=True)
    console, _ = stream(
        random_chunks(DOC, seed, max_size=8), step=0.02, console=make_console(live=False, record=True)
    )
    assert "\x1b[1A" not in output(console)
    assert console.export_text(styles=False) == expected.export_text(styles=False)
    assert _LINK_ID.sub("", console.export_text(styles=True)) == _LINK_ID.sub(
        "", expected.export_text(styles=True)
    )


def test_each_final_block_is_printed_once() -> None:
    # Whole lines arrive at once, so a heading is final as soon as it is seen and never previewed.
    console, _ = stream(DOC.splitlines(keepends=True), step=0.05)
    assert plain(output(console)).count("Unique Heading Marker") == 1
    # In 1-char chunks the heading is previewed while incomplete, but printed for good once. (Only the end of the
    # document, from the paragraph before the heading, arrives char by char: the whole of it would cost 20 s.)
    cut = DOC.rindex("\n\n", 0, DOC.index("### Unique Heading Marker") - 2) + 2
    console, _ = stream(DOC[:cut].splitlines(keepends=True) + list(DOC[cut:]), step=0.05)
    terminal = Terminal().write(output(console))
    assert plain(terminal.transcript()).count("Unique Heading Marker") == 1


def test_non_terminal_console_gets_no_ansi() -> None:
    console = Console(file=io.StringIO(), width=WIDTH, force_terminal=False)
    stream(random_chunks(DOC, 7), console=console)
    expected = Console(file=io.StringIO(), width=WIDTH, force_terminal=False)
    expected.print(Markdown(DOC, hyperlinks=False))
    assert "\x1b" not in output(console)
    assert output(console) == output(expected)


# -- the live area ----------------------------------------------------------------------------


def test_live_area_never_exceeds_the_screen() -> None:
    height = 10
    console, _ = stream(list(DOC), step=0.01, height=height)
    terminal = assert_same_screen(output(console), output(whole_render(DOC, height=height)), height)
    # The 40-line code block was previewed cropped to the bottom rows, never with "...".
    assert terminal.max_live_rows == height - 1
    assert "..." not in plain(output(console))


def test_live_area_shows_the_incomplete_last_line() -> None:
    console = make_console()
    clock = FakeClock()
    sink = MarkdownSink(console, clock=clock)
    sink.feed("# Title\n\nSome **bold")
    sink.feed(" words")
    clock.now += 1
    sink.feed("")  # no new text: only gives the sink a chance to redraw
    screen = plain(Terminal().write(output(console)).transcript())
    assert "Title" in screen
    assert "Some **bold words" in screen
    sink.finish()
    assert_same_screen(output(console), output(whole_render("# Title\n\nSome **bold words")))


def test_long_code_block_preview_shows_its_bottom_rows() -> None:
    code = "\n".join(f"print({i})" for i in range(100))
    console = make_console()
    clock = FakeClock()
    sink = MarkdownSink(console, clock=clock)
    sink.feed("```python\n" + code + "\n")
    screen = [plain(line) for line in Terminal().write(output(console)).lines]
    assert len(screen) == HEIGHT - 1  # the live area is all there is
    assert "print(99)" in screen[-2]  # the last row is the code block's bottom padding
    assert "print(78)" in screen[0]
    sink.finish()
    expected = output(whole_render("```python\n" + code + "\n"))
    assert_same_screen(output(console), expected)


def test_refresh_limit_with_instant_chunks() -> None:
    console = make_console()
    clock = FakeClock()
    sink = MarkdownSink(console, clock=clock, max_refresh_per_second=20)
    for index in range(1000):  # 1,000 chunks within 0.1 s
        clock.now += 0.0001
        sink.feed(f"word{index} " if index % 50 else "\n\nparagraph ")
    raw = output(console)
    redraws = raw.count("\r\x1b[2K") + 1  # every redraw but the first erases the previous frame
    assert redraws <= 3
    sink.finish()


def test_refresh_interval_is_measured_from_the_end_of_a_frame() -> None:
    clock = FakeClock()
    frames: list[tuple[float, float]] = []

    class SlowConsole(Console):
        def print(self, *args: Any, **kwargs: Any) -> None:
            start = clock.now
            clock.now += 0.2  # a frame takes 200 ms
            super().print(*args, **kwargs)
            frames.append((start, clock.now))

    console = SlowConsole(file=io.StringIO(), width=WIDTH, height=HEIGHT, force_terminal=True)
    sink = MarkdownSink(console, clock=clock, max_refresh_per_second=20)
    for _ in range(300):
        clock.now += 0.01
        sink.feed("text ")
    assert len(frames) >= 2
    for (_, previous_end), (start, _) in itertools.pairwise(frames):
        assert start - previous_end >= 0.05 - 1e-9
    sink.finish()


def test_parsing_is_incremental() -> None:
    paragraphs = [f"Paragraph {i} has a few words and `code`.\nAnd a second line.\n\n" for i in range(300)]
    doc = "".join(paragraphs)
    parser = make_parser()
    parsed_chars = 0
    original = type(parser).parse

    def counting_parse(
        self: MarkdownIt, src: str, env: MutableMapping[str, Any] | None = None
    ) -> list[Token]:
        nonlocal parsed_chars
        parsed_chars += len(src)
        return original(self, src, env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(parser), "parse", counting_parse)
        console, _ = stream(doc.splitlines(keepends=True), step=0.06)  # a frame per line
    assert parsed_chars < 8 * len(doc)  # re-parsing everything per line would be ~300x
    assert_same_screen(output(console), output(whole_render(doc)))


# -- finish / abort ---------------------------------------------------------------------------


def test_abort_keeps_partial_output_and_prints_note() -> None:
    partial = DOC[: DOC.index("value_20")]  # inside the fenced code block
    console = make_console()
    clock = FakeClock()
    sink = MarkdownSink(console, clock=clock)
    for chunk in random_chunks(partial, 3):
        clock.now += 0.02
        sink.feed(chunk)
    sink.abort("[interrupted]")
    sink.abort("[twice]")  # idempotent
    expected = whole_render(partial)
    expected.print("[interrupted]", style="dim", markup=False, highlight=False)
    assert_same_screen(output(console), output(expected))
    assert "\x1b[2m[interrupted]" in output(console)
    assert "[twice]" not in output(console)
    with pytest.raises(RuntimeError):
        sink.feed("more")


def test_interrupt_while_printing_final_blocks_loses_nothing() -> None:
    class InterruptedConsole(Console):
        interrupt = True

        def print(self, *args: Any, **kwargs: Any) -> None:
            if self.interrupt and any(isinstance(arg, Markdown) for arg in args):
                self.interrupt = False
                raise KeyboardInterrupt
            super().print(*args, **kwargs)

    console = InterruptedConsole(
        file=io.StringIO(), width=WIDTH, height=HEIGHT, force_terminal=True, color_system="truecolor"
    )
    sink = MarkdownSink(console, clock=FakeClock())
    text = "# Title\n\nFirst paragraph.\n\nSecond"
    with pytest.raises(KeyboardInterrupt):
        sink.feed(text)  # the first frame prints the heading: interrupted
    sink.abort("[interrupted]")
    expected = whole_render(text)
    expected.print("[interrupted]", style="dim", markup=False, highlight=False)
    assert_same_screen(output(console), output(expected))


def test_finish_is_idempotent_and_empty_answer_prints_nothing() -> None:
    console, sink = stream([])
    sink.finish()
    assert output(console) == ""
    assert sink.text == ""


def test_crlf_line_endings_split_across_chunks() -> None:
    doc = DOC.replace("\n", "\r\n")
    chunks = [chunk for piece in doc.split("\r\n") for chunk in (piece[:3], piece[3:] + "\r", "\n")]
    console, sink = stream(chunks, step=0.02)
    assert sink.text == doc + "\r\n"
    assert_same_screen(output(console), output(whole_render(doc + "\r\n")))


def test_link_reference_defined_before_use() -> None:
    doc = (
        "[docs]: https://example.com/docs\n\nIntro paragraph.\n\n"
        + "Filler.\n\n" * 5
        + "See [the docs][docs].\n"
    )
    console, _ = stream(doc.splitlines(keepends=True), step=0.06)
    assert_same_screen(output(console), output(whole_render(doc)))
    assert "https://example.com/docs" in output(console)


def test_block_stream_finalises_only_settled_blocks() -> None:
    blocks = BlockStream()
    blocks.feed("- a\n\n- b\n\n")
    assert blocks.take_final() == []  # a loose list may continue
    blocks.feed("```\ncode\n\n")
    assert [b.kind for b in blocks.take_final()] == ["bullet_list_open"]
    assert blocks.take_final() == []  # unclosed fence
    blocks.feed("```\n")
    assert [b.kind for b in blocks.take_final()] == ["fence"]  # closed: final at once
    blocks.feed("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert blocks.take_final() == []  # a table can grow
    blocks.feed("\nText\n")
    assert [b.kind for b in blocks.take_final()] == ["table_open"]
    blocks.feed("---\n")  # turns the paragraph into a setext heading
    assert [b.tokens[0].tag for b in blocks.take_final()] == ["h2"]
    blocks.feed("tail without newline")
    assert blocks.live_source() == "tail without newline"
    assert [b.kind for b in blocks.take_final(everything=True)] == ["paragraph_open"]


# -- the plain sink ---------------------------------------------------------------------------


def test_plain_sink_writes_raw_chunks_and_flushes_each() -> None:
    file = FlushRecorder()
    sink = PlainSink(file)
    chunks = random_chunks(DOC, 11)
    for chunk in chunks:
        sink.feed(chunk)
    assert file.getvalue() == DOC
    assert file.flushed_at == list(itertools.accumulate(len(c) for c in chunks))
    sink.finish()
    sink.finish()
    assert file.getvalue() == DOC + "\n"
    assert "\x1b" not in file.getvalue()
    assert sink.text == DOC


def test_plain_sink_finish_and_abort() -> None:
    file = io.StringIO()
    sink = PlainSink(file)
    sink.feed("done\n")
    sink.finish()
    assert file.getvalue() == "done\n"

    file = io.StringIO()
    sink = PlainSink(file)
    sink.feed("partial")
    sink.abort("[interrupted]")
    assert file.getvalue() == "partial\n[interrupted]\n"

    file = io.StringIO()
    PlainSink(file).finish()
    assert file.getvalue() == ""


def test_make_sink() -> None:
    console = make_console()
    plain_sink = make_sink(console, markdown=False)
    assert isinstance(plain_sink, PlainSink)
    plain_sink.feed("**x**")
    plain_sink.finish()
    assert output(console) == "**x**\n"
    markdown_sink = make_sink(make_console(), markdown=True)
    assert isinstance(markdown_sink, VisibleSink)  # a terminal never gets the answer's control characters
    assert isinstance(markdown_sink, AnswerSink) and isinstance(plain_sink, AnswerSink)


def test_a_link_shows_its_target_instead_of_hiding_it_behind_an_osc_8_link():
    """A model's ``[docs.python.org](https://evil.example/x)`` must not become a terminal hyperlink whose target
    the reader cannot see: the target is printed, no OSC 8 sequence is written."""
    console, _ = stream(random_chunks("see [docs.python.org](https://evil.example/x) now\n", seed=3))
    shown = output(console)
    assert "\x1b]8" not in shown
    assert "https://evil.example/x" in shown
