"""Tables on stdout: a rich table on a colour terminal; aligned plain text (no box drawing, no escape codes,
no wrapping) when stdout is piped or ``--plain`` is given, so ``grep``/``awk``/``cut -c`` work on it.
In plain mode a table's title goes to stderr as a note: stdout holds only the header line and the rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False  # right-aligned


def print_table(
    app_ctx: AppContext,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    footer: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` (already formatted strings) under ``columns``; ``footer`` is a totals row."""
    if app_ctx.markdown:
        _rich_table(app_ctx, columns, rows, title, footer)
    else:
        if title:
            app_ctx.note(title)  # stdout keeps only the header and the rows
        app_ctx.stdout.file.write(plain_table(columns, rows, footer=footer))
        app_ctx.stdout.file.flush()


def plain_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    footer: Sequence[str] | None = None,
) -> str:
    body = [list(row) for row in rows] + ([list(footer)] if footer else [])
    widths = [max([len(col.header)] + [len(row[i]) for row in body]) for i, col in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if col.numeric else cell.ljust(width)
            for cell, width, col in zip(cells, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines = [title] if title else []
    lines.append(line([col.header for col in columns]))
    lines += [line(row) for row in rows]
    if footer:
        lines.append(line(footer))
    return "\n".join(lines) + "\n"


def _rich_table(
    app_ctx: AppContext,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    title: str | None,
    footer: Sequence[str] | None,
) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    # Cells hold user text (tags, session names, model ids): Text() keeps "[draft]" from being read as markup.
    table = Table(
        title=Text(title) if title else None,
        box=box.SIMPLE_HEAD,
        show_footer=footer is not None,
        title_justify="left",
    )
    for index, col in enumerate(columns):
        table.add_column(
            Text(col.header),
            justify="right" if col.numeric else "left",
            footer=Text(footer[index]) if footer else "",
            no_wrap=True,
        )
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    app_ctx.stdout.print(table)
