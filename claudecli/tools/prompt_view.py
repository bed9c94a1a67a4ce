"""How a model's tool arguments are shown in the approval question: honestly, and never taller than the screen.

The arguments are untrusted (issue 13): a ``run_command`` of ``rm -rf ~``, five thousand spaces and ``echo
hello`` must not scroll the dangerous start and the tool's name off screen, leaving only the harmless tail next
to "Run it?". Both prompts (``ask`` on /dev/tty, ``chat`` in prompt-toolkit) render through :func:`arguments_view`:

- a character that is not plainly visible is shown as an escape (``\\n``, ``\\t``, ``\\u001b``, ``\\u202e``, a
  no-break space, a zero-width joiner…), and so are ``⟨`` and ``⟩``, the brackets of this view's own notes, so
  the model cannot forge a note;
- a run of :data:`BLANK_RUN` or more blank characters becomes one note (``⟨5,000 spaces⟩``);
- each argument gets a share of at most ``max_rows`` rows, each row at most ``width`` cells, so the terminal
  never wraps them; an argument that needs more shows its start AND its end with a note of how many characters
  are hidden between them (the end of a command is as telling as its start);
- past ``(max_rows - 1) // 3`` arguments, the rest are counted in a note.

The prompt then says the input was shortened and how to see all of it (:func:`footer`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CHOICES = (
    "[y]es / [n]o / [a]lways this tool this run / [e]dit args"  # the question's answers, ask and chat alike
)
LONG_BODY = 8  # more argument rows than this: the tool's name is repeated above the question
BLANK_RUN = 12
MAX_ROWS = 16
MIN_WIDTH = 40
MAX_WIDTH = 200
MIN_ROWS = 4
INDENT = "    "
KEY_CELLS = 20
_NOTE_OPEN, _NOTE_CLOSE = "⟨", "⟩"
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_MARKS = frozenset({"Mn", "Me"})
_BLANK_NAMES = {" ": "spaces", "\n": "newlines", "\t": "tabs"}


@dataclass(frozen=True)
class Token:
    """One piece of the view: its text as shown, its width in cells, and the source characters it stands for."""

    text: str
    cells: int
    start: int
    end: int


@dataclass(frozen=True)
class ArgumentsView:
    """The rows to print (none wider than the width asked for), and what they leave out."""

    rows: tuple[str, ...]
    hidden_chars: int = 0
    hidden_arguments: int = 0

    @property
    def shortened(self) -> bool:
        return bool(self.hidden_chars or self.hidden_arguments)

    @property
    def needs_footer(self) -> bool:
        """Whether the tool's name must be repeated above the question (:func:`footer`)."""
        return self.shortened or len(self.rows) > LONG_BODY


def screen_budget(columns: int, lines: int) -> tuple[int, int]:
    """The width and the number of argument rows for a screen of ``columns`` x ``lines``: room is left for the
    header, the repeated header and the question (and a line or two the terminal already shows)."""
    width = max(MIN_WIDTH, min(MAX_WIDTH, columns - 1))
    return width, max(MIN_ROWS, min(MAX_ROWS, lines - 8))


def arguments_view(
    arguments: object, *, width: int, max_rows: int = MAX_ROWS, schema: object = None
) -> ArgumentsView:
    """``arguments`` (a tool call's input) as at most ``max_rows`` rows of at most ``width`` cells; with the
    tool's input ``schema``, its required then declared properties come first (see :func:`ordered_items`)."""
    width, max_rows = max(MIN_WIDTH, width), max(MIN_ROWS, max_rows)
    items = ordered_items(arguments, schema) if isinstance(arguments, dict) else [("input", arguments)]
    if not items:
        return ArgumentsView(("  (no arguments)",))
    shown_count = min(len(items), max(1, max_rows // 3))
    if shown_count < len(items):
        shown_count = max(1, (max_rows - 1) // 3)
    budget = max_rows - (1 if shown_count < len(items) else 0)
    values = [_Value(key, value, width) for key, value in items[:shown_count]]
    shares = _allot([value.rows_needed(budget + 1) for value in values], budget)
    rows: list[str] = []
    hidden = 0
    for value, share in zip(values, shares, strict=True):
        value_rows, value_hidden = value.render(share)
        rows.extend(value_rows)
        hidden += value_hidden
    more = len(items) - shown_count
    if more:
        rows.append(f"  {_NOTE_OPEN}{more:,} more argument{'s' if more != 1 else ''} not shown{_NOTE_CLOSE}")
    return ArgumentsView(tuple(rows), hidden, more)


def ordered_items(arguments: dict[str, Any], schema: object) -> list[tuple[str, Any]]:
    """The arguments, the schema's required properties first, then its other declared ones, then the rest.

    The model chooses the order of the keys: five junk keys in front of ``command`` must not push the command
    itself into "more arguments not shown" (a tool that ignores unknown keys would still run it).
    """
    properties = schema.get("properties") if isinstance(schema, dict) else None
    declared = list(properties) if isinstance(properties, dict) else []
    required = schema.get("required") if isinstance(schema, dict) else None
    first = [key for key in required if isinstance(key, str)] if isinstance(required, list) else []
    rank = {key: index for index, key in enumerate(dict.fromkeys([*first, *declared]))}
    return sorted(arguments.items(), key=lambda item: rank.get(item[0], len(rank)))


def footer(name: str, view: ArgumentsView, see_all: str) -> str:
    """The line printed again right above the question when the arguments are long: which tool, and whether
    part of its input is not on screen (``see_all`` says how to see it)."""
    head = f"↑ {one_line(name, 64)}"
    if not view.shortened:
        return head
    parts = []
    if view.hidden_chars:
        parts.append(f"{view.hidden_chars:,} characters")
    if view.hidden_arguments:
        parts.append(f"{view.hidden_arguments:,} arguments")
    return f"{head}: its input was shortened above ({' and '.join(parts)} not shown); {see_all}"


def one_line(text: str, cells: int) -> str:
    """``text`` escaped and shortened to one row of at most ``cells`` cells (start…end)."""
    return _one_line_cut(text, cells)[0]


def _one_line_cut(text: str, cells: int) -> tuple[str, int]:
    """:func:`one_line`, and how many characters of ``text`` the "…" stands for."""
    cells = max(8, cells)
    tokens, done = _fill(_forward(text, quoted=False), [cells], 1)
    if done:
        return (_join(tokens[0]) if tokens else ""), 0
    half = (cells - cell_width("…")) // 2
    head, _ = _fill(_forward(text, quoted=False), [half], 1)
    end = head[0][-1].end if head and head[0] else 0
    tail = _fill_backward(_backward(text, quoted=False, stop=end), cells - cell_width("…") - half, 1)
    start = tail[0][0].start if tail and tail[0] else len(text)
    return _join(head[0] if head else []) + "…" + _join(tail[0] if tail else []), max(0, start - end)


def visible_json(value: Any) -> str:
    """``value`` as one line of JSON with every character that is not plainly visible escaped (``\\uXXXX``),
    so it is still valid JSON a person can copy; nothing is shortened."""
    return re.sub(r"[^\x20-\x7e]", _json_escape, _dumps(value))


class _Value:
    """One argument: ``"key": value``, laid out in rows."""

    def __init__(self, key: object, value: object, width: int) -> None:
        self.quoted = isinstance(value, str)
        self.text = value if isinstance(value, str) else _dumps(value)
        # a long key is cut to start…end, so two may look alike: what the cut hides counts as shortened
        shown_key, self.key_hidden = _one_line_cut(str(key), KEY_CELLS)
        self.prefix = f'  "{shown_key}": '
        self.widths = [max(1, width - cell_width(self.prefix)), width - len(INDENT)]

    def _row_widths(self) -> Iterator[int]:
        yield self.widths[0]
        while True:
            yield self.widths[1]

    def rows_needed(self, cap: int) -> int:
        rows, done = _fill(self._tokens(), self._row_widths(), cap)
        return len(rows) if done else cap

    def render(self, share: int) -> tuple[list[str], int]:
        """At most ``share`` rows (at least 3 when it does not fit) and the source characters they hide."""
        rows, done = _fill(self._tokens(), self._row_widths(), share)
        if done:
            return self._lay_out(rows), self.key_hidden
        head_rows = share - 1 - (share - 1) // 2
        head, _ = _fill(self._tokens(), self._row_widths(), head_rows)
        head_end = max((token.end for row in head for token in row), default=0)
        tail = _fill_backward(
            _backward(self.text, self.quoted, head_end), self.widths[1], max(1, (share - 1) // 2)
        )
        tail_start = min((token.start for row in tail for token in row), default=len(self.text))
        hidden = max(0, tail_start - head_end)
        note = [Token(f"{_NOTE_OPEN}{hidden:,} characters hidden{_NOTE_CLOSE}", 0, 0, 0)]
        return self._lay_out([*head, note, *tail]), hidden + self.key_hidden

    def _tokens(self) -> Iterator[Token]:
        return _forward(self.text, self.quoted)

    def _lay_out(self, rows: list[list[Token]]) -> list[str]:
        if not rows:
            return [self.prefix.rstrip()]
        return [self.prefix + _join(rows[0]), *(INDENT + _join(row) for row in rows[1:])]


def _allot(needs: list[int], budget: int) -> list[int]:
    """Rows per argument: the small ones get what they need, the big ones share the rest evenly."""
    shares = [0] * len(needs)
    left = budget
    for position, index in enumerate(sorted(range(len(needs)), key=needs.__getitem__)):
        shares[index] = min(needs[index], left // (len(needs) - position))
        left -= shares[index]
    return shares


def _fill(
    tokens: Iterator[Token], widths: Iterator[int] | list[int], max_rows: int
) -> tuple[list[list[Token]], bool]:
    """Tokens into rows (each within its width) until ``max_rows`` are full; True when every token fitted."""
    width_of = iter(widths)
    rows: list[list[Token]] = []
    row: list[Token] = []
    room = next(width_of, 0)
    for token in tokens:
        if token.cells > room and row:
            rows.append(row)
            if len(rows) == max_rows:
                return rows, False
            row, room = [], next(width_of, room)
        if token.cells > room:  # a token wider than an empty row (a narrow first row): the next row
            rows.append(row)
            if len(rows) == max_rows:
                return rows, False
            room = next(width_of, room)
        row.append(token)
        room -= token.cells
    if row or not rows:
        rows.append(row)
    return rows, len(rows) <= max_rows


def _fill_backward(tokens: Iterator[Token], width: int, max_rows: int) -> list[list[Token]]:
    """Tokens taken from the end into rows of ``width``, last row first filled, until ``max_rows`` are full."""
    rows: list[list[Token]] = []
    row: list[Token] = []
    room = width
    for token in tokens:
        if token.cells > room:
            rows.append(row)
            if len(rows) == max_rows:
                break
            row, room = [], width
        row.insert(0, token)
        room -= token.cells
    else:
        if row:
            rows.append(row)
    return [row for row in reversed(rows) if row]


def _forward(text: str, quoted: bool) -> Iterator[Token]:
    if quoted:
        yield Token('"', 1, 0, 0)
    index = 0
    while index < len(text):
        end = _blank_end(text, index)
        if end - index >= BLANK_RUN:
            yield _blank_note(text, index, end)
            index = end
            continue
        yield _char(text, index, quoted)
        index += 1
    if quoted:
        yield Token('"', 1, len(text), len(text))


def _backward(text: str, quoted: bool, stop: int) -> Iterator[Token]:
    """Tokens from the end of ``text`` back to ``stop`` (the end of what the head shows)."""
    if quoted:
        yield Token('"', 1, len(text), len(text))
    index = len(text)
    while index > stop:
        start = index
        while start > stop and text[start - 1].isspace():
            start -= 1
        if index - start >= BLANK_RUN:
            yield _blank_note(text, start, index)
            index = start
            continue
        yield _char(text, index - 1, quoted)
        index -= 1
    if quoted and stop == 0:
        yield Token('"', 1, 0, 0)


def _blank_end(text: str, index: int) -> int:
    end = index
    while end < len(text) and text[end].isspace():
        end += 1
    return end


def _blank_note(text: str, start: int, end: int) -> Token:
    run = text[start:end]
    kinds = set(run)
    name = _BLANK_NAMES.get(run[0], "blank characters") if len(kinds) == 1 else "blank characters"
    shown = f"{_NOTE_OPEN}{end - start:,} {name}{_NOTE_CLOSE}"
    return Token(shown, cell_width(shown), start, end)


def _char(text: str, index: int, quoted: bool) -> Token:
    shown = _shown_char(text, index, quoted)
    return Token(shown, cell_width(shown), index, index + 1)


def _shown_char(text: str, index: int, quoted: bool) -> str:
    char = text[index]
    if quoted and char in '"\\':
        return "\\" + char
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if " " <= char <= "~":
        return char
    if char in (_NOTE_OPEN, _NOTE_CLOSE) or _needs_escape(char, text, index):
        code = ord(char)
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def _needs_escape(char: str, text: str, index: int) -> bool:
    category = unicodedata.category(char)
    if category in _HIDDEN_CATEGORIES:
        return True
    # Combining marks: two on a letter are language; a pile of them draws over the rows around it.
    return (
        category in _MARKS
        and index >= 2
        and all(unicodedata.category(c) in _MARKS for c in text[index - 2 : index])
    )


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes; wide and ambiguous characters count 2, marks 0 (never under-counts)."""
    cells = 0
    for char in text:
        if " " <= char <= "~":
            cells += 1
        elif char == "\ufe0f" or "\U0001f1e6" <= char <= "\U0001f1ff":
            cells += 1 if char == "\ufe0f" else 2  # emoji presentation widens the character before it; flags
        elif unicodedata.category(char) in _MARKS:
            continue
        else:
            cells += 2 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 1
    return cells


def _join(tokens: list[Token]) -> str:
    return "".join(token.text for token in tokens)


def _dumps(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):  # nested too deep for json: say so rather than fail
        return f"({type(value).__name__} nested too deeply to show)"


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char != "\x7f" and not _needs_escape(char, "", 0):
        return char
    data = char.encode("utf-16-be", errors="surrogatepass")
    return "".join(f"\\u{int.from_bytes(data[i : i + 2], 'big'):04x}" for i in range(0, len(data), 2))
