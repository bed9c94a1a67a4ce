"""`batch` on a real terminal: progress bars on stderr there (and only there), nothing waits for input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pexpect
import pytest

from tests.conftest import subprocess_env
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty


def spawn(*args: str) -> ForkedSpawn:
    return ForkedSpawn(
        [*args],
        env=subprocess_env(),
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=20,
    )


def test_status_watch_shows_a_progress_bar_until_the_batch_ends(cli_env, run_cli, fake_api, tmp_path: Path):
    fake_api.batch_mode = "manual"
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({"prompt": f"p{i}"}) + "\n" for i in range(3)), encoding="utf-8")
    submitted = run_cli("batch", "submit", "--name", "watched", str(jobs))
    assert submitted.exit_code == 0, submitted
    (batch_id,) = submitted.stdout.split()
    child = spawn("batch", "status", "--watch", "--poll-interval", "0.05", "watched")
    child.expect("0/3")  # the bar's count while it runs
    fake_api.finish_batch(batch_id)
    child.expect("3/3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    rest = child.before or ""
    assert "━" in rest or re.search(rf"{batch_id}\s+watched\s+ended\s+3/3", rest), rest


def test_batch_run_shows_progress_on_a_terminal_and_plain_lines_when_piped(cli_env, run_cli, tmp_path: Path):
    prompts = tmp_path / "q.txt"
    prompts.write_text("a\nb\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    child = spawn("batch", "run", "--text", str(prompts), "-o", str(out))
    child.expect("batch run")  # the progress task on stderr
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(out.read_text().splitlines()) == 2
    piped = run_cli("batch", "run", "--text", str(prompts))
    assert "\x1b" not in piped.stdout + piped.stderr and "batch run" not in piped.stderr
