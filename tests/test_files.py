"""`claudecli files`: the real CLI, the real SDK over real HTTP against the fake Files API, real SQLite."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from claudecli.files.info import FileInfo
from claudecli.files.view import COLUMNS, row
from claudecli.render.table import fit_layout
from tests.conftest import TEST_KEY, assert_no_traceback, assert_secret_free

PDF = b"%PDF-1.4 a small pdf"


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result
    assert_no_traceback(result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("claudecli: error: "), result.stderr
    return lines[-1]


@pytest.fixture
def docs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "report.pdf").write_bytes(PDF)
    (tmp_path / "notes.txt").write_text("hello notes\n", encoding="utf-8")
    return {"pdf": tmp_path / "report.pdf", "txt": tmp_path / "notes.txt"}


def test_upload_list_show_delete_round_trip_books_nothing(cli_env, run_cli, fake_api, docs, ledger_rows):
    up = run_cli("files", "upload", str(docs["pdf"]), str(docs["txt"]), "--json")
    assert up.exit_code == 0, up
    items = json.loads(up.stdout)["items"]
    assert [(i["filename"], i["mime_type"], i["size_bytes"]) for i in items] == [
        ("report.pdf", "application/pdf", len(PDF)),
        ("notes.txt", "text/plain", 12),
    ]
    assert all(i["id"].startswith("file_") and i["path"] for i in items)
    listed = run_cli("files", "list", "--json")
    assert [i["id"] for i in json.loads(listed.stdout)["items"]] == [items[1]["id"], items[0]["id"]]
    table = run_cli("files", "list")
    assert table.stdout.splitlines()[0].split() == ["ID", "NAME", "TYPE", "SIZE", "CREATED", "DOWNLOADABLE"]
    assert items[0]["id"] in table.stdout and "report.pdf" in table.stdout and "20 B" in table.stdout
    shown = run_cli("files", "show", items[0]["id"])
    assert "filename      report.pdf" in shown.stdout and "downloadable  no" in shown.stdout
    deleted = run_cli("files", "delete", items[0]["id"], items[1]["id"])
    assert deleted.exit_code == 0 and deleted.stdout.split() == [items[0]["id"], items[1]["id"]]
    assert run_cli("files", "list", "--json").stdout.count("file_") == 0
    assert ledger_rows() == []  # the Files API is not billed: no ledger rows
    assert_secret_free(up.stdout, up.stderr, table.stdout)


def test_list_follows_every_page(cli_env, run_cli, fake_api):
    for i in range(130):
        fake_api.files.add(TEST_KEY, f"f{i:03}.txt", "text/plain", b"x")
    everything = json.loads(run_cli("files", "list", "--json").stdout)["items"]
    assert len(everything) == 130 and len(fake_api.requests_to("/v1/files", "GET")) == 2
    assert len(json.loads(run_cli("files", "list", "--limit", "3", "--json").stdout)["items"]) == 3


def test_the_list_table_fits_80_columns():
    info = FileInfo("file_011CNha8iCJcU1wXNR6q4V8w", "quarterly-report-final.pdf", "application/pdf", 12_345_678,
                    None, False)  # fmt: skip
    layout = fit_layout(COLUMNS, [row(info)], 80)
    assert layout.width <= 80 and "ID" in layout.headers and "SIZE" in layout.headers


def test_download_sanitises_the_name_and_never_overwrites_without_force(cli_env, run_cli, fake_api, tmp_path):
    made = fake_api.files.add_generated(TEST_KEY, "../../.evil\x1b[31m\u202egpj.sh", b"v1", "text/x-sh")
    first = run_cli("files", "download", made.id)
    assert first.exit_code == 0, first
    saved = Path(first.stdout.strip())
    assert saved.name == "evil[31mgpj.sh" and saved.parent == Path(".")
    assert Path("evil[31mgpj.sh").read_bytes() == b"v1" and not list(tmp_path.glob("**/.evil*"))
    fake_api.files.files[made.id].content = b"v2"
    again = run_cli("files", "download", made.id)
    assert "already exists" in one_line_error(again, 2) and Path(saved).read_bytes() == b"v1"
    forced = run_cli("files", "download", made.id, "--force", "--json")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["bytes"] == 2
    assert saved.read_bytes() == b"v2" and not list(Path(".").glob(".*part"))
    target = tmp_path / "out.sh"
    assert run_cli("files", "download", made.id, "-o", str(target)).exit_code == 0
    assert target.read_bytes() == b"v2"
    into = tmp_path / "dir"
    into.mkdir()
    assert run_cli("files", "download", made.id, "-o", str(into)).exit_code == 0
    assert (into / "evil[31mgpj.sh").read_bytes() == b"v2"


def test_download_refusals(cli_env, run_cli, fake_api, docs, tmp_path):
    up = json.loads(run_cli("files", "upload", str(docs["pdf"]), "--json").stdout)["items"][0]
    refused = run_cli("files", "download", up["id"], "-o", str(tmp_path / "x.pdf"))
    assert "cannot be downloaded" in one_line_error(refused, 5) and not (tmp_path / "x.pdf").exists()
    assert "no file file_nope" in one_line_error(run_cli("files", "download", "file_nope"), 4)
    made = fake_api.files.add_generated(TEST_KEY, "a.txt", b"x", "text/plain")
    missing_dir = run_cli("files", "download", made.id, "-o", str(tmp_path / "no" / "a.txt"))
    assert "does not exist" in one_line_error(missing_dir, 2)
    fake_api.files.expire(made.id)
    assert "has expired" in one_line_error(
        run_cli("files", "download", made.id, "-o", str(tmp_path / "e")), 4
    )


def test_bad_local_input_is_refused_before_anything_is_sent(cli_env, run_cli, fake_api, docs, tmp_path):
    missing = run_cli("files", "upload", str(docs["pdf"]), str(tmp_path / "missing.pdf"))
    assert "file not found" in one_line_error(missing, 2)
    assert "is a directory" in one_line_error(run_cli("files", "upload", str(tmp_path)), 2)
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(500_000_001)  # sparse: no disk used
    assert "at most 500 MB" in one_line_error(run_cli("files", "upload", str(huge)), 2)
    assert fake_api.requests_to("/v1/files") == []  # nothing uploaded, not even the good first file
    for bad in ("../etc", "file_a/b", "file_", "x"):
        assert "is not a file id" in one_line_error(run_cli("files", "show", bad), 2)
    assert fake_api.requests_to("/v1/files") == []


def test_api_failures_are_one_line_with_their_exit_codes(cli_env, run_cli, fake_api, docs):
    fake_api.files.max_bytes = 4
    assert "413" in one_line_error(run_cli("files", "upload", str(docs["pdf"])), 5)
    assert "no file file_nope" in one_line_error(run_cli("files", "show", "file_nope"), 4)
    gone = run_cli("files", "delete", "file_nope", "--json")
    assert gone.exit_code == 4 and json.loads(gone.stdout)["items"][0]["deleted"] is False
    offline = run_cli(
        "files", "list", env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "CLAUDECLI_MAX_RETRIES": "0"}
    )
    assert "cannot connect" in one_line_error(offline, 8)


def test_a_partial_upload_reports_what_went_up(cli_env, run_cli, fake_api, docs):
    fake_api.files.max_bytes = 15  # the 12-byte text goes up, the 20-byte PDF is refused
    result = run_cli("files", "upload", str(docs["txt"]), str(docs["pdf"]))
    one_line_error(result, 5)
    assert "uploaded 1 of 2 before the failure" in result.stderr
    assert "notes.txt" in result.stdout and "report.pdf" not in result.stdout
    assert fake_api.files.uploads == 1


def test_files_help_and_local_refusals_do_not_import_the_sdk(base_env, tmp_path):
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    for args in (
        ["files", "--help"],
        ["files", "upload", str(tmp_path / "missing")],
        ["files", "show", "bad"],
    ):
        probe = (
            "import sys\nfrom claudecli.cli.app import app\n"
            f"try:\n    app({args!r}, prog_name='claudecli')\nexcept SystemExit:\n    pass\n"
            "print('SDK' if 'anthropic' in sys.modules else 'clean')"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=subprocess_env()
        )
        assert done.stdout.strip().endswith("clean"), (args, done.stdout, done.stderr)


def test_a_symlinked_download_target_is_replaced_not_followed(cli_env, run_cli, fake_api, tmp_path):
    made = fake_api.files.add_generated(TEST_KEY, "a.txt", b"new", "text/plain")
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    link = tmp_path / "link.txt"
    os.symlink(victim, link)
    assert "already exists" in one_line_error(run_cli("files", "download", made.id, "-o", str(link)), 2)
    assert run_cli("files", "download", made.id, "-o", str(link), "--force").exit_code == 0
    assert victim.read_bytes() == b"keep" and link.read_bytes() == b"new" and not link.is_symlink()


def test_an_upload_retried_after_a_server_error_sends_the_whole_file_again(cli_env, run_cli, fake_api, docs):
    from tests.fakeapi import Fault

    fake_api.enqueue(Fault.status(500, "api_error", "boom"), "/v1/files")
    result = run_cli("files", "upload", str(docs["pdf"]))
    assert result.exit_code == 0, result
    assert len(fake_api.requests_to("/v1/files", "POST")) == 2
    (stored,) = fake_api.files.files.values()
    assert stored.content == PDF


def test_names_from_the_api_cannot_drive_the_terminal(cli_env, run_cli, fake_api):
    made = fake_api.files.add(TEST_KEY, "a\x1b[2J\u202eb.txt", "text/plain\x07", b"x")
    for args in (("files", "list"), ("files", "show", made.id)):
        result = run_cli(*args)
        assert result.exit_code == 0, result
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
        assert "a\\x1b[2J\\u202eb.txt" in result.stdout


@pytest.mark.parametrize(
    "change", ["a symlink out swapped in", "rewritten in place", "rewritten, mtime put back"]
)
def test_a_file_changed_after_its_check_is_not_uploaded(change, cli_env, fake_api, tmp_path):
    # Between the check and the upload (a batch validates every line first; the API is asked whether an
    # earlier upload is still there), the path may come to name other content: refused, nothing sent.
    import io

    from claudecli.core.config import load_settings
    from claudecli.core.context import AppContext
    from claudecli.core.errors import UsageError
    from claudecli.files.local import check_local
    from claudecli.files.reuse import open_store, uploaded

    inside = tmp_path / "jobs" / "s.txt"
    inside.parent.mkdir()
    inside.write_text("ALPHA\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("a secret outside the directory\n")
    local = check_local(str(inside))
    if change == "a symlink out swapped in":
        inside.unlink()
        inside.symlink_to(secret)
    elif change == "rewritten in place":
        os.utime(inside, ns=(0, 1))  # same size, other bytes, another mtime
        inside.write_text("BRAVO\n")
    else:
        checked = inside.stat()
        inside.write_text("BRAVO\n")
        os.utime(inside, ns=(checked.st_atime_ns, checked.st_mtime_ns))  # the change time still moves
    app_ctx = AppContext.create(
        load_settings(), stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(""), environ={}
    )
    with open_store(app_ctx) as store, pytest.raises(UsageError, match="changed while claudecli was reading"):
        uploaded(app_ctx, store, local)
    assert fake_api.files.uploads == 0
    app_ctx.close()


def test_a_fifo_nobody_writes_to_never_hangs_a_command(cli_env, run_cli, fake_api, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    upload = run_cli("files", "upload", str(fifo), timeout=20)
    assert upload.exit_code == 2 and "not a regular file" in upload.stderr
    attach = run_cli("ask", "-a", str(fifo), "--no-stdin", "hi", timeout=20)
    assert attach.exit_code == 0, attach  # read at once, as empty, as an empty file would be (-a <(cmd) too)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "q", "attach": "fifo"}) + "\n")
    as_input = run_cli("batch", "submit", str(fifo), "--dry-run", timeout=20)
    assert as_input.exit_code == 2 and "no requests" in as_input.stderr, as_input
    batch = run_cli("batch", "submit", str(jobs), "--dry-run", timeout=20)
    assert batch.exit_code == 0, batch
    uploading = run_cli("batch", "submit", str(jobs), "--upload-attachments", timeout=20)
    assert (
        uploading.exit_code == 2 and ":1: " in uploading.stderr and "not a regular file" in uploading.stderr
    )
    assert fake_api.files.uploads == 0


def test_a_file_must_be_opened_at_the_very_path_that_was_checked(tmp_path):
    # A batch line's path is resolved and confined, then opened: a component swapped for a symlink in between
    # would open a file elsewhere. What was opened is compared with the resolved path.
    from claudecli.core.errors import UsageError
    from claudecli.core.fsutil import open_to_read, require_opened_at

    real = tmp_path / "real.txt"
    real.write_text("x")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with open_to_read(real) as handle:
        require_opened_at(handle, real)
    with open_to_read(link) as handle, pytest.raises(UsageError, match="changed while claudecli was reading"):
        require_opened_at(handle, link)
