"""`cost report --by tag` on an 80-column screen: a long tag is cut with "…", never the row wrapped; a tag with
a newline stays on its row.

The group column was never cut, so one 43-character tag pushed the table past 80 columns and the terminal
wrapped every row ("sav" / "ed"); a tag holding a newline split its row in two. Real CLI in tmux, real fake API.
"""

from __future__ import annotations

import sys

import pytest

from tests import screen
from tests.screen import start, wait_for

session = screen.session

LONG_TAG = "tag-sonnet-with-a-very-long-name-indeed-yes"
NEWLINE_TAG = "two\nlines"


@pytest.fixture
def tagged(cli_env, run_cli) -> None:
    for tag in (LONG_TAG, NEWLINE_TAG):
        assert run_cli("ask", "--tag", tag, "[[words:3]]").exit_code == 0


@pytest.mark.pty
@screen.needs_tmux
def test_a_long_tag_is_cut_not_wrapped_at_80_columns(tagged, session):
    start(session, [sys.executable, "-m", "claudecli", "cost", "report", "--by", "tag"], width=80, height=30)
    shown = wait_for(session, "total", timeout=30)
    rows = [line.rstrip() for line in shown.splitlines() if line.strip()]
    assert not [line for line in rows if len(line) > 80], shown
    assert any(line.startswith(LONG_TAG[:10]) and "…" in line for line in rows), shown
    assert any(line.startswith("two\\nlines") for line in rows), shown
    assert not any(line.startswith("lines") for line in rows), shown


def test_piped_the_tag_is_whole_and_on_one_line(tagged, run_cli):
    result = run_cli("cost", "report", "--by", "tag")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert any(line.startswith(LONG_TAG + " ") for line in lines), result.stdout
    assert any(line.startswith("two\\nlines ") for line in lines), result.stdout
    assert len(lines) == 1 + 2 + 1  # header, two tags, total
