"""Tables print user text (tags, names, model ids) literally, never as rich markup."""

from __future__ import annotations

import io

from claudecli.core.config import load_settings
from claudecli.core.context import AppContext, OutputMode, make_console
from claudecli.render.table import Column, fit_layout, print_table, table_lines


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


COLUMNS = (
    Column("name", truncate_to=6),
    Column("id"),
    Column("cost", numeric=True),
    Column("cache write 5m", numeric=True, short="5m"),
    Column("model", drop_order=1),
    Column("tokens", numeric=True, drop_order=2),
    Column("source", drop_order=2),
)
ROW = ["a long session name", "3820659b8f8d", "$0.000056", "$5", "claude-sonnet-5-5", "1,234", "genai-prices"]


def test_a_wide_enough_width_shows_every_column_whole():
    layout = fit_layout(COLUMNS, [ROW], 200)
    assert layout.dropped == () and table_lines(COLUMNS, [ROW], layout)[1].split("  ")[0] == ROW[0]
    assert fit_layout(COLUMNS, [ROW]) == layout  # no width: a pipe, every column at its natural width


def test_narrowing_cuts_free_text_first_then_abbreviates_then_drops_in_order():
    natural = fit_layout(COLUMNS, [ROW]).width
    cut = fit_layout(COLUMNS, [ROW], natural - 5)
    assert cut.dropped == () and cut.headers[3] == "cache write 5m"
    assert table_lines(COLUMNS, [ROW], cut)[1].startswith("a long sessio…  3820659b8f8d")
    short = fit_layout(COLUMNS, [ROW], natural - 25)
    assert short.dropped == () and "5m" in short.headers
    one = fit_layout(COLUMNS, [ROW], 60)
    assert one.dropped == ("model",) and one.width <= 60
    two = fit_layout(COLUMNS, [ROW], 40)
    assert two.dropped == ("model", "tokens", "source")  # one drop order goes together
    assert two.width <= 40
    name, *rest = table_lines(COLUMNS, [ROW], two)[1].split("  ")
    assert name.startswith("a long") and name.endswith("…") and rest == ["3820659b8f8d", "$0.000056", "$5"]


def test_ids_and_amounts_are_never_cut_even_when_nothing_fits():
    layout = fit_layout(COLUMNS, [ROW], 20)
    line = table_lines(COLUMNS, [ROW], layout)[1]
    assert "3820659b8f8d" in line and "$0.000056" in line and len(line) > 20
