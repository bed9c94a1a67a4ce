"""Odd input to `files` and to attachments, found by an outside trial: a device or FIFO as a download target,
a local name the Files API refuses, an oversized upload's message, and a batch line's control characters.

The real CLI and SDK over real HTTP against the fake Files API.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from tests.conftest import TEST_KEY, assert_no_traceback
from tests.fakeapi import Fault
from tests.test_chat_pty import ANSI, Chat


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


def test_download_never_replaces_a_link_to_a_fifo_with_force(cli_env, run_cli, fake_api, tmp_path):
    """`-o /dev/stdout --force` as root: /dev/stdout is a symbolic link to a terminal or pipe, and a rename over
    it would leave a plain file where the link was. A link to a FIFO stands in for it here."""
    made = fake_api.files.add_generated(TEST_KEY, "out.txt", b"content", "text/plain")
    fifo, link = tmp_path / "pipe", tmp_path / "stdout"
    os.mkfifo(fifo)
    link.symlink_to(fifo)
    result = run_cli("files", "download", made.id, "-o", str(link), "--force")
    assert "not a regular file" in last_error(result, 2)
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)
    assert fake_api.requests_to(f"/v1/files/{made.id}/content") == []
    regular = tmp_path / "old.txt"
    regular.write_text("old\n", encoding="utf-8")
    to_file = tmp_path / "to-file"
    to_file.symlink_to(regular)
    assert run_cli("files", "download", made.id, "-o", str(to_file), "--force").exit_code == 0
    assert to_file.read_bytes() == b"content" and not to_file.is_symlink()  # the link replaced, as before
    assert regular.read_text(encoding="utf-8") == "old\n"


def test_a_local_name_the_api_refuses_is_uploaded_made_safe(cli_env, run_cli, fake_api, tmp_path):
    """`report: Q3?.txt` is a fine name on Linux; the Files API refuses `< > : " | ? * \\` and controls."""
    odd = tmp_path / 'report: Q3?<"x">|*\\.txt'
    odd.write_text("quarterly\n", encoding="utf-8")
    controls = tmp_path / "new\nline\x1b[31m.txt"
    controls.write_text("x\n", encoding="utf-8")
    result = run_cli("files", "upload", str(odd), str(controls), "--json")
    assert result.exit_code == 0, result
    names = [item["filename"] for item in json.loads(result.stdout)["items"]]
    assert names == ["report_ Q3___x_____.txt", "new_line_[31m.txt"]
    asked = run_cli("ask", "--upload", "-a", str(tmp_path / "again?.txt"), "hi")
    assert asked.exit_code == 2  # missing: still refused locally
    (tmp_path / "again?.txt").write_text("once more\n", encoding="utf-8")
    asked = run_cli("ask", "--upload", "-a", str(tmp_path / "again?.txt"), "hi")
    assert asked.exit_code == 0, asked
    assert any(f.filename == "again_.txt" for f in fake_api.files.files.values())


def test_an_oversized_upload_says_both_sizes_in_one_unit(cli_env, run_cli, fake_api, tmp_path):
    """499 MiB is 523 MB: "the file is 499 MiB; at most 500 MB" read as if it fitted."""
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(499 * 1024 * 1024)  # sparse: no disk used
    line = last_error(run_cli("files", "upload", str(big)), 2)
    assert "523,239,424 bytes" in line and "500,000,000 bytes" in line and "MiB" not in line
    assert fake_api.requests_to("/v1/files") == []


def test_a_batch_lines_control_characters_are_shown_escaped(cli_env, run_cli, fake_api, tmp_path):
    """A batch file is untrusted: its invalid lines are quoted on stderr, where ESC must not reach a terminal."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "x", "attach": ["\x1b]0;pwned\x07\x1b[31mred"]}) + "\n", "utf-8")
    result = run_cli("batch", "run", str(jobs), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 2, result
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[31mred" in result.stderr
    assert fake_api.requests_to("/v1/messages") == []


def test_the_uploads_memory_never_holds_the_key(cli_env, run_cli, fake_api, home, tmp_path):
    """A file named after the key (a pasted key in a note's name) puts it in the API's filename, which files.db
    kept as it was; every other store masks secrets."""
    named = tmp_path / f"note-{TEST_KEY}.txt"
    named.write_text("hello\n", encoding="utf-8")
    assert run_cli("files", "upload", str(named)).exit_code == 0
    assert run_cli("ask", "--upload", "-a", str(named), "hi").exit_code == 0
    stores = [path for path in (home / "data").rglob("files.db*") if path.is_file()]
    assert stores and not any(TEST_KEY.encode() in path.read_bytes() for path in stores)


def test_a_masked_secret_does_not_break_the_tables_columns(cli_env, run_cli, fake_api, tmp_path):
    """Columns were measured before stdout masked the key, so the rows after a masked name were misaligned."""
    fake_api.files.add(TEST_KEY, f"k-{TEST_KEY}.txt", "text/plain", b"x")
    fake_api.files.add(TEST_KEY, "plain.txt", "text/plain", b"x")
    lines = run_cli("files", "list").stdout.splitlines()
    assert TEST_KEY not in "\n".join(lines) and "k-********.txt" in lines[2]
    assert len({line.index("text/plain" if i else "TYPE") for i, line in enumerate(lines)}) == 1


ODD_BODIES = [
    pytest.param(b"<html>gateway says hi</html>", "text/html", id="html"),
    pytest.param(b'{"data": [{"id": "file_x"}], "has_more": false}', "application/json", id="fields-missing"),
    pytest.param(
        json.dumps({"data": [{"id": "file_x", "type": "file", "filename": None, "mime_type": 7,
                              "size_bytes": "big", "created_at": "yesterday", "downloadable": "no"}],
                    "has_more": False}).encode(),
        "application/json",
        id="wrong-types",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "content_type"), ODD_BODIES)
def test_an_unreadable_files_answer_is_a_server_error_not_a_bug(
    cli_env, run_cli, fake_api, raw, content_type
):
    """A gateway answering 200 with HTML, or JSON of the wrong shape, was an 'unexpected AttributeError' (exit 1)."""
    made = fake_api.files.add(TEST_KEY, "a.txt", "text/plain", b"x")
    for path, argv in (
        ("/v1/files", ("files", "list", "--json")),
        (f"/v1/files/{made.id}", ("files", "show", made.id, "--json")),
        (f"/v1/files/{made.id}", ("ask", "-a", f"file:{made.id}", "--json", "hi")),
    ):
        fake_api.enqueue(Fault.body(raw, content_type=content_type), path)
        result = run_cli(*argv, env={"CLAUDECLI_MAX_RETRIES": "0"})
        if content_type == "text/html":  # a web page is nobody's API answer: a proxy's or portal's (exit 8)
            assert "a web page came back" in last_error(result, 8), argv
            assert json.loads(result.stdout)["exit_code"] == 8
            continue
        assert "claudecli cannot read" in last_error(result, 7), argv
        assert json.loads(result.stdout)["exit_code"] == 7


def test_chat_shows_an_attachments_control_characters_escaped(cli_env, fake_api, tmp_path):
    """`chat -a` and `/attach` repeat the names given; a name's ESC recoloured the terminal, an RLO reversed it."""
    odd = tmp_path / "a\x1b[35mevil.md"
    odd.write_text("notes\n", encoding="utf-8")
    reversed_ = tmp_path / "b\u202etxt.md"  # typed at the prompt, where ESC would be a key, not a character
    reversed_.write_text("more\n", encoding="utf-8")
    chat = Chat("-a", str(odd))
    chat.command(f"/attach {reversed_}", "your next message carries")
    assert chat.leave() == 0
    assert "\x1b[35mevil" not in chat.transcript  # given in argv only, so never echoed as typed input
    flat = ANSI.sub("", chat.transcript).replace("\r", "").replace("\n", "")  # long lines wrap at 100
    said = re.findall(r"message carries: (.*?\.md(?:, .*?\.md)?)", flat)
    assert len(said) == 2 and not any("\u202e" in names for names in said), said
    assert "a\\x1b[35mevil.md" in said[0] and "b\\u202etxt.md" in said[1]


def test_an_attachment_url_of_another_scheme_says_what_can_be_attached(cli_env, run_cli, fake_api):
    """``-a ftp://host/file`` was read as a path and reported as "ftp:/host/file: file not found"."""
    error = last_error(run_cli("ask", "-a", "ftp://host/report.pdf", "--no-stdin", "hi"), 2)
    assert "attachment ftp://host/report.pdf:" in error and "http" in error and "file not found" not in error
    assert fake_api.requests_to("/v1/messages", method="POST") == []


def test_an_attachment_url_with_its_scheme_in_capitals_is_a_url(cli_env, run_cli, fake_api):
    """A scheme is case-insensitive: ``HTTPS://host/a.pdf`` was told only https:// URLs can be attached."""
    result = run_cli("ask", "-a", "HTTPS://example.com/a.pdf", "--no-stdin", "hi")
    assert result.exit_code == 0, result
    blocks = fake_api.requests_to("/v1/messages", method="POST")[-1].body["messages"][-1]["content"]
    assert {"type": "url", "url": "HTTPS://example.com/a.pdf"} in [block.get("source") for block in blocks]
