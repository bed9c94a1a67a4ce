"""A batch file is untrusted: its attachments come only from its own directory unless --allow-outside says so.

Real subprocess, real SDK, real HTTP against the fake API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback

SECRET = "root:x:0:0:not-for-the-api"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """``jobs/`` (the batch file's directory, with an inside file and a symlink out) and ``outside/``."""
    jobs, outside = tmp_path / "jobs", tmp_path / "outside"
    jobs.mkdir()
    outside.mkdir()
    (outside / "passwd").write_text(SECRET, encoding="utf-8")
    (jobs / "notes.txt").write_text("inside notes", encoding="utf-8")
    (jobs / "link.txt").symlink_to(outside / "passwd")
    (jobs / "inner-link.txt").symlink_to(jobs / "notes.txt")
    return {"jobs": jobs, "outside": outside}


def write_jobs(directory: Path, *attachments: str) -> Path:
    path = directory / "jobs.jsonl"
    lines = [json.dumps({"prompt": "summarise", "attach": [spec]}) for spec in attachments]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ESCAPES = ("{outside}/passwd", "../outside/passwd", "link.txt", "sub/../../outside/passwd")


def escaping_jobs(layout: dict[str, Path]) -> Path:
    return write_jobs(layout["jobs"], *(spec.format(outside=layout["outside"]) for spec in ESCAPES))


@pytest.mark.parametrize("command", ["submit", "run"])
def test_attachments_outside_the_batch_directory_are_refused_and_nothing_is_sent(
    cli_env, run_cli, fake_api, layout, command
):
    jobs = escaping_jobs(layout)
    result = run_cli("batch", command, str(jobs))
    assert result.exit_code == 2, result
    assert_no_traceback(result.stderr)
    for line_no in range(1, len(ESCAPES) + 1):
        assert f"{jobs}:{line_no}: attachment " in result.stderr
    assert result.stderr.count("is outside the input file's directory") == len(ESCAPES)
    assert "--allow-outside DIR" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert fake_api.requests == [] and fake_api.batch_creates == 0

    skipped = run_cli("batch", command, "--skip-invalid", str(jobs))  # every line is invalid: still nothing
    assert skipped.exit_code == 2 and "no requests to send" in skipped.stderr
    assert fake_api.requests == []


def test_allow_outside_names_where_attachments_may_come_from(cli_env, run_cli, fake_api, layout, tmp_path):
    jobs = escaping_jobs(layout)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    wrong_dir = run_cli("batch", "submit", "--allow-outside", str(elsewhere), str(jobs))
    assert wrong_dir.exit_code == 2 and fake_api.requests == []
    missing = run_cli("batch", "submit", "--allow-outside", str(tmp_path / "nope"), str(jobs))
    assert missing.exit_code == 2 and "not a directory" in missing.stderr

    both = ("--allow-outside", str(elsewhere), "--allow-outside", str(layout["outside"]))
    allowed = run_cli("batch", "submit", *both, str(jobs))
    assert allowed.exit_code == 0, allowed
    (batch_id,) = allowed.stdout.split()
    sent = json.dumps(fake_api.batches[batch_id].requests)
    assert sent.count(SECRET) == len(ESCAPES)


def test_files_inside_the_directory_still_attach_from_anywhere_you_stand(cli_env, run_cli, fake_api, layout):
    jobs = write_jobs(layout["jobs"], "notes.txt", "inner-link.txt", str(layout["jobs"] / "notes.txt"))
    result = run_cli("batch", "run", str(jobs))  # the current directory is not the batch file's
    assert result.exit_code == 0, result
    documents = [
        block["source"]["data"]
        for request in fake_api.requests_to("/v1/messages", method="POST")
        for block in request.body["messages"][0]["content"]
        if block["type"] == "document"
    ]
    assert documents == ["inside notes"] * 3
