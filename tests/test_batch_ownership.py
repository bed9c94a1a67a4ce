"""A lost create never takes another submitter's batch: two data dirs (two CLAUDECLI_HOME) share one fake
API workspace. Real subprocesses, real SDK, real HTTP, real journals and ledgers."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakeapi import Fault

BATCHES = "/v1/messages/batches"


def write_jsonl(path: Path, *lines: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def home_b(tmp_path: Path) -> Path:
    path = tmp_path / "home-b"
    path.mkdir()
    return path


@pytest.fixture
def users(run_cli, home: Path, home_b: Path):
    """``a`` and ``b``: the CLI run with each user's own data dir, against the same API and key."""

    def as_user(user_home: Path):
        return lambda *args: run_cli(*args, env={"CLAUDECLI_HOME": str(user_home)})

    return as_user(home), as_user(home_b)


def ledger(user_home: Path) -> set[tuple[str, str]]:
    path = user_home / "data" / "usage.db"
    if not path.exists():
        return set()
    with sqlite3.connect(path) as conn:
        return set(conn.execute("SELECT batch_id, custom_id FROM calls"))


def result_ids(path: Path) -> list[str]:
    return sorted(json.loads(line)["custom_id"] for line in path.read_text(encoding="utf-8").splitlines())


def close_create_window(user_home: Path) -> None:
    """Move the lost create call an hour back: it can no longer produce a batch."""
    started = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    with sqlite3.connect(user_home / "data" / "batches.db") as conn:
        conn.execute("UPDATE parts SET create_started_at = ? WHERE state = 'creating'", (started,))


JOBS_A = ({"id": "alpha", "prompt": "[[words:2]] a"}, {"id": "beta", "prompt": "[[words:2]] b"})
JOBS_B = ({"prompt": "[[words:2]] x"}, {"prompt": "[[words:2]] y"})  # same count, generated ids


def test_a_lost_create_does_not_adopt_or_book_another_submitters_batch(
    cli_env, users, fake_api, tmp_path, home, home_b
):
    a, b = users
    fake_api.batch_mode = "manual"
    jobs_a, jobs_b = (
        write_jsonl(tmp_path / "a" / "jobs.jsonl", *JOBS_A),
        write_jsonl(tmp_path / "b" / "jobs.jsonl", *JOBS_B),
    )
    theirs = b("batch", "submit", "--name", "nightly", str(jobs_b))
    assert theirs.exit_code == 0, theirs
    (their_id,) = theirs.stdout.split()

    fake_api.enqueue(Fault.status(500, "api_error", "boom"), path=BATCHES)  # A's create: no answer to trust
    lost = a("batch", "submit", "--name", "nightly", str(jobs_a))
    assert lost.exit_code == 7 and lost.stdout == "", lost
    assert "recovered" not in lost.stderr and f"{their_id} could be it: unverified" in lost.stderr
    rerun = a("batch", "submit", "--name", "nightly", str(jobs_a))  # B's batch still runs: nothing decided
    assert rerun.exit_code == 8 and rerun.stdout == "", rerun
    assert f"{their_id} could be the batch it made" in rerun.stderr and "not adopted" in rerun.stderr
    (listed,) = json.loads(a("batch", "list", "--json").stdout)["items"]
    assert (listed["state"], listed["batch_id"], listed["unverified_candidates"]) == ("creating", None, 1)

    fake_api.finish_batch(their_id)
    close_create_window(home)
    out_a = tmp_path / "out-a"
    collected = a("batch", "collect", "--out-dir", str(out_a))
    assert collected.exit_code == 0 and collected.stdout == "", collected
    assert f"{their_id} is not part 1's batch" in collected.stderr
    assert "run the same `claudecli batch submit` again" in collected.stderr
    assert ledger(home) == set() and not (out_a / "nightly.jsonl").exists()

    sent = a("batch", "submit", "--name", "nightly", str(jobs_a))
    assert sent.exit_code == 0, sent
    (my_id,) = sent.stdout.split()
    assert my_id != their_id and fake_api.batch_creates == 2  # B's, then A's: exactly once
    assert a("batch", "submit", "--name", "nightly", str(jobs_a)).stdout == sent.stdout
    assert fake_api.batch_creates == 2

    fake_api.finish_batch(my_id)
    assert a("batch", "collect", "--out-dir", str(out_a)).exit_code == 0
    assert result_ids(out_a / "nightly.jsonl") == ["alpha", "beta"]
    assert ledger(home) == {(my_id, "alpha"), (my_id, "beta")}

    out_b = tmp_path / "out-b"  # B is untouched: its batch, its ids, its ledger
    assert b("batch", "collect", "--out-dir", str(out_b)).exit_code == 0
    assert result_ids(out_b / "nightly.jsonl") == ["line-000001", "line-000002"]
    assert ledger(home_b) == {(their_id, "line-000001"), (their_id, "line-000002")}


def test_only_the_batch_whose_results_carry_our_tag_is_adopted(cli_env, users, fake_api, tmp_path, home):
    a, b = users
    fake_api.batch_mode = "manual"
    theirs = b("batch", "submit", str(write_jsonl(tmp_path / "b" / "jobs.jsonl", *JOBS_B)))
    (their_id,) = theirs.stdout.split()
    fake_api.enqueue(Fault.drop_after(0), path=BATCHES)  # A's batch is made, the answer is lost
    jobs_a = write_jsonl(tmp_path / "a" / "jobs.jsonl", *JOBS_A)
    lost = a("batch", "submit", "--name", "mine", str(jobs_a))
    assert lost.exit_code == 8 and lost.stdout == "", lost
    (my_id,) = set(fake_api.batches) - {their_id}
    assert my_id in lost.stderr and their_id in lost.stderr  # both fit: neither is taken on sight

    for batch_id in (their_id, my_id):
        fake_api.finish_batch(batch_id)
    status = a("batch", "status", "mine")  # decides: the results prove which one is A's
    assert status.exit_code == 0, status
    header, row = status.stdout.splitlines()
    assert header.startswith("BATCH") and row.split()[:3] == [my_id, "mine", "ended"]
    assert f"recovered batch {my_id}" in status.stderr
    with sqlite3.connect(home / "data" / "batches.db") as conn:
        verdicts = set(conn.execute("SELECT batch_id, verdict FROM candidates"))
    assert verdicts == {(my_id, "ours"), (their_id, "not_ours")}

    out_a = tmp_path / "out-a"
    assert a("batch", "collect", "--out-dir", str(out_a)).exit_code == 0
    assert result_ids(out_a / "mine.jsonl") == ["alpha", "beta"]
    assert ledger(home) == {(my_id, "alpha"), (my_id, "beta")}
    assert fake_api.batch_creates == 2 and len(fake_api.requests_to(BATCHES, method="POST")) == 2


def test_an_ended_candidate_is_decided_in_the_same_run(cli_env, users, fake_api, tmp_path):
    a, b = users  # batches end as they are made: the results can be checked at once
    (their_id,) = b(
        "batch", "submit", str(write_jsonl(tmp_path / "b" / "jobs.jsonl", *JOBS_B))
    ).stdout.split()
    fake_api.enqueue(Fault.drop_after(0), path=BATCHES)
    mine = a("batch", "submit", str(write_jsonl(tmp_path / "a" / "jobs.jsonl", *JOBS_A)))
    assert mine.exit_code == 0, mine
    (my_id,) = set(fake_api.batches) - {their_id}
    assert mine.stdout == f"{my_id}\n" and fake_api.batch_creates == 2
    assert f"recovered batch {my_id}" in mine.stderr
