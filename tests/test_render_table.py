"""Tables print user text (tags, names, model ids) literally, never as rich markup."""

from __future__ import annotations

import io

from claudecli.core.config import load_settings
from claudecli.core.context import AppContext, OutputMode, make_console
from claudecli.render.table import Column, print_table


def test_user_text_that_looks_like_markup_is_printed_as_is(base_env):
    out = io.StringIO()
    app_ctx = AppContext.create(load_settings(), stdout=io.StringIO(), stderr=io.StringIO(), environ={})
    app_ctx.stdout = make_console(out, styled=True)
    app_ctx.mode = OutputMode.RICH
    rows = [["[/x]", "1"], ["[draft] plan", "2"], ["[bold]b[/bold]", "3"]]
    print_table(
        app_ctx, [Column("tag"), Column("calls", numeric=True)], rows, title="[by tag]", footer=["[all]", "6"]
    )
    text = out.getvalue()
    for literal in ("[/x]", "[draft] plan", "[bold]b[/bold]", "[by tag]", "[all]"):
        assert literal in text
