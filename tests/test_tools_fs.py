"""The ``fs`` toolset: confined to its root (after symlinks), blind to hidden and credential files, capped."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claudecli.tools import fs
from claudecli.tools.base import ToolCall
from claudecli.tools.fs import FsTools
from claudecli.tools.options import ToolOptions
from tests.tools_support import call, run, toolbox


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with notes.txt, src/app.py, a .env, a key, a .git dir; a secret file beside the root."""
    root = tmp_path / "root"
    (root / "src").mkdir(parents=True)
    (root / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    (root / "src" / "app.py").write_text("def main():\n    return 'beta'\n")
    (root / ".env").write_text("TOKEN=beta-secret\n")
    (root / "server.pem").write_text("-----BEGIN beta KEY-----\n")
    (root / "id_rsa").write_text("beta private\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("beta\n")
    (tmp_path / "outside.txt").write_text("beta outside\n")
    return root


def fs_run(root: Path, name: str, allow_hidden: bool = False, **arguments: object) -> tuple[str, bool]:
    tools = FsTools(root, allow_hidden=allow_hidden)
    tool = next(tool for tool in tools.tools() if tool.name == name)
    result = tools.run(tool, ToolCall("t1", name, dict(arguments)), threading.Event())
    return result.content, result.is_error


def test_reads_a_file_inside_the_root_with_line_numbers(tree):
    text, is_error = fs_run(tree, "read_file", path="notes.txt")
    assert not is_error
    assert text.splitlines()[1].split("\t") == ["     2", "beta"]


@pytest.mark.parametrize(
    "path", ["../outside.txt", "../../etc/passwd", "src/../../outside.txt", "/etc/passwd", "/"]
)
def test_paths_outside_the_root_are_refused(tree, path):
    text, is_error = fs_run(tree, "read_file", path=path)
    assert is_error and "outside the root" in text
    assert "beta outside" not in text and "root:" not in text


def test_an_absolute_path_inside_the_root_is_fine(tree):
    text, is_error = fs_run(tree, "read_file", path=str(tree / "notes.txt"))
    assert not is_error and "gamma" in text


def test_a_symlink_pointing_outside_is_refused_everywhere(tree):
    (tree / "link.txt").symlink_to(tree.parent / "outside.txt")
    (tree / "linkdir").symlink_to(tree.parent)
    text, is_error = fs_run(tree, "read_file", path="link.txt")
    assert is_error and "outside the root" in text
    text, is_error = fs_run(tree, "read_file", path="linkdir/outside.txt")
    assert is_error and "outside the root" in text
    listing, _ = fs_run(tree, "list_dir", path=".")
    assert "link.txt" not in listing and "linkdir" not in listing
    found, _ = fs_run(tree, "search_text", pattern="beta outside")
    assert found == "no matches"


def test_a_symlink_inside_the_root_is_followed(tree):
    (tree / "alias.txt").symlink_to(tree / "notes.txt")
    text, is_error = fs_run(tree, "read_file", path="alias.txt")
    assert not is_error and "alpha" in text


@pytest.mark.parametrize("path", [".env", "server.pem", "id_rsa", ".git/config", "src/../.env"])
def test_hidden_and_credential_files_are_refused(tree, path):
    text, is_error = fs_run(tree, "read_file", path=path)
    assert is_error and "--fs-allow-hidden" in text
    assert "beta" not in text


def test_a_symlink_to_a_hidden_file_is_refused(tree):
    (tree / "innocent.txt").symlink_to(tree / ".env")
    text, is_error = fs_run(tree, "read_file", path="innocent.txt")
    assert is_error and "beta-secret" not in text


def test_hidden_files_are_not_listed_nor_searched(tree):
    listing, _ = fs_run(tree, "list_dir")
    assert "notes.txt" in listing and "src/" in listing
    for name in (".env", "server.pem", "id_rsa", ".git"):
        assert name not in listing
    assert "4 hidden" in listing
    found, _ = fs_run(tree, "search_text", pattern="beta")
    assert sorted(line.split(":")[0] for line in found.splitlines()) == ["notes.txt", "src/app.py"]


def test_fs_allow_hidden_opens_them(tree):
    text, is_error = fs_run(tree, "read_file", allow_hidden=True, path=".env")
    assert not is_error and "beta-secret" in text
    found, _ = fs_run(tree, "search_text", allow_hidden=True, pattern="beta", glob="config")
    assert found.startswith(".git/config:1:")


def test_a_large_file_is_cut_with_a_note_and_can_be_read_on(tree, monkeypatch):
    monkeypatch.setattr(fs, "READ_LIMIT", 100)
    (tree / "big.txt").write_text("".join(f"line {n}\n" for n in range(1, 101)))
    text, is_error = fs_run(tree, "read_file", path="big.txt")
    assert not is_error and "[file truncated" in text and "start_line=14" in text
    more, _ = fs_run(tree, "read_file", path="big.txt", start_line=14)
    assert more.splitlines()[0].endswith("line 14")


def test_a_binary_file_is_refused_with_a_note(tree):
    (tree / "blob.bin").write_bytes(b"\x7fELF\x00\x01\x02")
    text, is_error = fs_run(tree, "read_file", path="blob.bin")
    assert is_error and "binary" in text


def test_search_is_capped_and_says_so(tree, monkeypatch):
    monkeypatch.setattr(fs, "SEARCH_MATCHES", 3)
    (tree / "many.txt").write_text("hit\n" * 10)
    found, _ = fs_run(tree, "search_text", pattern="hit")
    assert found.count("many.txt:") == 3 and "stopped at 3 matches" in found


def test_search_glob_regex_and_a_bad_regex(tree):
    found, _ = fs_run(tree, "search_text", pattern=r"ret\w+", regex=True, glob="*.py")
    assert found == "src/app.py:2:     return 'beta'"
    text, is_error = fs_run(tree, "search_text", pattern="(", regex=True)
    assert is_error and "invalid regular expression" in text


def test_the_fs_tools_are_auto_approved_and_run_concurrently(tree, base_env):
    box = toolbox(ToolOptions(toolsets=("fs",), root=tree))
    assert {tool.name for tool in box.tools()} == {"list_dir", "read_file", "search_text"}
    results = run(box, call("read_file", path="notes.txt"), call("list_dir"), call("read_file", path=".env"))
    assert [result.is_error for result in results] == [False, False, True]
    assert "alpha" in results[0].content


_PATHS = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(blacklist_categories=()), max_size=20),  # lone surrogates too, as JSON can carry
    st.lists(
        st.sampled_from(
            ["..", ".", "", "*", "[", "src", ".env", "/", "etc", "passwd", "~", "\x00", "a" * 300]
        ),
        max_size=8,
    ).map("/".join),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["read_file", "list_dir", "search_text"]), path=_PATHS, other=_PATHS)
def test_any_input_gives_a_result_never_an_exception_nor_an_escape(tree, name, path, other):
    text, _ = fs_run(tree, name, path=path, pattern=other, start_line=other, glob=other)
    assert isinstance(text, str)
    assert "beta outside" not in text and "beta-secret" not in text
    assert os.getcwd()  # the process is intact


def test_glob_by_name_or_by_path_and_odd_globs(tree):
    assert fs_run(tree, "search_text", pattern="beta", glob="src/*.py")[0].startswith("src/app.py:2:")
    for odd in (".", "/", "[", "**"):
        text, _ = fs_run(tree, "search_text", pattern="beta", glob=odd)
        assert isinstance(text, str)


def test_search_and_read_skip_a_fifo_instead_of_blocking(tree):
    os.mkfifo(tree / "pipe.txt")
    assert fs_run(tree, "search_text", pattern="nothing-matches")[0] == "no matches"
    text, is_error = fs_run(tree, "read_file", path="pipe.txt")
    assert is_error and "not a regular file" in text


def test_a_catastrophic_regex_is_stopped_not_hung_on(tree, monkeypatch):
    monkeypatch.setattr(fs, "SEARCH_SECONDS", 1.0)
    (tree / "evil.txt").write_text("a" * 60 + "!\n")
    started = time.monotonic()
    text, is_error = fs_run(tree, "search_text", pattern="(a+)+$", regex=True)
    assert is_error and "took longer than 1 s" in text
    assert time.monotonic() - started < 5


def test_a_regex_search_is_interrupted_by_cancel(tree):
    (tree / "evil.txt").write_text("a" * 60 + "!\n")
    tools = FsTools(tree)
    tool = next(tool for tool in tools.tools() if tool.name == "search_text")
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    result = tools.run(tool, ToolCall("t", "search_text", {"pattern": "(a+)+$", "regex": True}), cancel)
    assert result.is_error and "interrupted" in result.content
    assert time.monotonic() - started < 5


def _sparse_one_line_file(path: Path, size: int) -> None:
    """A text start, then ``size`` bytes of one line without a newline (a hole: no disk, no time)."""
    path.write_bytes(b"head " * 2_000)  # the binary probe sees text
    os.truncate(path, size)


def test_read_file_on_one_huge_line_reads_a_bounded_part_and_says_so(tree):
    _sparse_one_line_file(tree / "huge.txt", 200_000_000)
    tracemalloc.start()
    try:
        text, is_error = fs_run(tree, "read_file", path="huge.txt")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not is_error
    assert peak < 10 * fs.READ_LIMIT  # the line was never read whole (it used to take the whole file, twice)
    assert len(text) < fs.READ_LIMIT + 300
    assert text.startswith("     1\thead head")
    assert text.endswith(
        f"[line 1 truncated: showing its first {fs.READ_LIMIT:,} bytes; the file has 200,000,000 bytes in all; read on with start_line=2]"
    )


def test_read_file_skips_huge_lines_in_bounded_memory_to_reach_start_line(tree):
    path = tree / "huge.txt"
    _sparse_one_line_file(path, 50_000_000)
    with path.open("ab") as handle:
        handle.write(b"\nsecond line\n")
    tracemalloc.start()
    try:
        text, is_error = fs_run(tree, "read_file", path="huge.txt", start_line=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not is_error and peak < 10 * fs.READ_LIMIT
    assert text == "     2\tsecond line"
    beyond, _ = fs_run(tree, "read_file", path="huge.txt", start_line=9)
    assert beyond == "(no lines from line 9: the file has 2 lines)"


@pytest.mark.parametrize("regex", [False, True])
def test_search_finds_a_match_deep_in_a_long_line_and_shows_it_shortened_with_a_note(tree, regex):
    (tree / "min.js").write_text("x" * 100_000 + "NEEDLE" + "y" * 100_000 + "\nshort NEEDLE\n")
    found, is_error = fs_run(tree, "search_text", pattern="NEEDLE", regex=regex)
    assert not is_error
    first, second = found.splitlines()
    assert first.startswith("min.js:1: …xxx") and "NEEDLE" in first
    assert first.endswith(f"yyy… [line shortened: {fs.LINE_LIMIT:,} of 200,006 characters shown]")
    assert len(first) < fs.LINE_LIMIT + 100
    assert second == "min.js:2: short NEEDLE"


def test_names_with_newlines_and_controls_are_escaped_not_split(tree):
    (tree / "a\nfake.txt  99 bytes").write_text("beta\n")
    (tree / "b\x1b[31m\r\u202eevil").write_text("beta\n")
    listing, is_error = fs_run(tree, "list_dir", path=".")
    assert not is_error
    lines = listing.splitlines()
    assert "a\\nfake.txt  99 bytes  5 bytes" in lines and "b\\x1b[31m\\r\\u202eevil  5 bytes" in lines
    assert not any(line.startswith("fake.txt") for line in lines)
    assert lines[-1] == "[names with control characters are shown escaped, like \\n]"
    found, _ = fs_run(tree, "search_text", pattern="beta", glob="a*fake*")
    assert found == "a\\nfake.txt  99 bytes:1: beta"


def test_a_backslash_in_a_name_is_doubled_so_it_cannot_pass_for_an_escape(tree):
    (tree / "c\\nd").write_text("x\n")  # a name spelled with a backslash and an n, no newline
    listing, _ = fs_run(tree, "list_dir", path=".")
    assert "c\\\\nd  2 bytes" in listing.splitlines()


def test_a_name_listed_escaped_can_be_read_under_that_spelling(tree):
    (tree / "a\nb.txt").write_text("newline name\n")
    (tree / "c\\nd").write_text("backslash name\n")  # a backslash and an n: its listed spelling is c\\nd
    (tree / "e\x1b[31m").write_text("escape name\n")
    listing, _ = fs_run(tree, "list_dir", path=".")
    for shown, content in (("a\\nb.txt", "newline"), ("c\\\\nd", "backslash"), ("e\\x1b[31m", "escape")):
        assert shown in listing
        text, is_error = fs_run(tree, "read_file", path=shown)
        assert not is_error and content in text, (shown, text)
    literal, _ = fs_run(tree, "read_file", path="c\\nd")  # the literal name still wins when it exists
    assert "backslash name" in literal


def test_an_escaped_spelling_cannot_leave_the_root(tree):
    (tree.parent / "outside\n.txt").write_text("secret\n")
    text, is_error = fs_run(tree, "read_file", path="../outside\\n.txt")
    assert is_error and "secret" not in text


@given(st.text(max_size=30))
def test_escaping_a_name_and_unescaping_it_gives_the_name_back(name):
    from claudecli.tools.sanitize import escape_controls, unescape_name

    assert unescape_name(escape_controls(name)) == name
