"""`batch list/status/results/cancel/delete/collect` end to end against the fake API, with a real journal
and a real ledger."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path

from claudecli.batch.lock import batch_lock
from claudecli.core.usage import TokenUsage
from claudecli.money.price_book import PriceBook
from tests.conftest import assert_no_traceback
from tests.fakeapi import Fault


def write_jsonl(path: Path, *lines: dict) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


BATCHES = "/v1/messages/batches"


def submit(run_cli, path: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    result = run_cli("batch", "submit", str(path), *args, env=env)
    assert result.exit_code == 0, result
    return result.stdout.split()


def test_cancel_status_and_results_of_a_canceled_batch(cli_env, run_cli, fake_api, tmp_path):
    fake_api.batch_mode = "manual"
    (batch_id,) = submit(
        run_cli, write_jsonl(tmp_path / "a.jsonl", {"prompt": "x"}, {"prompt": "y"}), "--name", "nightly"
    )
    early = run_cli("batch", "results", "nightly")
    assert early.exit_code == 2 and "has not ended yet" in early.stderr

    canceled = run_cli("batch", "cancel", "nightly")
    assert canceled.exit_code == 0, canceled
    header, row = canceled.stdout.splitlines()  # a plain table when piped
    assert header.split()[:4] == ["BATCH", "NAME", "STATUS", "DONE"]
    assert row.split()[:4] == [batch_id, "nightly", "canceling", "0/2"]
    status = run_cli("batch", "status", "--json", batch_id)
    (doc,) = json.loads(status.stdout)["items"]
    assert (
        doc["processing_status"] == "ended"
        and doc["request_counts"]["canceled"] == 2
        and doc["name"] == "nightly"
    )
    results = run_cli("batch", "results", "nightly")
    assert [json.loads(line)["status"] for line in results.stdout.splitlines()] == ["canceled", "canceled"]
    assert "2 canceled" in results.stderr
    again = run_cli("batch", "cancel", batch_id)  # the API refuses to cancel an ended batch
    assert again.exit_code == 5 and "already ended" in again.stderr
    assert_no_traceback(again.stderr)


def test_results_join_custom_ids_with_errored_and_expired_lines(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(
        tmp_path / "jobs.jsonl",
        {"id": "ok-1", "prompt": "[[words:3]]"},
        {"id": "bad-2", "prompt": "[[batch_error]]"},
        {"id": "late-3", "prompt": "[[expire]]"},
        {"id": "ok-4", "prompt": "[[words:1]]", "model": "claude-haiku-5-5"},
    )
    (batch_id,) = submit(run_cli, jobs)
    out = tmp_path / "out" / "results.jsonl"
    out.parent.mkdir()  # claudecli creates no directory the user did not name (see test_names.py)
    result = run_cli("batch", "results", batch_id, "-o", str(out))
    assert result.exit_code == 0, result
    assert result.stdout == ""
    assert "4 results: 2 succeeded · 1 errored · 0 canceled · 1 expired" in result.stderr
    lines = {doc["custom_id"]: doc for doc in map(json.loads, out.read_text().splitlines())}
    assert set(lines) == {"ok-1", "bad-2", "late-3", "ok-4"}
    assert lines["ok-1"]["text"] == "w1 w2 w3" and lines["ok-1"]["usage"]["output_tokens"] == 3
    usage = TokenUsage(**lines["ok-4"]["usage"])
    expected = PriceBook().cost("claude-haiku-5-5", usage, batch=True)
    assert Decimal(str(lines["ok-4"]["cost_usd"])) == expected
    assert lines["bad-2"]["error"]["type"] == "invalid_request_error"
    assert lines["late-3"] == {"custom_id": "late-3", "status": "expired"}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert os.listdir(out.parent) == ["results.jsonl"]  # written atomically: no temp file left

    as_csv = run_cli("batch", "results", batch_id, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {row["custom_id"]: row["status"] for row in rows}["bad-2"] == "errored"
    as_text = run_cli("batch", "results", batch_id, "--format", "text")
    assert "==> ok-1 <==\nw1 w2 w3\n" in as_text.stdout and "==> late-3 [expired] <==" in as_text.stdout


def test_collect_is_idempotent_and_books_batch_prices(cli_env, run_cli, fake_api, tmp_path, ledger_rows):
    fake_api.batch_mode = "manual"
    out_dir = tmp_path / "collected"
    (named,) = submit(
        run_cli,
        write_jsonl(tmp_path / "a.jsonl", {"prompt": "[[words:4]]"}, {"prompt": "[[batch_error]]"}),
        "--name",
        "daily",
    )
    (unnamed,) = submit(
        run_cli, write_jsonl(tmp_path / "b.jsonl", {"prompt": "[[words:2]]", "model": "claude-opus-5-5"})
    )

    nothing = run_cli("batch", "collect", "--out-dir", str(out_dir))
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert "nothing to collect (2 batch(es) still processing)" in nothing.stderr

    fake_api.finish_batch(named)
    first = run_cli("batch", "collect", "--out-dir", str(out_dir))
    assert first.exit_code == 0, first
    assert first.stdout == f"{out_dir / 'daily.jsonl'}\n"
    fake_api.finish_batch(unnamed)
    second = run_cli("batch", "collect", "--out-dir", str(out_dir))
    assert second.stdout == f"{out_dir / (unnamed + '.jsonl')}\n"
    rows = ledger_rows()
    assert len(rows) == 2  # one per succeeded result; the errored one costs nothing and is not booked
    for row in rows:
        assert row["command"] == "batch" and row["is_batch"] == 1 and row["status"] == "ok"
        usage = TokenUsage(
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cache_write_5m_tokens=row["cache_write_5m_tokens"],
            cache_read_tokens=row["cache_read_tokens"],
        )
        assert Decimal(str(row["cost_usd"])) == PriceBook().cost(row["model"], usage, batch=True)
        assert row["list_cost_usd"] == 2 * row["cost_usd"]
    assert {(row["batch_id"], row["custom_id"]) for row in rows} == {
        (named, "line-000001"),
        (unnamed, "line-000001"),
    }

    for _ in range(2):  # again, and once more through `results`: nothing is booked twice
        again = run_cli("batch", "collect", "--out-dir", str(out_dir))
        assert again.exit_code == 0 and again.stdout == "" and "nothing to collect" in again.stderr
    assert run_cli("batch", "results", "daily").exit_code == 0
    assert len(ledger_rows()) == 2
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(["daily.jsonl", unnamed + ".jsonl"])

    listed = json.loads(run_cli("batch", "list", "--json").stdout)["items"]
    assert [(item["name"], item["booked"], bool(item["collected_at"])) for item in listed] == [
        (None, True, True),
        ("daily", True, True),
    ]


def test_collect_exits_0_when_another_run_holds_the_lock(cli_env, run_cli, fake_api, tmp_path, home):
    with batch_lock(home / "data", wait=0):
        result = run_cli("batch", "collect", "--out-dir", str(tmp_path / "out"))
    assert result.exit_code == 0, result
    assert "holds the batch lock" in result.stderr


def test_delete_list_and_unknown_names(cli_env, run_cli, fake_api, tmp_path):
    fake_api.batch_mode = "manual"
    (batch_id,) = submit(run_cli, write_jsonl(tmp_path / "a.jsonl", {"prompt": "x"}), "--name", "tmp")
    busy = run_cli("batch", "delete", "tmp")
    assert busy.exit_code == 5 and "cancel it first" in busy.stderr
    fake_api.finish_batch(batch_id)
    deleted = run_cli("batch", "delete", "tmp")
    assert deleted.exit_code == 0 and deleted.stdout == f"{batch_id}\n"
    assert batch_id not in fake_api.batches
    listing = run_cli("batch", "list")
    assert listing.exit_code == 0
    header, row = listing.stdout.splitlines()
    assert header.split()[:3] == ["NAME", "BATCH", "STATUS"] and row.split()[:3] == [
        "tmp",
        batch_id,
        "deleted",
    ]
    missing = run_cli("batch", "status", "no-such-name")
    assert missing.exit_code == 4 and "no-such-name" in missing.stderr
    gone = run_cli("batch", "status", "msgbatch_01doesnotexist")
    assert gone.exit_code == 4


def test_results_of_a_batch_submitted_elsewhere_are_not_booked(cli_env, run_cli, fake_api, ledger_rows):
    import anthropic

    client = anthropic.Anthropic(base_url=fake_api.base_url)
    params = {
        "model": "claude-haiku-5-5",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": "[[words:2]]"}],
    }
    batch = client.messages.batches.create(requests=[{"custom_id": "mine", "params": params}])
    result = run_cli("batch", "results", batch.id)
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["text"] == "w1 w2"
    assert ledger_rows() == []  # not in the journal: claudecli did not submit it, so it does not book it


def test_profiles_keep_their_own_batches(cli_env, run_cli, fake_api, tmp_path, home, write_config):
    write_config("[profiles.a]\nmax_tokens = 100\n[profiles.b]\nmax_tokens = 100\n")
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "x"})
    (from_a,) = submit(run_cli, jobs, "--name", "nightly", env={"CLAUDECLI_PROFILE": "a"})
    (from_b,) = submit(run_cli, jobs, "--name", "nightly", env={"CLAUDECLI_PROFILE": "b"})
    assert from_a != from_b and fake_api.batch_creates == 2  # not answered with a's id

    out_dir = tmp_path / "out"
    collected = run_cli("--profile", "b", "batch", "collect", "--out-dir", str(out_dir))
    assert collected.exit_code == 0, collected
    assert collected.stdout == f"{out_dir / 'nightly.jsonl'}\n"
    assert fake_api.requests_to(f"{BATCHES}/{from_a}") == []  # b never asks its API about a's batch
    with sqlite3.connect(home / "data" / "batches.db") as conn:
        states = dict(conn.execute("SELECT batch_id, state || ':' || (collected_at IS NULL) FROM parts"))
    assert states == {from_a: "submitted:1", from_b: "submitted:0"}  # a's waits for a collect under a

    refused = run_cli("--profile", "b", "batch", "status", from_a)
    assert refused.exit_code == 4 and "use --profile a" in refused.stderr


def test_delete_books_a_batch_never_downloaded_first(cli_env, run_cli, fake_api, tmp_path, ledger_rows):
    """Deleted, a batch's results are gone: an ended journaled batch that was never downloaded is booked
    before the delete, or the requests it was billed for would never reach the ledger."""
    jobs = write_jsonl(tmp_path / "a.jsonl", {"id": "a", "prompt": "[[words:9]]"}, {"id": "b", "prompt": "x"})
    (batch_id,) = submit(run_cli, jobs, "--name", "gone")
    deleted = run_cli("batch", "delete", "gone")
    assert deleted.exit_code == 0 and deleted.stdout == f"{batch_id}\n", deleted
    assert batch_id not in fake_api.batches
    rows = [row for row in ledger_rows() if row["batch_id"] == batch_id]
    assert sorted(row["custom_id"] for row in rows) == ["a", "b"]
    assert all(row["command"] == "batch" and row["cost_usd"] > 0 for row in rows)
    assert run_cli("batch", "collect", "--out-dir", str(tmp_path / "out")).exit_code == 0
    assert len([row for row in ledger_rows() if row["batch_id"] == batch_id]) == 2  # never twice


def test_a_results_line_sent_twice_is_booked_once(cli_env, run_cli, fake_api, tmp_path, ledger_rows):
    """One request, one ledger row: a results stream that repeats a line (a replaying proxy) books it once."""
    jobs = write_jsonl(tmp_path / "a.jsonl", {"id": "a", "prompt": "[[words:9]]"}, {"id": "b", "prompt": "x"})
    (batch_id,) = submit(run_cli, jobs)
    body = fake_api.batches[batch_id].results_jsonl()
    first = body.splitlines(keepends=True)[0]
    fake_api.enqueue(
        Fault.body(body + first, content_type="application/binary"), f"{BATCHES}/{batch_id}/results"
    )
    result = run_cli("batch", "results", batch_id)
    assert result.exit_code == 0, result
    rows = [row for row in ledger_rows() if row["batch_id"] == batch_id]
    assert sorted(row["custom_id"] for row in rows) == ["a", "b"]


def test_a_wait_outlives_a_passing_api_failure(cli_env, run_cli, fake_api, tmp_path):
    """`submit --wait` / `status --watch` poll for hours: a poll failing with a 5xx (after the client's own
    retries) is tried again at the next interval instead of ending the wait."""
    jobs = write_jsonl(tmp_path / "a.jsonl", {"id": "a", "prompt": "[[words:2]]"})
    (batch_id,) = submit(run_cli, jobs, "--name", "n")
    for _ in range(2):
        fake_api.enqueue(Fault.status(500, "api_error", "blip"), f"{BATCHES}/{batch_id}")
    env = {"CLAUDECLI_MAX_RETRIES": "0"}
    watched = run_cli("batch", "status", "n", "--watch", "--poll-interval", "0.05", "--json", env=env)
    assert watched.exit_code == 0, watched
    assert json.loads(watched.stdout)["items"][0]["processing_status"] == "ended"
    assert "trying again" in watched.stderr and fake_api.pending_faults() == 0
    assert_no_traceback(watched.stderr)


def test_list_shows_the_journal_when_the_api_fails(cli_env, run_cli, fake_api, tmp_path):
    """`batch list` is the journal's listing, refreshed from the API: an API that fails leaves it as last
    recorded, with a warning, instead of no listing at all."""
    fake_api.batch_mode = "manual"
    jobs = write_jsonl(tmp_path / "a.jsonl", {"id": "a", "prompt": "x"})
    (batch_id,) = submit(run_cli, jobs, "--name", "n")
    fake_api.enqueue(Fault.status(500, "api_error", "down"), f"{BATCHES}/{batch_id}")
    listed = run_cli("batch", "list", "--json", env={"CLAUDECLI_MAX_RETRIES": "0"})
    assert listed.exit_code == 0, listed
    (item,) = json.loads(listed.stdout)["items"]
    assert item["batch_id"] == batch_id and item["processing_status"] in ("in_progress", None), item
    assert "shown as last recorded" in listed.stderr and fake_api.pending_faults() == 0
