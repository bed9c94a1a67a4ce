"""Odd input to `files` and to attachments, found by an outside trial: a device or FIFO as a download target,
a local name the Files API refuses, an oversized upload's message, and a batch line's control characters.

The real CLI and SDK over real HTTP against the fake Files API.
"""

from __future__ import annotations

import json
import os
import stat

from tests.conftest import TEST_KEY, assert_no_traceback


def last_error(result, code: int) -> str:
    assert result.exit_code == code, result
    assert_no_traceback(result.stderr)
    return result.stderr.strip().splitlines()[-1]


def test_download_never_replaces_a_fifo_even_with_force(cli_env, run_cli, fake_api, tmp_path):
    """A rename over a FIFO (or, run as root, over /dev/null) would replace the node itself."""
    made = fake_api.files.add_generated(TEST_KEY, "out.txt", b"content", "text/plain")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_cli("files", "download", made.id, "-o", str(fifo), "--force", "--json")
    assert "not a regular file" in last_error(result, 2)
    assert json.loads(result.stdout)["exit_code"] == 2
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert fake_api.requests_to(f"/v1/files/{made.id}/content") == []  # refused before downloading
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
