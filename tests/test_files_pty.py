"""The upload progress bar: drawn on stderr when it is a terminal and the file is large, never in a pipe."""

from __future__ import annotations

import os
from pathlib import Path

import pexpect
import pytest

from tests.conftest import subprocess_env
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty
BIG = 2 * 1024 * 1024


def test_a_large_upload_shows_a_bar_on_a_terminal(cli_env, fake_api, tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(BIG))
    fake_api.latency = 0.6  # the answer waits: the bar is drawn at least once
    child = ForkedSpawn(
        ["files", "upload", str(big)],
        env=subprocess_env(),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    output = child.before or ""
    assert child.exitstatus == 0, output
    assert "uploading big.bin" in output and "2.1 MB" in output  # the bar, then the table's size
    assert fake_api.files.files[next(iter(fake_api.files.files))].content == big.read_bytes()


def test_a_pipe_gets_no_bar_and_small_files_get_none(cli_env, run_cli, fake_api, tmp_path: Path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"\1" * BIG)
    result = run_cli("files", "upload", str(big))
    assert result.exit_code == 0 and "uploading" not in result.stderr
    assert len(fake_api.files.files[next(iter(fake_api.files.files))].content) == BIG


def test_the_counting_reader_reports_progress_and_rewinds():
    import io

    from claudecli.files.progress import CountingReader

    seen: list[int] = []
    reader = CountingReader(io.BytesIO(b"abcdef"), seen.append)  # type: ignore[arg-type]
    assert reader.read(4) == b"abcd" and reader.read() == b"ef"
    reader.seek(0)
    assert seen == [4, 6, 0]
