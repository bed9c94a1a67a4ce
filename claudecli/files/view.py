"""How files are shown: one table for lists and uploads (fitted to the terminal by ``render.table``'s rule),
key/value lines for one file, and the ``--json`` objects."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from claudecli.core.controls import escaped
from claudecli.files.info import FileInfo, size_label, when_label
from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

# Ids, sizes and dates are never cut; the name is free text; on 80 columns the creation time, then the type go.
COLUMNS = (
    Column("ID"),
    Column("NAME", truncate_to=12),
    Column("TYPE", drop_order=2, truncate_to=10),
    Column("SIZE", numeric=True),
    Column("CREATED", drop_order=1),
    Column("DOWNLOADABLE", short="DL", drop_order=3),
)


def shown(text: str) -> str:
    """``text`` from the API with control and format characters written as escapes: a file name must not
    move the cursor, recolour the terminal or reverse the text around it."""
    return "".join(escaped(ch) if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def row(info: FileInfo) -> list[str]:
    return [
        info.id,
        shown(info.filename),
        shown(info.mime_type),
        size_label(info.size_bytes),
        when_label(info.created_at),
        "yes" if info.downloadable else "no",
    ]


def print_files(app_ctx: AppContext, files: Sequence[FileInfo], *, title: str | None = None) -> None:
    print_table(app_ctx, COLUMNS, [row(info) for info in files], title=title)


def print_one(app_ctx: AppContext, info: FileInfo) -> None:
    """``key  value`` lines on stdout, one fact each (greppable; names are literal text, never markup)."""
    facts = [
        ("id", info.id),
        ("filename", shown(info.filename)),
        ("type", shown(info.mime_type)),
        ("size", f"{size_label(info.size_bytes)} ({info.size_bytes:,} bytes)"),
        ("created", when_label(info.created_at)),
        ("expires", when_label(info.expires_at) if info.expires_at else "never"),
        ("downloadable", "yes" if info.downloadable else "no (only files a tool created can be downloaded)"),
    ]
    width = max(len(key) for key, _ in facts)
    for key, value in facts:
        app_ctx.stdout.print(Text(f"{key:<{width}}  {value}"), soft_wrap=True)
