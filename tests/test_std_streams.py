"""Standard streams that are closed (`<&-`, `>&-`, `2>&-`) or refuse writes (`> /dev/full`, a reader that left).

Real processes started by a shell that closes the descriptor, as a cron line or a supervisor does: Python then
starts with ``sys.stdin`` (...) set to None, which the zygote cannot reproduce.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback, subprocess_env

FULL = "/dev/full"
needs_dev_full = pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full on this system")


def run_redirected(redirection: str, *args: str, out: Path) -> tuple[int, str, str]:
    """``claudecli ARGS REDIRECTION`` through ``sh``; stdout (unless redirected) to ``out``, stderr captured."""
    script = f'exec "$0" -m claudecli "$@" {redirection}'
    with out.open("wb") as sink:
        done = subprocess.run(
            ["sh", "-c", script, sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.PIPE,
            env=subprocess_env(),
            timeout=60,
        )
    return done.returncode, out.read_text(encoding="utf-8"), done.stderr.decode("utf-8", "replace")


def one_error(stderr: str) -> str:
    assert_no_traceback(stderr)
    errors = [line for line in stderr.splitlines() if line.startswith("claudecli: error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_a_closed_stdin_reads_as_empty(cli_env, tmp_path):
    code, stdout, stderr = run_redirected("<&-", "ask", "-q", "[[words:2]]", out=tmp_path / "out")
    assert (code, stdout) == (0, "w1 w2\n"), stderr
    code, _, stderr = run_redirected("<&-", "ask", "-", out=tmp_path / "out")
    assert code == 2 and "the prompt is empty" in one_error(stderr)


def test_a_closed_stderr_drops_the_notes_and_the_answer_still_comes(cli_env, tmp_path):
    code, stdout, _ = run_redirected("2>&-", "ask", "[[words:2]]", out=tmp_path / "out")
    assert (code, stdout) == (0, "w1 w2\n")


def test_a_closed_stdout_is_a_one_line_error_and_the_paid_call_is_booked(cli_env, tmp_path, ledger_rows):
    code, _, stderr = run_redirected(">&-", "ask", "[[words:2]]", out=tmp_path / "out")
    assert code == 2 and "cannot write to stdout" in one_error(stderr)
    assert [row["status"] for row in ledger_rows()] == ["output_error"]  # as for a reader that left


@pytest.mark.parametrize(
    "args",
    [("ask", "--json", "[[words:2]]"), ("models", "--json"), ("chat", "--json")],
    ids=["ask", "models", "usage"],
)
def test_a_closed_stdout_with_json_is_a_one_line_error_not_a_traceback(cli_env, tmp_path, args):
    """The failure document cannot reach a closed stdout either: it is dropped, the error line says why."""
    code, _, stderr = run_redirected(">&-", *args, out=tmp_path / "out")
    assert code == 2, stderr
    one_error(stderr)


def test_a_closed_stdout_does_not_matter_to_a_command_that_writes_a_file(cli_env, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("one [[words:1]]\ntwo [[words:1]]\n", encoding="utf-8")
    results = tmp_path / "results.jsonl"
    argv = ("batch", "run", "--text", str(prompts), "-o", str(results))
    code, _, stderr = run_redirected(">&-", *argv, out=tmp_path / "out")
    assert code == 0, stderr
    assert len(results.read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ("batch", "run"),
        ("batch", "submit", "--wait", "--poll-interval", "0.05"),
        ("batch", "submit"),
        ("batch", "submit", "--wait", "--poll-interval", "0.05", "-o", "results.jsonl"),
    ],
)
def test_batch_answers_for_a_closed_stdout_are_refused_before_anything_is_sent(
    cli_env, fake_api, tmp_path, ledger_rows, argv
):
    """`batch run` (or `submit --wait`) without -o prints only paid answers: to a stdout closed from the start
    (a crontab's `>&-`) they would all be lost, so nothing is sent (it sent a wave of requests, then failed).
    `submit` prints the ids: it submitted, then failed with exit 2 ("nothing sent") before `--wait` waited."""
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("".join("[[words:2]]\n" for _ in range(20)), encoding="utf-8")
    argv = tuple(str(tmp_path / arg) if arg == "results.jsonl" else arg for arg in argv)
    code, _, stderr = run_redirected(">&-", *argv, "--text", str(prompts), out=tmp_path / "out")
    line = one_error(stderr)
    assert code == 2 and "closed when claudecli started" in line and "nothing was sent" in line
    assert fake_api.requests_to("/v1/messages") == [] and fake_api.batch_creates == 0
    assert ledger_rows() == []


@needs_dev_full
@pytest.mark.parametrize(
    "args", [("ask", "[[words:2]]"), ("ask", "--json", "[[words:2]]"), ("--help",), ("--version",)]
)
def test_a_full_disk_under_stdout_is_a_one_line_error(cli_env, tmp_path, args):
    code, _, stderr = run_redirected(f"> {FULL}", *args, out=tmp_path / "out")
    assert code == 2, stderr
    assert "cannot write to stdout: No space left on device" in one_error(stderr)
    assert "Exception ignored" not in stderr


def test_the_help_to_a_reader_that_left_exits_141_quietly(cli_env):
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "claudecli", "--help"],
            stdout=writer,
            stderr=subprocess.PIPE,
            env=subprocess_env(),
            timeout=60,
        )
    finally:
        os.close(writer)
    assert done.returncode == 141 and done.stderr == b""


@pytest.mark.parametrize("redirection", [">&-", *([f"> {FULL}"] if os.path.exists(FULL) else [])])
@pytest.mark.parametrize(
    "args", [("models", "--json"), ("cost", "report", "--json"), ("chat", "--json", "--list")]
)
def test_json_to_a_stdout_that_refuses_is_one_line_not_a_traceback(cli_env, tmp_path, redirection, args):
    """The failure document cannot be written either: the one line says why, nothing else."""
    code, _, stderr = run_redirected(redirection, *args, out=tmp_path / "out")
    assert code == 2, stderr
    assert "cannot write to stdout" in one_error(stderr)


def run_with_stderr_to_a_reader_that_left(*args: str, stdout: Path) -> int:
    """``claudecli ARGS 2>&1 >FILE | head -0``, as a supervisor whose log pipe closed starts it."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        with stdout.open("wb") as sink:
            done = subprocess.run(
                [sys.executable, "-m", "claudecli", *args],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=writer,
                env=subprocess_env(),
                timeout=60,
            )
    finally:
        os.close(writer)
    return done.returncode


def test_a_stderr_whose_reader_left_drops_the_notes_and_the_work_is_done(cli_env, tmp_path, ledger_rows):
    out = tmp_path / "out"
    assert run_with_stderr_to_a_reader_that_left("ask", "[[words:2]]", stdout=out) == 0
    assert out.read_text(encoding="utf-8") == "w1 w2\n"
    assert [row["status"] for row in ledger_rows()] == ["ok"]
    # cost report writes its heading to stderr before the table: the table still comes
    assert run_with_stderr_to_a_reader_that_left("cost", "report", stdout=out) == 0
    assert "calls" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "redirection", ["2>&-", *([f"2> {FULL}", f"> {FULL} 2> {FULL}"] if os.path.exists(FULL) else [])]
)
@pytest.mark.parametrize("args", [("batch", "collect"), ("cost",), ("--help",), ("--version",)])
def test_an_error_line_nobody_can_read_still_exits_with_its_code(cli_env, tmp_path, redirection, args):
    """A usage error (or help to a full disk) with stderr lost: exit 2, not 1 from a write error."""
    code, _, stderr = run_redirected(redirection, *args, out=tmp_path / "out")
    stdout_lost = redirection.startswith(f"> {FULL}")
    expected = 2 if args in (("batch", "collect"), ("cost",)) or stdout_lost else 0  # bare cost: help, 2
    assert code == expected, stderr


@pytest.mark.pty
@pytest.mark.parametrize(
    ("stdout", "exit_code", "line"),
    [
        (">&-", 2, "cannot write to stdout"),
        *([(f"> {FULL}", 2, "cannot write to stdout")] if os.path.exists(FULL) else []),
        ("| true", 141, None),
    ],
)
def test_chat_ends_at_the_first_answer_its_stdout_cannot_take(cli_env, ledger_rows, stdout, exit_code, line):
    """In a terminal, stdout closed, full or a reader that left: the paid answer is booked and the chat ends
    with the code every command gives (it went on, paying for answers nobody could read)."""
    import pexpect

    script = f'"$0" -m claudecli chat {stdout}; echo "exit=${{PIPESTATUS[0]}}"'
    child = pexpect.spawn(
        "bash",
        ["-c", script, sys.executable],
        env=subprocess_env({"PROMPT_TOOLKIT_NO_CPR": "1"}),
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 100),
    )
    child.expect("›")
    child.send("[[words:3]]\r")
    child.expect(r"exit=(\d+)")
    code, seen = int(child.match.group(1)), child.before or ""
    child.expect(pexpect.EOF)
    child.close()
    assert code == exit_code, seen
    assert "Traceback" not in seen and "unexpected" not in seen, seen
    if line is not None:
        assert f"claudecli: error: {line}" in seen, seen
    assert [row["status"] for row in ledger_rows()] == ["output_error"]


def test_a_stdin_that_cannot_be_read_is_a_usage_error(cli_env, tmp_path, ledger_rows):
    """stdin opened write-only (``0>file``) fails every read (EBADF): one line, exit 2, nothing sent (it was
    "unexpected OSError", exit 1); --no-stdin leaves it alone."""
    for args in (("ask", "[[words:2]]"), ("ask", "-"), ("cost", "estimate", "hi")):
        code, _, stderr = run_redirected(f"0> {os.devnull}", *args, out=tmp_path / "out")
        assert code == 2 and "cannot read stdin: Bad file descriptor" in one_error(stderr), stderr
    assert ledger_rows() == []
    code, stdout, stderr = run_redirected(
        f"0> {os.devnull}", "ask", "--no-stdin", "[[words:2]]", out=tmp_path / "out"
    )
    assert (code, stdout) == (0, "w1 w2\n"), stderr


def test_a_closed_stdout_is_said_once_when_the_app_flushes_it_again_on_closing(
    cli_env, tmp_path, ledger_rows
):
    """ask with tools holds the answer's tail in a sink that the app flushes again on closing: that second
    refusal printed a second 'cannot write to stdout' line."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "notes.txt").write_text("x", encoding="utf-8")
    call = '[[call:list_dir {"path": "."}]]'
    code, _, stderr = run_redirected(
        ">&-", "ask", "--tools", "fs", "--root", str(root), call, out=tmp_path / "out"
    )
    assert code == 2 and "cannot write to stdout" in one_error(stderr)
    assert len(ledger_rows()) == 2  # both steps were paid for, and booked
    # without tools: the summary says what was paid, and no "answer above" is claimed where none was shown
    code, _, stderr = run_redirected(">&-", "ask", "[[echo]] foo s", out=tmp_path / "out")
    assert code == 2 and "cannot write to stdout" in one_error(stderr)
    assert "output_error" in stderr and "the answer above is partial" not in stderr, stderr
