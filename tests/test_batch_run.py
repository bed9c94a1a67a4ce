"""`claudecli batch run`: concurrent real-time requests, in input order, 429-aware, resumable."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from claudecli.batch.lock import file_lock
from claudecli.batch.output import CSV_HEADER
from tests.conftest import assert_no_traceback, subprocess_env
from tests.fakeapi import Fault
from tests.zygote import ForkedPopen

MESSAGES = "/v1/messages"


def prompts(path: Path, count: int) -> Path:
    path.write_text(
        "".join(f"question {i} [[words:{i % 5 + 1}]]\n" for i in range(1, count + 1)), encoding="utf-8"
    )
    return path


def ids_in(path: Path) -> list[str]:
    return [json.loads(line)["custom_id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_rate_limits_are_retried_and_lines_come_in_input_order(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    for _ in range(6):
        fake_api.enqueue(Fault.status(429, "rate_limit_error", "slow down", headers={"retry-after-ms": "30"}))
    fake_api.enqueue(Fault.status(529, "overloaded_error", "Overloaded"))
    out = tmp_path / "out.jsonl"
    result = run_cli(
        "batch", "run", "--text", str(prompts(tmp_path / "q.txt", 20)), "-c", "4", "-o", str(out)
    )
    assert result.exit_code == 0, result
    assert ids_in(out) == [f"line-{n:06d}" for n in range(1, 21)]
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(doc["status"] == "succeeded" for doc in docs)
    assert docs[2]["text"] == "w1 w2 w3 w4" and docs[2]["usage"]["output_tokens"] == 4
    assert len(fake_api.requests_to(MESSAGES, method="POST")) == 27  # 20 + every injected failure retried
    assert all(r.headers.get("x-stainless-retry-count") == "0" for r in fake_api.requests_to(MESSAGES))
    rows = ledger_rows()
    assert len(rows) == 20 and {row["command"] for row in rows} == {"batch-run"}
    assert all(row["is_batch"] == 0 and row["cost_usd"] > 0 for row in rows)
    assert "20 requests in" in result.stderr and "20 succeeded" in result.stderr


def test_every_attempt_that_got_no_answer_has_a_ledger_row_of_its_own(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    """A request whose connection broke (or that timed out) reached the API and may have been paid for: its
    retry is another request, with its own row. A 429 is an answer, unbilled: its retry stays in one row."""
    fake_api.enqueue(Fault.drop_after(0))  # the API took the request; no answer came back
    fake_api.enqueue(Fault.status(429, "rate_limit_error", "slow down", headers={"retry-after-ms": "10"}))
    out = tmp_path / "out.jsonl"
    result = run_cli("batch", "run", "--text", str(prompts(tmp_path / "q.txt", 1)), "-c", "1", "-o", str(out))
    assert result.exit_code == 0, result
    assert len(fake_api.requests_to(MESSAGES, method="POST")) == 3
    rows = ledger_rows()
    assert [(row["custom_id"], row["status"]) for row in rows] == [
        ("line-000001", "connection_error"),
        ("line-000001", "ok"),
    ]
    assert ids_in(out) == ["line-000001"]


def test_a_refused_request_is_an_errored_line_and_a_persistent_failure_is_left_for_a_rerun(
    cli_env, run_cli, fake_api, tmp_path
):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        json.dumps({"id": "a", "prompt": "one"}) + "\n" + json.dumps({"id": "b", "prompt": "two"}) + "\n",
        encoding="utf-8",
    )
    fake_api.enqueue(Fault.status(400, "invalid_request_error", "prompt refused"))
    for _ in range(2):
        fake_api.enqueue(Fault.status(500, "api_error", "boom"))
    out = tmp_path / "out.jsonl"
    first = run_cli("batch", "run", str(jobs), "-c", "1", "--retries", "1", "-o", str(out))
    assert first.exit_code == 7, first  # b failed twice with 500: server error, no line for it
    assert_no_traceback(first.stderr)
    assert "rerun" in first.stderr
    (line,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert line == {
        "custom_id": "a",
        "status": "errored",
        "error": {"type": "invalid_request_error", "message": "prompt refused"},
    }
    second = run_cli("batch", "run", str(jobs), "-c", "1", "-o", str(out))
    assert second.exit_code == 0, second
    assert ids_in(out) == ["a", "b"]


def test_resumes_after_an_interruption(cli_env, run_cli, fake_api, tmp_path):
    fake_api.latency = 0.05
    questions = prompts(tmp_path / "q.txt", 40)
    out = tmp_path / "out.jsonl"
    argv = [
        "batch",
        "run",
        "--text",
        str(questions),
        "-c",
        "2",
        "-o",
        str(out),
    ]
    child = ForkedPopen(argv, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 6):
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 130, stderr
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    done = ids_in(out)
    assert 6 <= len(done) < 40
    assert done == [f"line-{n:06d}" for n in range(1, len(done) + 1)]  # a prefix, in order
    sent_before = len(fake_api.requests_to(MESSAGES, method="POST"))

    fake_api.latency = 0
    resumed = run_cli("batch", "run", "--text", str(questions), "-c", "4", "-o", str(out))
    assert resumed.exit_code == 0, resumed
    assert ids_in(out) == [f"line-{n:06d}" for n in range(1, 41)]
    assert len(fake_api.requests_to(MESSAGES, method="POST")) - sent_before == 40 - len(done)
    finished = run_cli("batch", "run", "--text", str(questions), "-o", str(out))
    assert finished.exit_code == 0 and "nothing to do" in finished.stderr


def test_csv_to_stdout_and_template(cli_env, run_cli, fake_api, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("alpha\nbeta\n", encoding="utf-8")
    result = run_cli(
        "batch", "run", "--text", "--template", "[[echo]] Summarise: {line}", "--format", "csv", str(lines)
    )
    assert result.exit_code == 0, result
    rows = result.stdout.splitlines()
    assert rows[0].startswith("custom_id,status,text")
    assert rows[1].startswith("line-000001,succeeded,[[echo]] Summarise: alpha")
    assert rows[2].startswith("line-000002,succeeded,[[echo]] Summarise: beta")


def test_budget_refuses_a_run_before_any_request(cli_env, run_cli, fake_api, tmp_path, write_config):
    write_config("max_cost_per_call = 0.0001\n")
    result = run_cli("batch", "run", "--text", "--max-tokens", "8000", str(prompts(tmp_path / "q.txt", 3)))
    assert result.exit_code == 9, result
    assert "one request of this run" in result.stderr
    assert fake_api.requests_to(MESSAGES, method="POST") == []


def test_a_second_run_on_the_same_output_exits_0_without_sending(cli_env, run_cli, fake_api, tmp_path):
    out = tmp_path / "out.jsonl"
    with file_lock(tmp_path / "out.jsonl.lock", wait=0):  # a first run still going
        busy = run_cli("batch", "run", "--text", str(prompts(tmp_path / "q.txt", 3)), "-o", str(out))
    assert busy.exit_code == 0, busy
    assert "another batch run is writing" in busy.stderr
    assert fake_api.requests_to(MESSAGES) == [] and not out.exists()


def test_answers_count_only_for_the_lines_they_answered(cli_env, run_cli, fake_api, tmp_path):
    """Resuming went by custom_id alone, and a generated id is a line number: a nightly job whose input changes
    daily (or another input run into the same -o) had every line skipped, exit 0, yesterday's answers kept."""
    out, nightly = tmp_path / "out.jsonl", tmp_path / "nightly.txt"
    nightly.write_text("monday one [[words:1]]\nmonday two [[words:2]]\n", encoding="utf-8")
    assert run_cli("batch", "run", "--text", str(nightly), "-o", str(out)).exit_code == 0
    answers = out.read_bytes()
    again = run_cli("batch", "run", "--text", str(nightly), "-o", str(out))  # the same input: nothing to do
    assert again.exit_code == 0 and "nothing to do" in again.stderr, again

    nightly.write_text("tuesday one [[words:1]]\nmonday two [[words:2]]\n", encoding="utf-8")
    changed = run_cli("batch", "run", "--text", str(nightly), "-o", str(out))
    assert changed.exit_code == 2, changed
    assert f"the answer it holds for line-000001 is to another line than {nightly}:1" in changed.stderr
    other = prompts(tmp_path / "other.txt", 2)
    assert run_cli("batch", "run", "--text", str(other), "-o", str(out)).exit_code == 2
    assert len(fake_api.requests_to(MESSAGES)) == 2 and out.read_bytes() == answers  # nothing sent since

    nightly.write_text("monday one [[words:1]]\nmonday two [[words:2]]\nmonday three [[words:3]]\n")
    grown = run_cli("batch", "run", "--text", str(nightly), "-o", str(out))  # a line added: only it runs
    assert grown.exit_code == 0, grown
    assert len(fake_api.requests_to(MESSAGES)) == 3 and ids_in(out)[-1] == "line-000003"
    out.unlink()
    nightly.write_text("tuesday one [[words:1]]\n", encoding="utf-8")
    assert (
        run_cli("batch", "run", "--text", str(nightly), "-o", str(out)).exit_code == 0
    )  # a new file: afresh


def test_a_run_through_a_link_to_an_output_being_written_sends_nothing(cli_env, run_cli, fake_api, tmp_path):
    """`-o latest.jsonl` (a link) and `-o out.jsonl` (its target) are one file: one lock, or both runs would
    send (and pay for) every line and append each answer twice."""
    out, link = tmp_path / "out.jsonl", tmp_path / "latest.jsonl"
    link.symlink_to(out.name)
    with file_lock(tmp_path / "out.jsonl.lock", wait=0):  # a first run, given the target, still going
        busy = run_cli("batch", "run", "--text", str(prompts(tmp_path / "q.txt", 3)), "-o", str(link))
    assert busy.exit_code == 0, busy
    assert "another batch run is writing" in busy.stderr
    assert fake_api.requests_to(MESSAGES) == [] and not out.exists()


def test_an_output_path_that_is_a_directory_is_a_usage_error(cli_env, run_cli, fake_api, tmp_path):
    for args in (("run", "--text", str(prompts(tmp_path / "q.txt", 1))), ("results", "msgbatch_01x")):
        result = run_cli("batch", *args, "-o", str(tmp_path))
        assert result.exit_code == 2, result
        (line,) = result.stderr.splitlines()
        assert line.startswith("claudecli: error:") and f"{tmp_path}: is a directory" in line
    assert fake_api.requests == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGKILL, -9), (signal.SIGTERM, 143)])
def test_every_line_written_is_booked_even_after_a_kill(cli_env, fake_api, tmp_path, ledger_rows, sig, code):
    fake_api.latency = 0.05
    out = tmp_path / "out.jsonl"
    argv = ["batch", "run", "--text", str(prompts(tmp_path / "q.txt", 40))]
    child = ForkedPopen([*argv, "-c", "2", "-o", str(out)], env=subprocess_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 4):
        time.sleep(0.01)
    child.send_signal(sig)  # SIGKILL: no cleanup at all; SIGTERM: unwinds like Ctrl-C
    _, stderr = child.communicate(timeout=10)
    assert child.returncode == code and b"Traceback" not in stderr
    written = set(ids_in(out))
    rows = ledger_rows()
    assert 4 <= len(written) < 40 and written <= {row["custom_id"] for row in rows if row["status"] == "ok"}
    if sig == signal.SIGTERM:  # and every request the API received is booked, finished or cut short
        assert len(rows) >= len(fake_api.requests_to(MESSAGES, method="POST"))


def test_csv_resume_cuts_a_torn_multiline_row(cli_env, run_cli, fake_api, tmp_path):
    out = tmp_path / "out.csv"
    header = ",".join(CSV_HEADER)
    out.write_text(
        f"{header}\nline-000001,succeeded,w1,,m,end_turn,1,1,0,0,0.1\n"
        'line-000002,succeeded,"an answer\nline-000003,succeeded,looks done\n',  # killed inside the quotes
        encoding="utf-8",
    )
    result = run_cli(
        "batch", "run", "--text", str(prompts(tmp_path / "q.txt", 3)), "--format", "csv", "-o", str(out)
    )
    assert result.exit_code == 0, result
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [row["custom_id"] for row in rows] == ["line-000001", "line-000002", "line-000003"]
    assert len(fake_api.requests_to(MESSAGES, method="POST")) == 2


@pytest.mark.parametrize("tools", [(), ("--web-search",)], ids=["plain", "tool-loop"])
@pytest.mark.parametrize(
    ("code", "error_type", "exit_code"),
    [(401, "authentication_error", 3), (402, "billing_error", 10), (401, None, 3)],
    ids=["401", "402", "401-untyped"],
)
def test_a_rejected_key_stops_the_run_and_writes_no_errored_lines(
    cli_env, run_cli, fake_api, tmp_path, code, error_type, exit_code, tools
):
    """A 401/402 is about the key or the account, not the line: written as `errored` it would make the rerun
    (key fixed) skip every line, and a cron job would see exit 0 for a run that answered nothing. The status
    decides, with or without the tool loop: a gateway's 401 carries no API error type."""
    jobs = prompts(tmp_path / "jobs.txt", 20)
    if error_type is None:
        fault = Fault.body(b'{"message": "Unauthorized"}', code=code)
    else:
        fault = Fault.status(code, error_type, "no \x1b[2J way", echo_credential=True)
    fake_api.enqueue(fault)
    out = tmp_path / "out.jsonl"
    first = run_cli("batch", "run", str(jobs), "--text", "-c", "1", "-o", str(out), *tools)
    assert first.exit_code == exit_code, first
    assert_no_traceback(first.stderr)
    assert "sk-ant-" not in first.stderr + out.read_text() and "\x1b" not in first.stderr
    assert out.read_text() == "" and len(fake_api.requests_to(MESSAGES)) == 1  # stopped at once
    if not tools:  # the summary does not say "failed after retries": a 401/402 is never retried
        assert "1 request in" in first.stderr and "the key or the account was refused" in first.stderr, first
    second = run_cli("batch", "run", str(jobs), "--text", "-c", "1", "-o", str(out), *tools)
    assert second.exit_code == 0, second
    assert ids_in(out) == [f"line-{i:06d}" for i in range(1, 21)]


def test_a_200_that_is_not_a_message_is_retried_and_never_written_as_a_result(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    """A captive portal's page, or a gateway's JSON, under a 200: no message came back, so the request is retried
    like a broken connection (it was "unexpected JSONDecodeError", exit 1, or a 'succeeded' line with no text)."""
    fake_api.enqueue(Fault.body(b"<html>Sign in to the network</html>", 200, "text/html"))
    out = tmp_path / "out.jsonl"
    source = prompts(tmp_path / "q.txt", 1)
    result = run_cli("batch", "run", "--text", str(source), "-c", "1", "-o", str(out))
    assert result.exit_code == 0, result
    assert [row["status"] for row in ledger_rows()] == ["connection_error", "ok"]
    assert ids_in(out) == ["line-000001"]

    for _ in range(3):
        fake_api.enqueue(Fault.body(b'{"ok": true}', 200, "application/json"))
    again = tmp_path / "again.jsonl"
    result = run_cli("batch", "run", "--text", str(source), "--retries", "1", "-o", str(again))
    assert result.exit_code == 8, result
    assert_no_traceback(result.stderr)
    assert "no message came back" in result.stderr
    assert not again.exists() or again.read_text(encoding="utf-8") == ""  # a rerun sends it again
