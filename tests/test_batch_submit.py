"""`claudecli batch submit` end to end: real subprocess, real SDK, real HTTP against the fake API, a real journal."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.conftest import assert_no_traceback, assert_secret_free, subprocess_env
from tests.fakeapi import Fault
from tests.fakeapi.batches import create_batch
from tests.fakeapi.wire import invalid
from tests.zygote import ForkedPopen

BATCHES = "/v1/messages/batches"


def write_jsonl(path: Path, *lines: object) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8"
    )
    return path


def creates(fake_api) -> list:
    return fake_api.requests_to(BATCHES, method="POST")


def tag_numbers(custom_ids: list[str]) -> list[int]:
    """The request numbers of ids sent tagged with one submission's nonce (``{nonce}-{seq}``)."""
    nonces = {custom_id.partition("-")[0] for custom_id in custom_ids}
    assert len(nonces) == 1 and re.fullmatch(r"[0-9a-f]{16}", nonces.pop()), custom_ids
    return [int(custom_id.partition("-")[2]) for custom_id in custom_ids]


def result_ids(run_cli, target: str) -> list[str]:
    """The custom_ids ``batch results`` writes (the user's own), in input order."""
    result = run_cli("batch", "results", target)
    assert result.exit_code == 0, result
    return sorted(json.loads(line)["custom_id"] for line in result.stdout.splitlines())


def journal_parts(home: Path) -> list[dict]:
    with sqlite3.connect(home / "data" / "batches.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM parts ORDER BY id")]


MIXED = (
    {"custom_id": "api-1", "params": {"model": "claude-haiku-5-5", "max_tokens": 50,
                                       "messages": [{"role": "user", "content": "[[words:3]]"}]}},
    {"id": "short-2", "prompt": "[[words:2]] hi", "system": "be brief", "max_tokens": 64},
    {"prompt": "no id, defaults fill the rest"},
)  # fmt: skip


def test_mixed_shapes_are_submitted_as_one_batch(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", *MIXED)
    result = run_cli("batch", "submit", str(jobs), "-m", "claude-sonnet-5-5", "--name", "mixed")
    assert result.exit_code == 0, result
    (batch_id,) = result.stdout.splitlines()
    assert batch_id.startswith("msgbatch_") and batch_id in fake_api.batches
    requests = fake_api.batches[batch_id].requests
    assert tag_numbers([r["custom_id"] for r in requests]) == [0, 1, 2]  # sent tagged, mapped back:
    assert result_ids(run_cli, "mixed") == ["api-1", "line-000003", "short-2"]
    assert requests[0]["params"]["model"] == "claude-haiku-5-5"
    assert requests[1]["params"]["system"] == "be brief" and requests[1]["params"]["max_tokens"] == 64
    assert requests[2]["params"]["model"] == "claude-sonnet-5-5"
    assert "3 requests" in result.stderr and "at batch prices" in result.stderr
    assert_secret_free(result.stdout, result.stderr)


def test_three_bad_lines_are_all_reported_and_nothing_is_sent(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(
        tmp_path / "jobs.jsonl",
        {"prompt": "fine"},
        "{broken json",
        {"prompt": "fine too"},
        {"id": "has spaces", "prompt": "x"},
        {"prompt": "x", "attach": ["nowhere.pdf"]},
        {"id": "both", "prompt": "x", "params": None},
    )
    result = run_cli("batch", "submit", str(jobs))
    assert result.exit_code == 2, result
    assert_no_traceback(result.stderr)
    for line_no, fragment in (
        (2, "invalid JSON"),
        (4, "has spaces"),
        (5, ": file not found"),
        (6, 'both "params" and "prompt"'),
    ):
        assert f"{jobs}:{line_no}: " in result.stderr and fragment in result.stderr
    assert "claudecli: error:" in result.stderr and "4 invalid line(s); nothing was sent" in result.stderr
    assert result.stdout == ""
    assert fake_api.batch_creates == 0 and creates(fake_api) == []

    skipped = run_cli("batch", "submit", "--skip-invalid", str(jobs))
    assert skipped.exit_code == 0, skipped
    assert "skipping 4 invalid line(s)" in skipped.stderr
    (batch_id,) = skipped.stdout.splitlines()
    assert result_ids(run_cli, batch_id) == ["line-000001", "line-000003"]


def test_resubmitting_the_same_input_is_a_no_op(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "a"}, {"prompt": "b"})
    first = run_cli("batch", "submit", str(jobs))
    again = run_cli("batch", "submit", str(jobs))
    assert first.exit_code == again.exit_code == 0, again
    assert again.stdout == first.stdout
    assert "already submitted" in again.stderr
    assert fake_api.batch_creates == 1
    forced = run_cli(
        "batch", "submit", "--force", str(jobs)
    )  # --force is about budgets and files, never this
    assert (forced.exit_code, forced.stdout) == (0, first.stdout), forced
    assert "--resubmit" in forced.stderr and fake_api.batch_creates == 1
    other_name = run_cli("batch", "submit", "--name", "other", str(jobs))  # options differ: a new submission
    resubmitted = run_cli("batch", "submit", "--resubmit", str(jobs))
    assert other_name.exit_code == resubmitted.exit_code == 0
    assert len({first.stdout, other_name.stdout, resubmitted.stdout}) == 3
    assert fake_api.batch_creates == 3


def test_killed_between_create_and_journal_the_rerun_recovers_the_id(
    cli_env, run_cli, fake_api, tmp_path, home
):
    # The fake creates the batch, then holds its answer; the client is killed -9 in that window.
    fake_api.enqueue(Fault.stall_after(60), path=BATCHES)
    jobs = write_jsonl(tmp_path / "jobs.jsonl", *({"prompt": f"p{i}"} for i in range(5)))
    client = ForkedPopen(
        ["batch", "submit", str(jobs)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    deadline = time.monotonic() + 30
    while fake_api.batch_creates == 0 and time.monotonic() < deadline and client.poll() is None:
        time.sleep(0.02)
    client.kill()
    stdout, _ = client.communicate(timeout=30)
    assert client.returncode == -signal.SIGKILL and stdout == b""
    assert fake_api.batch_creates == 1
    (part,) = journal_parts(home)
    assert part["state"] == "creating" and part["batch_id"] is None  # the id was lost with the process

    rerun = run_cli("batch", "submit", str(jobs))
    assert rerun.exit_code == 0, rerun
    (created,) = fake_api.batches
    assert rerun.stdout == f"{created}\n"
    assert "recovered batch" in rerun.stderr
    assert fake_api.batch_creates == 1
    assert journal_parts(home)[0]["batch_id"] == created


def test_a_lost_create_response_is_reconciled_not_resent(cli_env, run_cli, fake_api, tmp_path):
    # The fake handles the create, then drops the connection before answering: the batch exists. A blind
    # retry (what the SDK would do) would create a second one.
    fake_api.enqueue(Fault.drop_after(0), path=BATCHES)
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "a"})
    result = run_cli("batch", "submit", str(jobs))
    assert result.exit_code == 0, result
    assert fake_api.batch_creates == 1
    assert result.stdout == f"{next(iter(fake_api.batches))}\n"


def test_rate_limited_create_is_retried(cli_env, run_cli, fake_api, tmp_path):
    fake_api.enqueue(Fault.status(429, "rate_limit_error", headers={"retry-after-ms": "10"}), path=BATCHES)
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "a"})
    result = run_cli("batch", "submit", str(jobs))
    assert result.exit_code == 0, result
    assert len(creates(fake_api)) == 2 and fake_api.batch_creates == 1


def test_split_at_lowered_limits(cli_env, run_cli, fake_api, tmp_path, home):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", *({"prompt": f"p{i} " + "x" * 300} for i in range(5)))
    result = run_cli("batch", "submit", "--split-requests", "2", "--name", "split", "--json", str(jobs))
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["requests"] == 5 and len(document["batch_ids"]) == 3
    sizes = [len(fake_api.batches[bid].requests) for bid in document["batch_ids"]]
    assert sizes == [2, 2, 1]
    ids = [r["custom_id"] for bid in document["batch_ids"] for r in fake_api.batches[bid].requests]
    assert tag_numbers(ids) == list(range(5))  # one nonce for the whole submission, numbered across parts
    assert result_ids(run_cli, "split") == [f"line-{n:06d}" for n in range(1, 6)]
    assert [p["part"] for p in journal_parts(home)] == [1, 2, 3]

    by_bytes = run_cli("batch", "submit", "--split-bytes", "1000", "--resubmit", str(jobs))
    assert by_bytes.exit_code == 0, by_bytes
    assert len(by_bytes.stdout.split()) == 3
    for request in creates(fake_api)[3:]:
        assert len(json.dumps(request.body, separators=(",", ":"), ensure_ascii=False)) <= 1000


def test_a_refused_part_is_sent_on_the_next_run(cli_env, run_cli, fake_api, tmp_path, home):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", *({"prompt": f"p{i}"} for i in range(4)))
    seen = {"creates": 0, "refuse_second": True}

    def refuse_second(fake, req, match):  # the first part goes through, the second is refused (400)
        seen["creates"] += 1
        if seen["refuse_second"] and seen["creates"] == 2:
            raise invalid("requests: injected refusal")
        return create_batch(fake, req, match)

    fake_api.add_route("POST", BATCHES, refuse_second)
    first = run_cli("batch", "submit", "--split-requests", "2", str(jobs))
    assert first.exit_code == 5, first
    assert "injected refusal" in first.stderr
    assert [p["state"] for p in journal_parts(home)] == ["submitted", "new"]
    seen["refuse_second"] = False
    second = run_cli("batch", "submit", "--split-requests", "2", str(jobs))
    assert second.exit_code == 0, second
    assert len(second.stdout.split()) == 2 and fake_api.batch_creates == 2


def test_dry_run_validates_and_estimates_only(cli_env, run_cli, fake_api, tmp_path, home):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "a", "max_tokens": 1000})
    result = run_cli("batch", "submit", "--dry-run", "--json", "-m", "claude-sonnet-5-5", str(jobs))
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["dry_run"] is True and document["batch_ids"] == [] and document["requests"] == 1
    assert 0 < document["estimated_cost_usd"] < 0.01  # 1,000 output tokens at batch prices
    assert fake_api.batch_creates == 0
    assert not (home / "data" / "batches.db").exists() or journal_parts(home) == []


def test_wait_polls_then_writes_results(cli_env, run_cli, fake_api, tmp_path, ledger_rows):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:2]]"}, {"prompt": "[[batch_error]]"})
    result = run_cli("batch", "submit", "--wait", "--poll-interval", "0.05", str(jobs))
    assert result.exit_code == 0, result
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["custom_id"]: line["status"] for line in lines} == {
        "line-000001": "succeeded",
        "line-000002": "errored",
    }
    assert "batch ids: msgbatch_" in result.stderr
    assert "2 results: 1 succeeded · 1 errored" in result.stderr
    assert [row["custom_id"] for row in ledger_rows()] == ["line-000001"]


def test_wait_with_json_but_no_output_file_is_refused_before_anything_is_sent(
    cli_env, run_cli, fake_api, tmp_path
):
    """stdout would carry the results as JSONL, not the one document --json promises: that was printed after
    the batch was submitted and paid for."""
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:2]]"})
    result = run_cli("batch", "submit", "--wait", "--json", str(jobs))
    assert result.exit_code == 2, result
    document = json.loads(result.stdout)
    assert document["status"] == "error" and "needs -o FILE" in document["error"]
    assert fake_api.batch_creates == 0


def test_budgets_refuse_a_batch_at_batch_prices(cli_env, run_cli, fake_api, tmp_path, write_config):
    write_config("daily_budget = 0.001\n")
    jobs = write_jsonl(tmp_path / "jobs.jsonl", *({"prompt": f"p{i}", "max_tokens": 4000} for i in range(3)))
    refused = run_cli("batch", "submit", "-m", "claude-sonnet-5-5", str(jobs))
    assert refused.exit_code == 9, refused
    assert "this batch could cost up to" in refused.stderr
    assert fake_api.batch_creates == 0
    forced = run_cli("batch", "submit", "-m", "claude-sonnet-5-5", "--force", str(jobs))
    assert forced.exit_code == 0, forced
    assert fake_api.batch_creates == 1


def test_a_daily_budget_counts_batches_not_yet_collected(cli_env, run_cli, fake_api, tmp_path, write_config):
    """A batch is booked in the ledger only when its results are downloaded: until then its worst case counts
    against the budgets, or two nightly submits could each pass a daily budget that both together break."""
    first = write_jsonl(
        tmp_path / "first.jsonl", *({"prompt": f"a{i}", "max_tokens": 4000} for i in range(3))
    )
    second = write_jsonl(
        tmp_path / "second.jsonl", *({"prompt": f"b{i}", "max_tokens": 4000} for i in range(3))
    )
    model = ("-m", "claude-sonnet-5-5")
    estimate = json.loads(run_cli("batch", "submit", *model, "--dry-run", "--json", str(first)).stdout)
    write_config(f"daily_budget = {estimate['estimated_cost_usd'] * 1.5}\n")
    assert run_cli("batch", "submit", *model, str(first)).exit_code == 0
    budgets = json.loads(run_cli("cost", "budget", "--json").stdout)["budgets"]
    daily = next(entry for entry in budgets if entry["budget"] == "daily_budget")
    assert daily["spent_usd"] >= estimate["estimated_cost_usd"] * 0.99  # what the check counts, shown
    refused = run_cli("batch", "submit", *model, str(second))
    assert refused.exit_code == 9, refused
    assert "daily budget" in refused.stderr and fake_api.batch_creates == 1
    refused_ask = run_cli("ask", "--max-tokens", "4000", "hi")  # every command's budget sees it
    assert refused_ask.exit_code == 9, refused_ask
    collected = run_cli("batch", "collect", "--out-dir", str(tmp_path / "out"))
    assert collected.exit_code == 0, collected  # booked now: what it really cost counts, not its worst case
    assert run_cli("batch", "submit", *model, str(second)).exit_code == 0
    assert fake_api.batch_creates == 2


def test_overlapping_runs_do_not_race(cli_env, fake_api, tmp_path):
    import subprocess

    from tests.conftest import subprocess_env

    fake_api.latency = 0.3  # the first run holds the lock while its create call is slow
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "a"}, {"prompt": "b"})
    argv = ["batch", "submit", str(jobs)]
    runs = [
        ForkedPopen(argv, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert len({stdout for stdout, _ in outputs}) == 1
    assert fake_api.batch_creates == 1
