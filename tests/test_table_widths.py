"""Every table reads well on an 80-column terminal and a 200-column one, and is whole and unwrapped when piped.

On a screen (tmux, read back with capture-pane): no row is wider than the screen, and every cell shown is the
piped table's cell in full, except a free-text name cut with "…"; columns left out are named in a note. Piped,
whatever COLUMNS says: every column, one row per line.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from claudecli.chat.repl import handle_line
from claudecli.chat.session_store import SessionStore
from claudecli.chat.state import ChatState
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from tests import screen
from tests.screen import start, wait_for

session = screen.session  # the fixture: a tmux session name

LONG_SESSION = "planning the migration of the reporting database"
BATCH_NAME = "nightly-summaries-of-reports"
TABLES = {  # the command, and the --json command that counts its rows
    "models": ("models",),
    "cost report": ("cost", "report"),
    "cost prices": ("cost", "prices"),
    "cost budget": ("cost", "budget"),
    "cost estimate": ("cost", "estimate", "-m", "opus", "-m", "haiku", "hello"),
    "chat --list": ("chat", "--list"),
    "batch list": ("batch", "list"),
    "batch status": ("batch", "status", BATCH_NAME),
}
ELASTIC = {"name", "NAME"}  # free text that may be cut with "…" on a narrow screen
CELL_GAP = re.compile(r" {2,}")


@pytest.fixture
def history(cli_env, run_cli, tmp_path: Path) -> None:
    """Calls in the ledger, two chat sessions (one with a long name), a named batch."""
    for model in ("opus", "sonnet", "haiku"):
        assert run_cli("ask", "-m", model, "[[words:20]]").exit_code == 0
    settings = load_settings()
    for name in (LONG_SESSION, "short"):
        app_ctx = AppContext.create(settings, stdout=io.StringIO(), stderr=io.StringIO(), environ={})
        with SessionStore(settings.paths.sessions_file) as store:
            chat = ChatState.fresh(
                app_ctx, store, model="claude-sonnet-5-5", system=None, thinking=None, name=name
            )
            handle_line(chat, "[[words:3]]")
        app_ctx.close()
    lines = tmp_path / "lines.txt"
    lines.write_text("hello\nworld\n", encoding="utf-8")
    assert run_cli("batch", "submit", "--text", str(lines), "--name", BATCH_NAME).exit_code == 0


def cells(line: str) -> list[str]:
    return CELL_GAP.split(line.strip())


# One interpreter runs every table command on the screen, each through the real app as `python -m claudecli`
# would (a fresh context per command, stdout and stderr the terminal): the rendering is what is tested here, and
# eight interpreter start-ups per screen cost more than all the tables.
SCREEN_RUNNER = """
import sys
from claudecli.cli.app import PROG_NAME, app
for label, argv in TABLES:
    print("@@ " + label, flush=True)
    try:
        app(args=list(argv), prog_name=PROG_NAME, standalone_mode=False)
    except SystemExit:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
print("@@ end", flush=True)
"""


def screen_sections(width: int, name: str) -> dict[str, str]:
    """Run every table command on a ``width``-column screen; each command's part of the screen, rows joined."""
    runner = f"TABLES = {list(TABLES.items())!r}\n{SCREEN_RUNNER}"
    start(name, [sys.executable, "-c", runner], width=width, height=50)
    shown = wait_for(name, "@@ end", timeout=90, joined=True)
    parts = re.split(r"^@@ (.+)$", shown, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def check_on_screen(label: str, section: str, piped: str, width: int) -> None:
    lines = [line.rstrip() for line in section.splitlines() if line.strip()]
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, f"{label} at {width}: rows wrapped:\n{section}"
    rule = next((i for i, line in enumerate(lines) if line.strip().startswith("─")), None)
    assert rule is not None, f"{label} at {width}: no table under a rule:\n{section}"
    piped_rows = piped.splitlines()
    headers = cells(piped_rows[0])
    shown_headers = cells(lines[rule - 1])
    dropped = re.search(r"narrow terminal: (.+) not shown", section)
    dropped_headers = dropped[1].split(", ") if dropped else []
    assert len(shown_headers) + len(dropped_headers) == len(headers), section
    for piped_row, screen_row in zip(piped_rows[1:], lines[rule + 1 :], strict=False):
        whole = set(cells(piped_row))
        elastic = [cell for header, cell in zip(headers, cells(piped_row), strict=False) if header in ELASTIC]
        for cell in cells(screen_row):
            cut = cell.endswith("…") and any(full.startswith(cell[:-1]) for full in elastic)
            assert cell in whole or cut, f"{label} at {width}: {cell!r} is not a whole cell of {piped_row!r}"
    if width >= 200:
        assert not dropped_headers and "…" not in section, section


@pytest.mark.pty
@screen.needs_tmux
def test_every_table_fits_the_screen_and_cuts_no_id_or_amount(history, run_cli, session):
    """An 80-column screen, then a 200-column one, over the same history (made once)."""
    piped = {label: run_cli(*argv) for label, argv in TABLES.items()}
    for result in piped.values():
        assert result.exit_code == 0, result
    for width in (80, 200):
        name = f"{session}-{width}"
        try:
            sections = screen_sections(width, name)
        finally:
            screen.tmux("kill-session", "-t", name)
        for label in TABLES:
            check_on_screen(label, sections[label], piped[label].stdout, width)
        if width == 80:  # what the issue saw: "acti…", "$0.…"
            assert "active" in sections["models"] and "deprecated" in sections["models"]
            assert "$0.…" not in sections["cost report"] and "acti…" not in sections["models"]


def json_rows(run_cli, label: str, argv: tuple[str, ...]) -> int:
    """How many rows the table of ``argv`` has, counted from its --json document."""
    json_argv = [*argv[:2], "--json", *argv[2:]] if argv[0] != "models" else ["models", "--json"]
    document = json.loads(run_cli(*json_argv).stdout)
    if label == "models":
        return len(document["models"])
    if label == "cost report":
        return len(document["groups"]) + 1  # and the total
    if label == "cost prices":
        return sum(1 + len(entry["prices"]["long_context"]) for entry in document["models"])
    if label == "cost budget":
        return len(document["budgets"])
    if label == "cost estimate":
        return len(document["models"])
    return len(document["items"])


def test_piped_tables_are_whole_one_row_per_line_whatever_columns_says(history, run_cli):
    for label, argv in TABLES.items():
        piped = run_cli(*argv, env={"COLUMNS": "40"})
        assert piped.exit_code == 0, piped
        lines = piped.stdout.splitlines()
        assert len(lines) == 1 + json_rows(run_cli, label, argv), f"{label}:\n{piped.stdout}"
        assert "…" not in piped.stdout and "\x1b" not in piped.stdout and "─" not in piped.stdout
        assert "narrow terminal" not in piped.stderr
    listed = run_cli("chat", "--list", env={"COLUMNS": "40"}).stdout.splitlines()
    ids = {doc["name"]: doc["id"] for doc in json.loads(run_cli("chat", "--list", "--json").stdout)["items"]}
    for name, session_id in ids.items():
        assert any(line.startswith(name) and session_id in line for line in listed), listed
