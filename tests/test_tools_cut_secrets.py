"""A shortened line never shows part of a key: the `fs` tools mask a secret that the cut runs through.

`read_file` cuts a long line at 64,000 bytes and `search_text` shows 500 characters around a match; both cut
first and masked after, so the model (steered by a file it read) could place the cut inside the user's key and
read its first half through one call and its second half through another. Real CLI, real fake API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claudecli.tools.fs import LINE_LIMIT, READ_LIMIT
from tests.conftest import TEST_KEY, assert_secret_free


def ask_fs(run_cli, root: Path, *calls: tuple[str, dict]) -> str:
    prompt = " ".join(f"[[call:{name} {json.dumps(args)}]]" for name, args in calls)
    result = run_cli("ask", "-q", "--no-stdin", "--tools", "fs", "--root", str(root), prompt)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def key_pieces(text: str) -> list[str]:
    """Every piece of the key of 6 characters or more that shows in ``text``."""
    return [
        TEST_KEY[i:j]
        for i in range(len(TEST_KEY))
        for j in range(i + 6, len(TEST_KEY) + 1)
        if TEST_KEY[i:j] in text
    ]


def test_read_file_does_not_cut_a_key_in_half(cli_env, run_cli, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "long.txt").write_text("C" * (READ_LIMIT - 10) + TEST_KEY + "D" * 100 + "\n")
    out = ask_fs(run_cli, root, ("read_file", {"path": "long.txt"}))
    assert "truncated" in out
    assert key_pieces(out) == []


@pytest.mark.parametrize("regex", [False, True])
def test_a_search_window_does_not_end_inside_a_key(cli_env, run_cli, tmp_path, regex):
    root = tmp_path / "root"
    root.mkdir()
    # The window around MARK (at 1000) ends at 1000 - LINE_LIMIT // 4 + LINE_LIMIT: 6 characters into the key.
    end = 1000 - LINE_LIMIT // 4 + LINE_LIMIT
    line = "X" * 1000 + "MARK" + "Y" * (end - 6 - 1004) + TEST_KEY + "Z" * 1000
    (root / "long.txt").write_text(line + "\n")
    out = ask_fs(run_cli, root, ("search_text", {"pattern": "MARK", "regex": regex}))
    assert "line shortened" in out
    assert key_pieces(out) == []


def test_a_search_window_does_not_start_inside_a_key(cli_env, run_cli, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "long.txt").write_text("A" * 1000 + TEST_KEY + "B" * 1000 + "\n")
    # A match 115 B's past the key puts the window's start (125 before it) 10 characters before the key's end.
    out = ask_fs(run_cli, root, ("search_text", {"pattern": "(?<=B{115})B", "regex": True}))
    assert "line shortened" in out
    assert key_pieces(out) == []
    assert_secret_free(out)


def test_a_command_tools_stderr_tail_does_not_start_inside_a_key(cli_env, run_cli, write_config, tmp_path):
    # The tail keeps the last 2,000 characters: they start 10 characters before the key's end.
    stderr = "start " + TEST_KEY + " " + "B" * (2_000 - 11)
    script = tmp_path / "fail.sh"
    script.write_text(f"printf '%s' '{stderr}' >&2\nexit 1\n")
    write_config(f'[tools.failing]\ndescription = "fails"\ncommand = ["sh", "{script}"]\napproval = "auto"\n')
    result = run_cli("ask", "-q", "--no-stdin", "--tools", "failing", "[[call:failing {}]]")
    assert result.exit_code == 0, result.stderr
    assert "BBBB" in result.stdout  # the tail reached the model
    assert key_pieces(result.stdout) == []


@pytest.mark.parametrize("regex", [False, True])
def test_search_text_is_no_oracle_for_a_key(cli_env, run_cli, tmp_path, regex):
    """The lines are searched as the model sees them, masked: a search for the key's first characters matched
    the raw line, so match or "no matches" told the model, one guess at a time, what the key is."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "settings.py").write_text(f"API_KEY = '{TEST_KEY}'\n")
    guess = TEST_KEY[:-4]
    out = ask_fs(run_cli, root, ("search_text", {"pattern": guess, "regex": regex}))
    assert "settings.py" not in out and "no matches" in out
    assert_secret_free(out)
