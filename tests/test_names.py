"""Names that become paths pass one rule, and claudecli creates no directory the user did not name.

The rule (claudecli/names.py): 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, no '..'.
It guards the profile name (the chat input history file), batch names (collected results files) and bare
``/export`` names. Output paths the user chooses (``-o``, ``--out-dir``, ``/export DIR/FILE``) are theirs, but
their directory must exist: a missing one is an error, not a new 0755 directory.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pexpect
import pytest

from claudecli.core.errors import ClaudeCliError
from claudecli.core.names import is_safe_name
from tests.conftest import subprocess_env
from tests.test_chat_turns import make_chat as chat_fixture
from tests.test_chat_turns import say
from tests.zygote import ForkedSpawn

make_chat = chat_fixture

ESCAPING = "../../../escaped"
BAD_NAMES = ["../../../escaped", "a/b", ".hidden", "nightly\n", "a..b", "x" * 65, "-dash", "two words", "é"]
RULE = "cannot be used as a file name"


def test_the_rule():
    assert all(is_safe_name(name) for name in ["a", "work", "nightly-2026-11-22", "v1.2_eu", "x" * 64])
    assert not any(is_safe_name(name) for name in [*BAD_NAMES, "", ".", ".."])


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("claudecli: error: "), stderr
    return lines[0]


@pytest.mark.parametrize("chosen_by", ["--profile", "CLAUDECLI_PROFILE", "default_profile"])
def test_a_profile_name_that_is_not_a_safe_file_name_is_refused(
    chosen_by, cli_env, run_cli, fake_api, write_config
):
    default = f'default_profile = "{ESCAPING}"\n' if chosen_by == "default_profile" else ""
    write_config(f'{default}[profiles."{ESCAPING}"]\nmodel = "haiku"\n')
    flags = ["--profile", ESCAPING] if chosen_by == "--profile" else []
    env = {"CLAUDECLI_PROFILE": ESCAPING} if chosen_by == "CLAUDECLI_PROFILE" else None
    result = run_cli(*flags, "ask", "hello", env=env)
    assert result.exit_code == 2, result
    assert f"profile '{ESCAPING}' {RULE}" in one_error_line(result.stderr)
    assert fake_api.requests == []


def test_a_profile_with_a_safe_name_still_works(cli_env, run_cli, write_config):
    write_config('[profiles."eu-work_2.x"]\nmodel = "haiku"\n')
    assert run_cli("--profile", "eu-work_2.x", "ask", "hello").exit_code == 0


@pytest.mark.pty
def test_chat_under_an_escaping_profile_writes_no_history_outside_the_data_dir(
    cli_env, write_config, tmp_path
):
    write_config(f'[profiles."{ESCAPING}"]\nmodel = "haiku"\n')
    child = ForkedSpawn(
        ["--profile", ESCAPING, "chat"],
        env=subprocess_env({"PROMPT_TOOLKIT_NO_CPR": "1"}),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=20,
    )
    index = child.expect([pexpect.EOF, "›"])
    if index == 1:  # the REPL started: leave it, the history file is open by now
        child.sendeof()
        child.expect(pexpect.EOF)
    child.close()
    assert list(tmp_path.rglob("escaped.txt")) == []
    assert child.exitstatus == 2 and RULE in (child.before or "")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_batch_name_that_is_not_a_safe_file_name_is_refused_before_sending(
    name, cli_env, run_cli, fake_api, tmp_path
):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("hello\n", encoding="utf-8")
    result = run_cli("batch", "submit", "--text", str(jobs), "--name", name)
    assert result.exit_code == 2, result
    assert RULE in one_error_line(result.stderr)
    assert fake_api.requests_to("/v1/messages/batches", method="POST") == []


def test_collect_refuses_a_journaled_name_that_would_leave_the_directory(
    cli_env, run_cli, fake_api, tmp_path, home
):
    """A journal written before the rule (or edited) may hold any name: collect never writes outside DIR."""
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("hello\n", encoding="utf-8")
    assert run_cli("batch", "submit", "--text", str(jobs), "--name", "nightly").exit_code == 0
    with sqlite3.connect(home / "data" / "batches.db") as conn:
        conn.execute("UPDATE submissions SET name = ?", (ESCAPING,))
    out = tmp_path / "a" / "b" / "c"
    out.mkdir(parents=True)
    result = run_cli("batch", "collect", "--out-dir", str(out))
    assert result.exit_code == 2, result
    assert f"batch name '{ESCAPING}' {RULE}" in result.stderr
    assert list(tmp_path.rglob("escaped*")) == [] and list(out.iterdir()) == []


def test_collect_creates_its_directory_but_never_a_missing_parent(cli_env, run_cli, fake_api, tmp_path):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("hello\n", encoding="utf-8")
    assert run_cli("batch", "submit", "--text", str(jobs), "--name", "nightly").exit_code == 0
    missing = tmp_path / "missing" / "results"
    refused = run_cli("batch", "collect", "--out-dir", str(missing))
    assert refused.exit_code == 2 and f"the directory {missing.parent} does not exist" in refused.stderr
    assert not missing.parent.exists()
    results = tmp_path / "results"
    collected = run_cli("batch", "collect", "--out-dir", str(results))
    assert collected.exit_code == 0, collected
    assert results.stat().st_mode & 0o777 == 0o700 and (results / "nightly.jsonl").is_file()


@pytest.mark.parametrize("command", ["run", "submit --wait", "results"])
def test_an_output_file_in_a_missing_directory_is_refused_before_sending(
    command, cli_env, run_cli, fake_api, tmp_path
):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("hello\n", encoding="utf-8")
    target = tmp_path / "missing" / "deeper" / "out.jsonl"
    if command == "results":
        assert run_cli("batch", "submit", "--text", str(jobs), "--name", "n").exit_code == 0
        result = run_cli("batch", "results", "n", "-o", str(target))
    else:
        result = run_cli("batch", *command.split(), "--text", str(jobs), "-o", str(target))
    assert result.exit_code == 2, result
    assert f"the directory {target.parent} does not exist" in one_error_line(result.stderr)
    assert not (tmp_path / "missing").exists()
    if command != "results":
        assert [r for r in fake_api.requests if r.method == "POST"] == []


def test_export_to_a_missing_directory_is_an_error_not_a_new_directory(make_chat, tmp_path):
    chat = make_chat()
    say(chat, "hello [[words:2]]")
    target = tmp_path / "notes" / "today.md"
    with pytest.raises(ClaudeCliError, match=f"the directory {target.parent} does not exist"):
        say(chat, f"/export {target}")
    assert not target.parent.exists()


def test_export_takes_a_bare_name_in_the_current_directory_and_any_path_the_user_chooses(make_chat, tmp_path):
    chat = make_chat()
    say(chat, "hello [[words:2]]")
    say(chat, "/export notes.md")
    assert (Path.cwd() / "notes.md").is_file()
    say(chat, "/export ./my notes.md")
    assert (Path.cwd() / "my notes.md").is_file()
    for bad in (".env", "my notes.md", ".."):
        with pytest.raises(ClaudeCliError, match=RULE):
            say(chat, f"/export {bad}")
    assert not (Path.cwd() / ".env").exists()
    (tmp_path / "up").mkdir()
    say(chat, f"/export {tmp_path}/up/../up/x.md")  # a path is the user's to choose; its directory exists
    assert (tmp_path / "up" / "x.md").is_file()
