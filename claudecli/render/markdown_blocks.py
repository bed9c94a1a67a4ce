"""Incremental splitting of a streamed Markdown document into top-level blocks.

The streaming renderer (:mod:`claudecli.render.stream`) prints every top-level block once,
as soon as nothing that may still arrive can change it.  For that it needs to know where
markdown-it, configured exactly like :class:`rich.markdown.Markdown` configures it, puts
the block boundaries, and which blocks are settled.

Settled blocks: CommonMark parses block structure line by line and never reopens a
block once a later line has closed it, so in a parse of the complete lines received so
far every top-level block except the last one is final.  That one rule covers the tricky
cases: an unclosed fence runs to the end of the input (it is always last), a loose list
swallows blank lines and later items (it is last until a following block starts), a
table can grow rows and a paragraph can grow lines or turn into a setext heading (last).
The last block is final early only when it cannot be continued: a heading, a thematic
break or a fence whose closing fence has arrived.

Only the region after the last final block (the *tail*) is ever parsed again, so the
total parsing work stays proportional to the length of the answer.

Known differences from rendering the whole text at once:

* Link reference definitions (``[x]: https://...``) only apply to blocks finalised after
  the definition arrived; a reference used *before* its definition (legal in Markdown)
  is shown literally if its block was already printed.  rich's parser enables no
  footnote plugin, so footnotes render literally in both cases.
* rich leaks the style of an unclosed ``<kbd>`` into later blocks of the same document;
  the leak stops at the end of each printed batch here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.markdown import Markdown, UnknownElement

__all__ = ["Block", "BlockStream", "make_parser", "markdown_from_tokens"]

# A token type rich does not know: it renders as an UnknownElement, i.e. nothing, and leaves
# rich's "blank line before the next block" flag set, exactly like a preceding paragraph.
_SPACER_TYPE = "claudecli_spacer"


# Blocks whose preview may be cut to head + last lines: (top-level token type) -> head lines.
_PREVIEW_HEAD_LINES = {"fence": 1, "table_open": 2}


def make_parser() -> MarkdownIt:
    """A markdown-it parser configured like the one inside ``rich.markdown.Markdown``."""
    return MarkdownIt().enable("strikethrough").enable("table")


def markdown_from_tokens(tokens: list[Token], *, after_blank: bool, code_theme: str) -> Markdown:
    """A rich ``Markdown`` renderable for already parsed top-level ``tokens``.

    ``after_blank`` tells whether rich, rendering the whole document, would separate these
    blocks from the previous ones by a blank line (see :attr:`Block.new_line`).  rich
    decides that with a flag that it carries from one element to the next; a fresh
    ``Markdown`` starts with the flag cleared, so a spacer token sets it first.  That
    reproduces rich's spacing exactly, including its quirks (a list or table is always
    preceded by a blank line, even at the top of the document).
    """
    # hyperlinks=False: a link prints as "text (url)"; an OSC 8 link would hide its target behind its text
    markdown = Markdown("", code_theme=code_theme, hyperlinks=False)
    markdown.parsed = [Token(_SPACER_TYPE, "", 0), *tokens] if after_blank else list(tokens)
    return markdown


def _new_line_after(token: Token) -> bool:
    """rich's ``new_line`` flag after rendering the top-level element opened by ``token``."""
    element_class = Markdown.elements.get(token.type) or UnknownElement
    return bool(element_class.new_line)


def _is_closing_fence(line: str, markup: str) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    stripped = stripped.rstrip(" \t")
    return len(stripped) >= len(markup) and stripped == markup[0] * len(stripped)


@dataclass(frozen=True, slots=True)
class Block:
    """One top-level block of the tail: its tokens and the lines it spans."""

    tokens: list[Token]
    start: int  # first line, relative to the current tail
    end: int  # one past the last line
    new_line: bool  # rich puts a blank line between this block and the next one
    complete: bool  # no line that may follow can change this block

    @property
    def kind(self) -> str:
        return self.tokens[0].type


def _split_blocks(tokens: list[Token], lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    index, count = 0, len(tokens)
    while index < count:
        first = tokens[index]
        stop = index + 1
        if first.nesting == 1:  # skip to the matching close at level 0
            while stop < count and not (tokens[stop].level == first.level and tokens[stop].nesting == -1):
                stop += 1
            stop += 1
        start, end = first.map if first.map else (0, len(lines))
        if first.type in ("heading_open", "hr"):
            complete = True
        elif first.type == "fence":
            complete = end - start >= 2 and _is_closing_fence(lines[end - 1], first.markup)
        else:
            complete = False
        blocks.append(Block(tokens[index:stop], start, end, _new_line_after(first), complete))
        index = stop
    return blocks


class BlockStream:
    """The unfinished end of a streamed Markdown document.

    :meth:`feed` appends text.  :meth:`take_final` returns the blocks that became final
    (in order, each exactly once) and forgets their source.  :meth:`live_source` is the
    Markdown source of everything not final yet, including the incomplete last line.
    """

    def __init__(self) -> None:
        self._md = make_parser()
        self._tail = ""  # complete lines ("\n"-terminated) after the last final block
        self._lines: list[str] = [""]  # self._tail.split("\n") as of the last parse
        self._partial = ""  # text after the last "\n"
        self._carriage_return = False  # the previous text ended with "\r"
        self._blocks: list[Block] = []  # blocks of self._tail as of the last parse
        self._dirty = False  # self._tail changed since the last parse
        self._references: dict[str, Any] = {}  # link reference definitions already dropped

    def feed(self, text: str) -> None:
        """Append ``text``; only the new text is scanned for line ends."""
        if self._carriage_return:
            text = "\r" + text
            self._carriage_return = False
        if "\r" in text:  # markdown-it normalises \r\n and a lone \r to \n
            if text.endswith("\r"):  # may be the first half of "\r\n"
                text = text[:-1]
                self._carriage_return = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        cut = text.rfind("\n") + 1
        if cut:
            self._tail = self._tail + self._partial + text[:cut]
            self._partial = text[cut:]
            self._dirty = True
        elif text:
            self._partial += text

    def take_final(self, *, everything: bool = False) -> list[Block]:
        """Blocks that became final since the last call (all that is left if ``everything``)."""
        if everything:
            if self._carriage_return:
                self._partial += "\n"
                self._carriage_return = False
            if self._partial:
                self._tail += self._partial
                self._partial = ""
                self._dirty = True
        if self._dirty:
            self._parse()
        blocks = self._blocks
        count = len(blocks) if everything or (blocks and blocks[-1].complete) else len(blocks) - 1
        if count <= 0:
            return []
        cut_line = blocks[count].start if count < len(blocks) else blocks[count - 1].end
        self._drop_lines(cut_line)
        self._blocks = [
            Block(b.tokens, b.start - cut_line, b.end - cut_line, b.new_line, b.complete)
            for b in blocks[count:]
        ]
        return blocks[:count]

    def live_source(self, max_lines: int | None = None) -> str:
        """Source of everything not final yet, including the incomplete last line.

        Call after :meth:`take_final`.  With ``max_lines``, a long unfinished fenced code
        block or table keeps only its head (opening fence; header and delimiter row) and its
        last ``max_lines`` lines: each of those renders to at least one row, so the bottom
        rows of a preview look the same, without rendering the whole block every frame.
        """
        if max_lines is not None and len(self._blocks) == 1 and not self._dirty:
            block = self._blocks[0]
            head = _PREVIEW_HEAD_LINES.get(block.kind, 0)
            if head and block.end - block.start - head > max_lines:
                lines = self._lines
                kept = [*lines[block.start : block.start + head], *lines[block.end - max_lines :]]
                return "\n".join(kept) + self._partial
        return self._tail + self._partial

    def preview_tokens(self, max_lines: int | None = None) -> list[Token]:
        """Parsed :meth:`live_source` (reusing the last parse when the text is the same)."""
        source = self.live_source(max_lines)
        if source == self._tail and not self._dirty:
            return [token for block in self._blocks for token in block.tokens]
        return self._md.parse(source, self._env())

    def _env(self) -> dict[str, Any]:
        return {"references": dict(self._references)} if self._references else {}

    def _parse(self) -> None:
        tokens = self._md.parse(self._tail, self._env())
        self._lines = self._tail.split("\n")
        self._blocks = _split_blocks(tokens, self._lines)
        self._dirty = False

    def _drop_lines(self, count: int) -> None:
        lines = self._lines
        if count >= len(lines) - 1:
            dropped, self._tail, self._lines = self._tail, "", [""]
        else:
            offset = sum(map(len, lines[:count])) + count
            dropped, self._tail, self._lines = self._tail[:offset], self._tail[offset:], lines[count:]
        if "]:" in dropped:  # keep link reference definitions for the blocks still to come
            env: dict[str, Any] = {"references": self._references}
            self._md.block.parse(dropped, self._md, env, [])
