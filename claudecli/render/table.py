"""Tables: fitted to the width of a terminal, or plain and whole when piped.

* On a terminal (a colour one, or ``--plain``/``NO_COLOR`` at a tty) a table is fitted to the screen width by
  one rule, the same for every table: first free-text columns (``truncate_to``) are cut down with ``…``, then
  headers are abbreviated (``short``), then low-value columns are dropped (``drop_order`` 1 first, then 2...)
  until the rows fit; a note on stderr names the dropped columns. Every other cell (ids, money, counts,
  dates) is never cut: if a table still does not fit, its rows are longer than the screen and the terminal
  wraps them, but nothing is lost.
* Piped (or written to a file), a table is plain: aligned text, no box drawing, no escape codes, every
  column, one row per line and never wrapped whatever ``COLUMNS`` says, so ``grep``/``awk``/``cut`` work.
  The title then goes to stderr as a note: stdout holds only the header line and the rows.

Cells are literal text (tags, session names, model ids): never read as rich markup, and their control
characters are shown escaped (``core.controls.visible``), piped or not: a role's description or a batch's name
could otherwise retitle the terminal, or, with an escape sequence left open, swallow the rest of the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.cells import cell_len

from claudecli.core.controls import is_tty, visible

if TYPE_CHECKING:
    from rich.console import Console

    from claudecli.core.context import AppContext

GAP = 2  # spaces between two columns
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False  # right-aligned
    drop_order: int | None = None  # None: always shown; on a narrow terminal 1 goes first, then 2...
    truncate_to: int | None = None  # None: never cut (ids, money); N: free text, may be cut down to N cells
    short: str | None = None  # the header on a narrow terminal


@dataclass(frozen=True)
class Layout:
    """Which columns a table shows, under which headers, how wide."""

    shown: tuple[int, ...]  # indexes into the columns
    headers: tuple[str, ...]
    widths: tuple[int, ...]
    dropped: tuple[str, ...] = ()  # headers of the columns left out

    @property
    def width(self) -> int:
        return sum(self.widths) + GAP * max(len(self.widths) - 1, 0)


def fit_layout(columns: Sequence[Column], body: Sequence[Sequence[str]], width: int | None = None) -> Layout:
    """The layout of ``body`` (rows and footer) under ``columns`` in ``width`` cells (None: no limit)."""
    cells = [[row[index] for row in body] for index in range(len(columns))]
    every = list(range(len(columns)))
    full = [col.header for col in columns]
    whole = _layout(columns, cells, full, every, None)
    if width is None or whole.width <= width:
        return whole
    cut_down = _layout(columns, cells, full, every, width)  # free text cut, every column kept
    if cut_down.width <= width:
        return cut_down
    short = [col.short or col.header for col in columns]
    shown = list(every)
    for order in sorted({col.drop_order for col in columns if col.drop_order is not None}):
        if _layout(columns, cells, short, shown, width).width <= width:
            break
        shown = [i for i in shown if columns[i].drop_order != order]  # one order's columns go together
    return _layout(columns, cells, short, shown, width)


def _layout(
    columns: Sequence[Column],
    cells: Sequence[Sequence[str]],
    headers: Sequence[str],
    shown: Sequence[int],
    width: int | None,
) -> Layout:
    """``shown`` at their natural widths (``width`` None), or with free text cut to fit in ``width``."""
    natural = [max([cell_len(headers[i]), *(cell_len(cell) for cell in cells[i])]) for i in shown]
    widths = list(natural)
    if width is not None:
        widths = [_minimum(columns[i], headers[i], want) for i, want in zip(shown, natural, strict=True)]
        spare = width - sum(widths) - GAP * max(len(shown) - 1, 0)
        for position, want in enumerate(natural):  # give the spare cells back, left to right
            extra = min(max(spare, 0), want - widths[position])
            widths[position] += extra
            spare -= extra
    dropped = tuple(col.header for i, col in enumerate(columns) if i not in shown)
    return Layout(tuple(shown), tuple(headers[i] for i in shown), tuple(widths), dropped)


def _minimum(column: Column, header: str, natural: int) -> int:
    """The narrowest a column may be: its natural width, unless it is free text that may be cut."""
    if column.truncate_to is None:
        return natural
    return min(natural, max(cell_len(header), column.truncate_to))


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: cut with ``…`` when longer."""
    if cell_len(text) <= width:
        return text
    kept = text
    while kept and cell_len(kept) > width - 1:
        kept = kept[:-1]
    return kept + ELLIPSIS


def _align(text: str, width: int, numeric: bool) -> str:
    padding = " " * max(width - cell_len(text), 0)
    return padding + text if numeric else text + padding


def table_lines(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    layout: Layout,
    footer: Sequence[str] | None = None,
) -> list[str]:
    """The header line, the rows and the footer under ``layout``, each line without trailing spaces."""

    def line(cells: Sequence[str]) -> str:
        parts = [
            _align(cut(cells[index], width), width, columns[index].numeric)
            for index, width in zip(layout.shown, layout.widths, strict=True)
        ]
        return (" " * GAP).join(parts).rstrip()

    header = {index: text for index, text in zip(layout.shown, layout.headers, strict=True)}
    lines = [line([header.get(index, "") for index in range(len(columns))])]
    lines += [line(row) for row in rows]
    if footer:
        lines.append(line(footer))
    return lines


def _on_terminal(console: Console, styled: bool) -> bool:
    return styled or is_tty(console.file)


def write_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    styled: bool,
    footer: Sequence[str] | None = None,
) -> Layout:
    """Write the table on ``console``: fitted to it when it is a terminal, whole otherwise."""
    rows = [[cell_text(cell) for cell in row] for row in rows]
    footer = [cell_text(cell) for cell in footer] if footer else footer
    body = [*rows, *([footer] if footer else [])]
    layout = fit_layout(columns, body, console.width if _on_terminal(console, styled) else None)
    lines = table_lines(columns, rows, layout, footer)
    if not styled:
        console.file.write("\n".join(lines) + "\n")
        console.file.flush()
        return layout
    from rich.text import Text

    rule = Text("─" * layout.width, style="dim")
    for index, text in enumerate(lines):
        is_footer = footer is not None and index == len(lines) - 1
        line = Text(text, style="bold" if index == 0 or is_footer else "")
        # soft_wrap: rich neither cuts nor wraps the row; only a table that cannot fit is wrapped by the terminal
        console.print(line, soft_wrap=True)
        if index == 0:
            console.print(rule, soft_wrap=True)
    return layout


def cell_text(cell: str) -> str:
    """A cell (or any field shown in a row of its own, as ``models show`` does) as one line of the row: controls escaped, and a newline or tab too (a tag ``"a\\nb"`` must not
    split its row in two nor pass for another row)."""
    return visible(cell).replace("\n", "\\n").replace("\t", "\\t")


def print_table(
    app_ctx: AppContext,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    footer: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` (already formatted strings) under ``columns`` on stdout; ``footer`` is a totals row. Cells
    are masked before the columns are measured: stdout would mask a secret anyway, after the padding."""
    rows = [[app_ctx.scrub(cell) for cell in row] for row in rows]
    footer = [app_ctx.scrub(cell) for cell in footer] if footer else footer
    styled = app_ctx.markdown
    if title and styled:
        from rich.text import Text

        app_ctx.stdout.print(Text(title))
    elif title:
        app_ctx.note(title)  # stdout keeps only the header and the rows
    layout = write_table(app_ctx.stdout, columns, rows, styled=styled, footer=footer)
    if layout.dropped:
        app_ctx.note(dropped_note(layout))


def dropped_note(layout: Layout) -> str:
    return f"narrow terminal: {', '.join(layout.dropped)} not shown (a pipe gets every column)"
