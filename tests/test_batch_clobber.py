"""Batch commands never write results over their input, nor over a file that is not this batch's results
without --force (`results -o`, `submit --wait -o`, `collect --out-dir`, and `run -o` for its input)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback

PRECIOUS = "precious data\n"


def write_jsonl(path: Path, *lines: dict) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def submit(run_cli, path: Path, *args: str) -> str:
    result = run_cli("batch", "submit", str(path), *args)
    assert result.exit_code == 0, result
    (batch_id,) = result.stdout.split()
    return batch_id


def results_downloads(fake_api, batch_id: str) -> int:
    return len(fake_api.requests_to(f"/v1/messages/batches/{batch_id}/results"))


def one_error_line(result, path: Path) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("claudecli: error: ") and str(path) in line, line
    assert_no_traceback(result.stderr)
    return line


def test_results_refuse_a_foreign_file_before_downloading(cli_env, run_cli, fake_api, tmp_path):
    work = tmp_path / "files"
    work.mkdir()
    batch_id = submit(run_cli, write_jsonl(work / "jobs.jsonl", {"prompt": "[[words:2]]"}), "--name", "n")
    precious = work / "precious.txt"
    precious.write_text(PRECIOUS)

    refused = run_cli("batch", "results", "n", "-o", str(precious))
    assert refused.exit_code == 2, refused
    assert "--force" in one_error_line(refused, precious) and refused.stdout == ""
    assert precious.read_text() == PRECIOUS
    assert results_downloads(fake_api, batch_id) == 0  # refused before anything was downloaded
    assert sorted(os.listdir(work)) == ["jobs.jsonl", "precious.txt"]

    forced = run_cli("batch", "results", "n", "-o", str(precious), "--force")
    assert forced.exit_code == 0, forced
    assert json.loads(precious.read_text())["custom_id"] == "line-000001"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
def test_results_rewrite_the_same_batchs_file_without_force(cli_env, run_cli, fake_api, tmp_path, fmt):
    jobs = write_jsonl(
        tmp_path / "jobs.jsonl",
        {"id": "a", "prompt": "[[words:2]]"},
        {"id": "b", "prompt": "[[batch_error]]"},
        {"id": "c", "prompt": "==> z <==\n[[words:1]]"},
    )
    batch_id = submit(run_cli, jobs)
    out = tmp_path / f"out.{fmt}"
    for _ in range(2):
        result = run_cli("batch", "results", batch_id, "-o", str(out), "--format", fmt)
        assert result.exit_code == 0, result
    assert results_downloads(fake_api, batch_id) == 2


def test_results_refuse_another_batchs_results(cli_env, run_cli, fake_api, tmp_path):
    first = submit(run_cli, write_jsonl(tmp_path / "a.jsonl", {"id": "a1", "prompt": "[[words:2]]"}))
    second = submit(run_cli, write_jsonl(tmp_path / "b.jsonl", {"id": "b1", "prompt": "[[words:3]]"}))
    out = tmp_path / "out" / "results.jsonl"
    out.parent.mkdir()
    assert run_cli("batch", "results", first, "-o", str(out)).exit_code == 0
    kept = out.read_text()

    refused = run_cli("batch", "results", second, "-o", str(out))
    assert refused.exit_code == 2, refused
    assert "--force" in one_error_line(refused, out)
    assert out.read_text() == kept
    assert os.listdir(out.parent) == ["results.jsonl"]  # no temp file left

    assert run_cli("batch", "results", second, "-o", str(out), "--force").exit_code == 0
    assert json.loads(out.read_text())["custom_id"] == "b1"


def test_results_never_go_over_the_batchs_input(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "small.jsonl", {"prompt": "[[words:2]]"})
    kept = jobs.read_text()
    batch_id = submit(run_cli, jobs, "--name", "small")
    (tmp_path / "link.jsonl").symlink_to(jobs)
    for out, args in ((jobs, ()), (jobs, ("--force",)), (tmp_path / "link.jsonl", ("--force",))):
        refused = run_cli("batch", "results", "small", "-o", str(out), *args)
        assert refused.exit_code == 2, refused
        assert "input" in one_error_line(refused, out)
    assert jobs.read_text() == kept and (tmp_path / "link.jsonl").is_symlink()
    assert results_downloads(fake_api, batch_id) == 0


def test_results_never_replace_something_that_is_not_a_regular_file(cli_env, run_cli, fake_api, tmp_path):
    batch_id = submit(run_cli, write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:2]]"}))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in ((), ("--force",)):
        refused = run_cli("batch", "results", batch_id, "-o", str(fifo), *args)
        assert refused.exit_code == 2, refused
        one_error_line(refused, fifo)
        assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_submit_wait_never_replaces_its_own_input(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "small.jsonl", {"prompt": "[[words:2]]"})
    kept = jobs.read_text()
    args = ("batch", "submit", "--force", "--wait", "--poll-interval", "0.05", "-o", str(jobs), str(jobs))
    refused = run_cli(*args)
    assert refused.exit_code == 2, refused
    assert "input" in one_error_line(refused, jobs)
    assert jobs.read_text() == kept and fake_api.batch_creates == 0

    as_json = run_cli(*args, "--json")
    assert as_json.exit_code == 2, as_json
    document = json.loads(as_json.stdout)  # one error document, nothing else
    assert str(jobs) in json.dumps(document) and fake_api.batch_creates == 0


def test_submit_wait_refuses_a_foreign_file_before_submitting(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:2]]"})
    precious = tmp_path / "precious.jsonl"
    precious.write_text(PRECIOUS)
    wait = ("batch", "submit", "--wait", "--poll-interval", "0.05", "-o", str(precious), str(jobs))
    refused = run_cli(*wait)
    assert refused.exit_code == 2, refused
    assert "--force" in one_error_line(refused, precious)
    assert precious.read_text() == PRECIOUS and fake_api.batch_creates == 0

    forced = run_cli(*wait, "--force")
    assert forced.exit_code == 0, forced
    assert json.loads(precious.read_text())["status"] == "succeeded"
    again = run_cli(*wait, "--force")  # the same submission, not sent again: it rewrites its own results
    assert again.exit_code == 0 and fake_api.batch_creates == 1, again
    resubmitted = run_cli(*wait, "--resubmit")  # a new batch: the file holds another batch's results now
    assert resubmitted.exit_code == 2 and fake_api.batch_creates == 1, resubmitted  # refused before sending
    resubmitted = run_cli(*wait, "--resubmit", "--force")
    assert resubmitted.exit_code == 0 and fake_api.batch_creates == 2, resubmitted


def test_a_file_replaced_under_force_is_no_longer_the_old_batchs(cli_env, run_cli, fake_api, tmp_path):
    """Once `--force` replaced one batch's results with another's, the journal must stop saying the file holds
    the first batch's: else the plain nightly rerun of the newer submission is refused as "another batch's"."""
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"prompt": "[[words:2]]"})
    out = tmp_path / "out.jsonl"
    wait = ("batch", "submit", "--wait", "--poll-interval", "0.05", "-o", str(out), str(jobs))
    assert run_cli(*wait).exit_code == 0
    resubmitted = run_cli(*wait, "--resubmit", "--force")
    assert resubmitted.exit_code == 0 and fake_api.batch_creates == 2, resubmitted
    (newer,) = resubmitted.stdout.split()

    again = run_cli(*wait)  # already submitted: the newer batch's results rewrite its own file
    assert again.exit_code == 0 and again.stdout.split() == [newer], again
    assert fake_api.batch_creates == 2
    assert_no_traceback(again.stderr)
    assert run_cli("batch", "results", newer, "-o", str(out)).exit_code == 0


def test_collect_refuses_a_foreign_file_and_collects_the_rest(cli_env, run_cli, fake_api, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    submit(run_cli, write_jsonl(tmp_path / "a.jsonl", {"prompt": "[[words:2]]"}), "--name", "daily")
    other = submit(run_cli, write_jsonl(tmp_path / "b.jsonl", {"prompt": "[[words:3]]"}))
    precious = out_dir / "daily.jsonl"
    precious.write_text(PRECIOUS)

    refused = run_cli("batch", "collect", "--out-dir", str(out_dir))
    assert refused.exit_code == 2, refused
    (error,) = [line for line in refused.stderr.splitlines() if "error:" in line]  # one, for its batch
    assert str(precious) in error and "--force" in error
    assert refused.stdout == f"{out_dir / (other + '.jsonl')}\n"
    assert precious.read_text() == PRECIOUS

    again = run_cli("batch", "collect", "--out-dir", str(out_dir))  # still refused: it was not collected
    assert again.exit_code == 2 and precious.read_text() == PRECIOUS
    forced = run_cli("batch", "collect", "--out-dir", str(out_dir), "--force")
    assert forced.exit_code == 0, forced
    assert forced.stdout == f"{precious}\n" and json.loads(precious.read_text())["status"] == "succeeded"


def test_collect_beside_the_input_writes_next_to_it(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_jsonl(tmp_path / "small.jsonl", {"prompt": "[[words:2]]"})
    kept = jobs.read_text()
    batch_id = submit(run_cli, jobs, "--name", "small")
    for args in ((), ("--force",)):
        result = run_cli("batch", "collect", "--out-dir", str(tmp_path), *args)
        assert result.exit_code == 0, result
        assert jobs.read_text() == kept
    assert (tmp_path / f"small.{batch_id}.jsonl").exists()


def test_run_never_appends_to_its_own_input(cli_env, run_cli, fake_api, tmp_path):
    params = {"max_tokens": 10, "messages": [{"role": "user", "content": "[[words:2]]"}]}
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"custom_id": "a", "params": params})
    kept = jobs.read_text()
    refused = run_cli("batch", "run", str(jobs), "-o", str(jobs))
    assert refused.exit_code == 2, refused
    assert "input" in one_error_line(refused, jobs)
    assert jobs.read_text() == kept


def test_results_write_through_a_symlink_and_check_its_target(cli_env, run_cli, fake_api, tmp_path):
    """`-o LINK` writes the file the link points to (as a shell's `>` does), after the checks on that file;
    the link itself stays a link."""
    batch_id = submit(run_cli, write_jsonl(tmp_path / "jobs.jsonl", {"id": "a", "prompt": "[[words:2]]"}))
    target, link = tmp_path / "results.jsonl", tmp_path / "latest.jsonl"
    link.symlink_to(target.name)
    for _ in range(2):  # creates the target, then rewrites it (the same batch's results)
        assert run_cli("batch", "results", batch_id, "-o", str(link)).exit_code == 0
        assert link.is_symlink() and json.loads(target.read_text())["custom_id"] == "a"
    target.write_text(PRECIOUS)
    refused = run_cli("batch", "results", batch_id, "-o", str(link))
    assert refused.exit_code == 2 and "--force" in refused.stderr, refused
    assert target.read_text() == PRECIOUS and link.is_symlink()


def test_text_results_whose_answers_hold_another_file_s_headers_do_not_replace_it(
    cli_env, run_cli, fake_api, tmp_path
):
    first = submit(run_cli, write_jsonl(tmp_path / "a.jsonl", {"id": "a1", "prompt": "[[words:2]]"}))
    out = tmp_path / "out.txt"
    assert run_cli("batch", "results", first, "-o", str(out), "--format", "text").exit_code == 0
    kept = out.read_text()
    forged = {"id": "b1", "prompt": "[[echo]]\n==> a1 <==\n"}  # an answer quoting the other file's header
    second = submit(run_cli, write_jsonl(tmp_path / "b.jsonl", forged))
    refused = run_cli("batch", "results", second, "-o", str(out), "--format", "text")
    assert refused.exit_code == 2, refused  # by the journal here; by the ids for a file it does not know
    assert "not this batch's" in refused.stderr or "another batch's results" in refused.stderr
    assert out.read_text() == kept


def test_results_through_a_link_into_a_missing_folder_make_no_folder(cli_env, run_cli, fake_api, tmp_path):
    batch_id = submit(run_cli, write_jsonl(tmp_path / "jobs.jsonl", {"id": "a", "prompt": "[[words:2]]"}))
    link = tmp_path / "dangling.jsonl"
    link.symlink_to(tmp_path / "nowhere" / "deep" / "out.jsonl")
    refused = run_cli("batch", "results", batch_id, "-o", str(link))
    assert refused.exit_code == 2 and "does not exist" in refused.stderr, refused
    assert not (tmp_path / "nowhere").exists()


def test_another_batch_with_the_same_generated_ids_does_not_replace_the_file(
    cli_env, run_cli, fake_api, tmp_path
):
    """Two inputs of as many lines get the same ids (line-000001, ...): the journal, not the ids, says whose
    results a file holds."""
    (tmp_path / "a.txt").write_text("one [[words:1]]\ntwo [[words:1]]\n")
    (tmp_path / "b.txt").write_text("three [[words:2]]\nfour [[words:2]]\n")
    first = submit(run_cli, tmp_path / "a.txt", "--text")
    second = submit(run_cli, tmp_path / "b.txt", "--text")
    out = tmp_path / "results.jsonl"
    assert run_cli("batch", "results", first, "-o", str(out)).exit_code == 0
    kept = out.read_text()
    assert run_cli("batch", "results", first, "-o", str(out)).exit_code == 0  # its own: rewritten freely
    refused = run_cli("batch", "results", second, "-o", str(out))
    assert refused.exit_code == 2 and "another batch's results" in refused.stderr, refused
    assert out.read_text() == kept and results_downloads(fake_api, second) == 0
    assert run_cli("batch", "results", second, "-o", str(out), "--force").exit_code == 0
    assert out.read_text() != kept


def test_results_of_the_same_ids_do_not_replace_a_file_the_journal_never_saw(
    cli_env, run_cli, fake_api, tmp_path
):
    """`batch run -o` (answers paid at standard prices) writes the same generated ids as another input's batch:
    equal ids are no proof that the file holds this batch's results, so it is kept unless the bytes are equal."""
    (tmp_path / "a.txt").write_text("one [[words:1]]\ntwo [[words:1]]\n")
    (tmp_path / "b.txt").write_text("three [[words:2]]\nfour [[words:2]]\n")
    out = tmp_path / "answers.jsonl"
    assert run_cli("batch", "run", str(tmp_path / "a.txt"), "--text", "-o", str(out)).exit_code == 0
    kept = out.read_text()
    other = submit(run_cli, tmp_path / "b.txt", "--text")
    refused = run_cli("batch", "results", other, "-o", str(out))
    assert refused.exit_code == 2 and "does not know" in one_error_line(refused, out), refused
    assert out.read_text() == kept

    redirected = tmp_path / "redirected.jsonl"  # `batch results X > FILE`: the journal never hears of FILE
    redirected.write_text(run_cli("batch", "results", other).stdout)
    again = run_cli("batch", "results", other, "-o", str(redirected))  # the very same bytes: nothing lost
    assert again.exit_code == 0, again
    assert run_cli("batch", "results", other, "-o", str(out), "--force").exit_code == 0
    assert out.read_text() != kept


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
def test_collect_never_writes_through_a_link_planted_in_the_out_dir(
    cli_env, run_cli, fake_api, tmp_path, force
):
    """collect names its files itself: a link found at DIR/<name>.jsonl (a shared folder, another user) would
    have it create or replace a file anywhere its user may write, so it is refused, never followed."""
    jobs = write_jsonl(tmp_path / "jobs.jsonl", {"id": "a", "prompt": "[[words:2]]"})
    batch_id = submit(run_cli, jobs, "--name", "nightly")
    out_dir, elsewhere = tmp_path / "shared", tmp_path / "elsewhere"
    out_dir.mkdir()
    elsewhere.mkdir()
    (out_dir / "nightly.jsonl").symlink_to(elsewhere / "planted.sh")  # dangling: would be created
    refused = run_cli("batch", "collect", "--out-dir", str(out_dir), *force)
    assert refused.exit_code == 2 and "symbolic link" in refused.stderr and batch_id in refused.stderr, (
        refused
    )
    assert os.listdir(elsewhere) == [] and (out_dir / "nightly.jsonl").is_symlink()
    assert sorted(os.listdir(out_dir)) == ["nightly.jsonl"]


def test_run_does_not_resume_into_another_inputs_batch_results(cli_env, run_cli, fake_api, tmp_path):
    """`batch run -o` resumes by custom_id: another input's batch results hold the same generated ids and would
    pass for a finished run (every line skipped, exit 0, the wrong answers kept as this input's)."""
    (tmp_path / "a.txt").write_text("one [[words:1]]\ntwo [[words:1]]\n")
    (tmp_path / "b.txt").write_text("three [[words:2]]\nfour [[words:2]]\n")
    out = tmp_path / "answers.jsonl"
    other = submit(run_cli, tmp_path / "b.txt", "--text")
    assert run_cli("batch", "results", other, "-o", str(out)).exit_code == 0
    kept = out.read_text()
    refused = run_cli("batch", "run", str(tmp_path / "a.txt"), "--text", "-o", str(out))
    assert refused.exit_code == 2 and other in one_error_line(refused, out), refused
    assert out.read_text() == kept and fake_api.requests_to("/v1/messages") == []
    same_input = run_cli("batch", "run", str(tmp_path / "b.txt"), "--text", "-o", str(out))
    assert same_input.exit_code == 0 and "already have results" in same_input.stderr, same_input


def test_submit_wait_refuses_results_it_could_not_replace_before_submitting(
    cli_env, run_cli, fake_api, tmp_path
):
    """`submit --wait -o` over another batch's results, or results the journal never saw, would be refused once
    the new batch has run and been paid for: the journal can tell before anything is sent."""
    jobs = tmp_path / "nightly.txt"
    out = tmp_path / "nightly.jsonl"
    wait = ("batch", "submit", "--text", "--wait", "--poll-interval", "0.05", "-o", str(out), str(jobs))
    jobs.write_text("day one [[words:1]]\n")
    assert run_cli(*wait).exit_code == 0
    assert run_cli(*wait).exit_code == 0  # the same submission: its own results, rewritten
    kept, creates = out.read_text(), fake_api.batch_creates
    jobs.write_text("day two [[words:2]]\n")
    refused = run_cli(*wait)
    assert refused.exit_code == 2 and "nothing was sent" in one_error_line(refused, out), refused
    assert "dated name" in refused.stderr and "--force overwrites it" in refused.stderr
    assert fake_api.batch_creates == creates and out.read_text() == kept

    ran = tmp_path / "ran.jsonl"  # `batch run -o`: the same generated ids, unknown to the journal
    assert run_cli("batch", "run", str(jobs), "--text", "-o", str(ran)).exit_code == 0
    wait_ran = ("batch", "submit", "--text", "--wait", "--poll-interval", "0.05", "-o", str(ran), str(jobs))
    refused = run_cli(*wait_ran)
    assert refused.exit_code == 2 and "does not know" in one_error_line(refused, ran), refused
    assert fake_api.batch_creates == creates


def test_collect_writes_beside_results_the_journal_does_not_know(cli_env, run_cli, fake_api, tmp_path):
    """DIR/nightly.jsonl written by `batch run -o` holds the same generated ids as the nightly batch: collect
    keeps it and writes the batch's results beside it, as it does beside another batch's."""
    jobs = tmp_path / "nightly.txt"
    jobs.write_text("one [[words:1]]\ntwo [[words:1]]\n")
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    ran = out_dir / "nightly.jsonl"
    assert run_cli("batch", "run", str(jobs), "--text", "-o", str(ran)).exit_code == 0
    kept = ran.read_text()
    batch_id = submit(run_cli, jobs, "--text", "--name", "nightly")
    collected = run_cli("batch", "collect", "--out-dir", str(out_dir))
    assert collected.exit_code == 0, collected
    beside = out_dir / f"nightly.{batch_id}.jsonl"
    assert collected.stdout == f"{beside}\n" and ran.read_text() == kept
    assert {json.loads(line)["custom_id"] for line in beside.read_text().splitlines()} == {
        "line-000001",
        "line-000002",
    }
