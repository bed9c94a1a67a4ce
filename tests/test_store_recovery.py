"""A damaged, unreadable or newer-schema store never costs a paid answer or its booking.

Damaged (corrupt, not a database, 0 bytes): moved aside (never deleted) and a fresh one started, with a note.
Newer schema that refuses the row, or unreadable: never moved aside; the row is spooled beside it (0600) and
imported by the next run that understands the store. Either way the answer already printed stays, `--json`
still prints its document, and the command exits 11 with one line saying what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, assert_no_traceback

GARBAGE = b"this is not a SQLite database at all\n" * 200
FUTURE = "m999_from_the_future"


def _data(home: Path) -> Path:
    return home / "data"


def _asides(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("claudecli: error:")]


def _make_newer(path: Path, table: str) -> None:
    """What a future claudecli could leave: a migration this one does not know, and a schema refusing its rows."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO _migrations (name, applied_at) VALUES (?, '2027-01-01T00:00:00.000Z')", (FUTURE,)
        )
        conn.execute(
            f"CREATE TRIGGER future_guard BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'rows now need a currency'); END"
        )


def _understood_again(path: Path) -> None:
    """As if the version that wrote the future schema ran and removed it: this one understands the file again."""
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM _migrations WHERE name = ?", (FUTURE,))
        conn.execute("DROP TRIGGER future_guard")


@pytest.mark.parametrize("damage", [GARBAGE, b""], ids=["garbage", "empty"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_damaged_ledger_is_moved_aside_and_the_call_booked_in_a_fresh_one(
    cli_env, run_cli, fake_api, ledger_rows, home, damage, as_json
):
    ledger = _data(home) / "usage.db"
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(damage)
    result = run_cli("ask", *(["--json"] if as_json else []), "hi")
    assert result.exit_code == 11, result
    assert_no_traceback(result.stderr)
    if as_json:
        assert json.loads(result.stdout)["text"] == "Hello from the fake API."
    else:
        assert result.stdout == "Hello from the fake API.\n"
    (aside,) = _asides(ledger)
    assert aside.read_bytes() == damage  # kept as it was, never deleted
    assert f"kept as {aside.name}" in result.stderr
    (error,) = _error_lines(result.stderr)
    assert "replaced by a fresh one" in error and str(aside) in error and ".recover" in error
    (row,) = ledger_rows()
    assert row["status"] == "ok"
    again = run_cli("ask", "hi")  # the fresh ledger is healthy: no more notes
    assert again.exit_code == 0 and "warning" not in again.stderr, again
    assert len(ledger_rows()) == 2 and len(_asides(ledger)) == 1


def test_a_ledger_of_a_newer_schema_is_never_moved_aside_and_its_row_is_spooled_then_imported(
    cli_env, run_cli, fake_api, ledger_rows, home
):
    assert run_cli("ask", "first").exit_code == 0
    ledger = _data(home) / "usage.db"
    _make_newer(ledger, "calls")
    inode = ledger.stat().st_ino
    result = run_cli("ask", "--json", "a secret prompt")
    assert result.exit_code == 11, result
    assert json.loads(result.stdout)["status"] == "ok"  # the document is printed all the same
    (error,) = _error_lines(result.stderr)
    assert "upgrade claudecli" in error
    assert ledger.stat().st_ino == inode and not _asides(ledger)
    spool = ledger.with_name("usage.db.spool.jsonl")
    assert stat.S_IMODE(spool.stat().st_mode) == 0o600
    kept = spool.read_text()
    assert "a secret prompt" not in kept and TEST_KEY not in kept  # hashes only, like the ledger
    assert len(ledger_rows()) == 1

    _understood_again(ledger)
    report = run_cli("cost", "report", "--json")
    assert report.exit_code == 0, report
    assert json.loads(report.stdout)["total"]["calls"] == 2
    assert not spool.exists()
    rows = ledger_rows()
    assert [row["status"] for row in rows] == ["ok", "ok"] and rows[1]["command"] == "ask"
    assert rows[1]["request_id"] == json.loads(result.stdout)["request_id"]


def test_an_import_repeated_after_a_crash_books_nothing_twice(cli_env, run_cli, fake_api, ledger_rows, home):
    assert run_cli("ask", "first").exit_code == 0
    ledger = _data(home) / "usage.db"
    _make_newer(ledger, "calls")
    assert run_cli("ask", "second").exit_code == 11
    spool = ledger.with_name("usage.db.spool.jsonl")
    saved = spool.read_bytes()
    _understood_again(ledger)
    assert run_cli("cost", "report").exit_code == 0
    spool.write_bytes(saved)  # as if killed after the import committed, before the spool was deleted
    os.chmod(spool, 0o600)
    assert run_cli("cost", "report").exit_code == 0
    assert len(ledger_rows()) == 2 and not spool.exists()


def test_an_unreadable_ledger_keeps_the_row_beside_it_until_it_can_be_written(
    cli_env, run_cli, fake_api, ledger_rows, home
):
    ledger = _data(home) / "usage.db"
    ledger.mkdir(parents=True)  # cannot be opened as a database (and root ignores file modes)
    result = run_cli("ask", "--json", "hi")
    assert result.exit_code == 11, result
    assert json.loads(result.stdout)["status"] == "ok"
    (error,) = _error_lines(result.stderr)
    assert f"fix {ledger}" in error
    assert ledger.is_dir() and not _asides(ledger)  # not damage: never moved aside
    ledger.rmdir()
    assert run_cli("cost", "report").exit_code == 0
    (row,) = ledger_rows()
    assert row["status"] == "ok"


def test_a_row_that_cannot_be_kept_beside_the_ledger_is_said_lost_not_kept(cli_env, run_cli, home):
    """The data directory is a file: neither the ledger nor its spool can be written. The last line must not
    promise that a later run books rows kept in a spool that was never written."""
    home.mkdir(parents=True, exist_ok=True)
    _data(home).write_text("not a directory\n")
    result = run_cli("ask", "--json", "hi")
    assert result.exit_code == 11, result
    assert json.loads(result.stdout)["status"] == "ok"
    (error,) = _error_lines(result.stderr)
    assert "lost" in error and "spool" not in error, error
    assert "kept in usage.db.spool.jsonl" not in result.stderr, result.stderr
    assert_no_traceback(result.stderr)


def test_a_damaged_session_store_is_moved_aside(cli_env, run_cli, home):
    sessions = _data(home) / "sessions.db"
    sessions.parent.mkdir(parents=True)
    sessions.write_bytes(GARBAGE)
    result = run_cli("chat", "--list", "--json")
    assert result.exit_code == 11, result
    assert json.loads(result.stdout)["items"] == []  # the list, once: no failure document after it
    (aside,) = _asides(sessions)
    assert aside.read_bytes() == GARBAGE
    assert "chat session store" in _error_lines(result.stderr)[0]


def test_a_damaged_batch_journal_is_moved_aside(cli_env, run_cli, fake_api, home):
    journal = _data(home) / "batches.db"
    journal.parent.mkdir(parents=True)
    journal.write_bytes(b"")
    result = run_cli("batch", "list", "--json")
    assert result.exit_code == 11, result
    (aside,) = _asides(journal)
    assert aside.read_bytes() == b""
    assert "batch journal" in _error_lines(result.stderr)[0]


def test_a_newer_batch_journal_refusing_rows_stops_submit_before_anything_is_sent(
    cli_env, run_cli, fake_api, home, tmp_path
):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("one\ntwo\n", encoding="utf-8")
    assert run_cli("batch", "list").exit_code == 0  # creates the journal
    journal = _data(home) / "batches.db"
    _make_newer(journal, "submissions")
    result = run_cli("batch", "submit", "--text", str(jobs))
    assert result.exit_code == 11, result
    assert_no_traceback(result.stderr)
    assert fake_api.requests_to("/v1/messages/batches", "POST") == []
    assert not _asides(journal)


@pytest.mark.pty
def _one_turn_session(name: str, text: str) -> None:
    """A saved chat session named ``name`` with one exchange, as `chat --session NAME` leaves it."""
    import io

    from claudecli.chat.repl import handle_line
    from claudecli.chat.session_store import SessionStore
    from claudecli.chat.state import ChatState
    from claudecli.core.config import load_settings
    from claudecli.core.context import AppContext

    settings = load_settings()
    app_ctx = AppContext.create(settings, stdout=io.StringIO(), stderr=io.StringIO(), environ={})
    with SessionStore(settings.paths.sessions_file) as store:
        chat = ChatState.fresh(
            app_ctx, store, model="claude-sonnet-5-5", system=None, thinking=None, name=name
        )
        handle_line(chat, text)
    app_ctx.close()


def test_a_chat_turn_a_newer_session_store_refuses_is_spooled_and_imported_later(
    cli_env, run_cli, fake_api, home
):
    import pexpect

    from tests.test_chat_pty import Chat

    _one_turn_session("work", "first [[words:3]]")  # the chat core, in process: the first turn is set-up
    sessions = _data(home) / "sessions.db"
    _make_newer(sessions, "turns")
    chat = Chat("--plain", "--session", "work")
    chat.turn("second [[words:2]]")
    chat.child.sendeof()
    chat.child.expect(pexpect.EOF)
    transcript = chat.transcript + (chat.child.before or "")
    chat.child.close()
    assert chat.child.exitstatus == 11, transcript
    said = " ".join(transcript.split())  # the warning wraps at the terminal's width, wherever the path ends
    assert "written by a newer claudecli" in said and "upgrade claudecli" in said, transcript
    assert not _asides(sessions)
    assert sessions.with_name("sessions.db.spool.jsonl").exists()

    _understood_again(sessions)
    listing = run_cli("chat", "--list", "--json")
    assert listing.exit_code == 0, listing
    (session,) = json.loads(listing.stdout)["items"]
    assert session["name"] == "work" and session["turns"] == 2


def test_a_row_spooled_before_the_tool_loop_columns_is_still_imported(
    cli_env, run_cli, fake_api, ledger_rows, home
):
    """A spool written by the version before m006 has rows without web_fetch_requests, loop_id and step."""
    assert run_cli("ask", "first").exit_code == 0
    ledger = _data(home) / "usage.db"
    _make_newer(ledger, "calls")
    assert run_cli("ask", "second").exit_code == 11
    spool = ledger.with_name("usage.db.spool.jsonl")
    records = [json.loads(line) for line in spool.read_text().splitlines()]
    for record in records:
        record["calls"] = [[none, row[:-3], prompt, answer] for none, row, prompt, answer in record["calls"]]
    spool.write_text("".join(json.dumps(record) + "\n" for record in records))
    _understood_again(ledger)
    assert run_cli("cost", "report").exit_code == 0
    rows = ledger_rows()
    assert len(rows) == 2 and not spool.exists()
    assert (rows[1]["loop_id"], rows[1]["step"], rows[1]["web_fetch_requests"]) == (None, None, 0)


def test_spend_in_a_ledger_set_aside_is_said_to_be_missing_from_reports_and_budgets(
    cli_env, run_cli, fake_api, home
):
    """A damaged ledger moved aside takes its calls with it: until its period ends, a report or a budget that
    would have counted them says so (stderr, and a field of the --json document) instead of a silent $0."""
    assert run_cli("ask", "hi [[words:3]]").exit_code == 0
    ledger = _data(home) / "usage.db"
    ledger.write_bytes(GARBAGE)
    first = run_cli("cost", "report", "--json")
    assert first.exit_code == 11, first
    (aside,) = _asides(ledger)
    for report in (first, run_cli("cost", "report", "--json")):
        document = json.loads(report.stdout)
        assert document["total"]["calls"] == 0
        assert [entry["path"] for entry in document["ledgers_set_aside"]] == [str(aside)]
        assert "not in the usage ledger" in report.stderr and str(aside) in report.stderr
    budgets = json.loads(run_cli("cost", "budget", "--json").stdout)["budgets"]
    assert [line["ledger_set_aside_at"] is not None for line in budgets] == [True, True, False]
    asked = run_cli("ask", "[[words:2]]", env={"CLAUDECLI_DAILY_BUDGET": "5"})
    assert asked.exit_code == 0 and "daily budget: calls made before" in asked.stderr, asked
    assert run_cli("ask", "[[words:2]]").stderr.count("warning") == 0  # no budget, nothing to say
    lines = home / "lines.txt"
    lines.write_text("[[call:list_dir {}]]\n[[call:list_dir {}]]\n", encoding="utf-8")
    ran = run_cli("batch", "run", "--text", "-T", "fs", str(lines), env={"CLAUDECLI_DAILY_BUDGET": "5"})
    assert ran.exit_code == 0, ran
    assert ran.stderr.count("not in the usage ledger") == 1, ran.stderr  # once a command, not once a check


def test_a_ledger_set_aside_before_the_period_is_not_mentioned(cli_env, run_cli, fake_api, home):
    assert run_cli("ask", "hi [[words:3]]").exit_code == 0
    old = _data(home) / "usage.db.corrupt-20200101T000000Z"
    old.write_bytes(GARBAGE)
    report = run_cli("cost", "report", "--json")
    assert report.exit_code == 0 and json.loads(report.stdout)["ledgers_set_aside"] == []
    assert "not in the usage ledger" not in report.stderr
    asked = run_cli("ask", "[[words:2]]", env={"CLAUDECLI_DAILY_BUDGET": "5"})
    assert "not in the usage ledger" not in asked.stderr
    assert json.loads(run_cli("cost", "report", "--json", "--since", "2019-01-01").stdout)[
        "ledgers_set_aside"
    ]
