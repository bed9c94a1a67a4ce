"""Attaching uploaded files: ``-a file:ID``, a bare ``file_…``, ``-a PATH --upload`` (uploaded once, remembered
by content hash per API, workspace and profile, re-uploaded when the API lost it), chat's ``/attach`` and batch
lines, and ``batch submit/run --upload-attachments``. Real CLI, real SDK over real HTTP, real SQLite."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, assert_no_traceback

PDF = b"%PDF-1.4 " + b"x" * 3000


def blocks(fake_api) -> list[dict]:
    return fake_api.last_request("/v1/messages").body["messages"][0]["content"]


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(PDF)
    return path


def uploaded_id(run_cli, path: Path) -> str:
    result = run_cli("files", "upload", str(path), "--json")
    assert result.exit_code == 0, result
    return json.loads(result.stdout)["items"][0]["id"]


def test_attach_by_id_builds_the_block_from_the_files_type(cli_env, run_cli, fake_api, pdf, tmp_path):
    doc_id = uploaded_id(run_cli, pdf)
    png = tmp_path / "p.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    img_id = uploaded_id(run_cli, png)
    result = run_cli("ask", "-a", f"file:{doc_id}", "-a", img_id, "[[echo]] hi")
    assert result.exit_code == 0, result
    doc, img = blocks(fake_api)[:2]
    assert doc["type"] == "document" and doc["source"] == {"type": "file", "file_id": doc_id}
    assert doc["title"] == "report.pdf"
    assert img["type"] == "image" and img["source"] == {"type": "file", "file_id": img_id}


def test_a_bare_id_that_is_a_local_file_is_the_file(cli_env, run_cli, fake_api):
    Path("file_notes").write_text("local text", encoding="utf-8")
    assert run_cli("ask", "-a", "file_notes", "[[echo]] hi").exit_code == 0
    assert blocks(fake_api)[0]["source"] == {"type": "text", "media_type": "text/plain", "data": "local text"}


def test_attach_refusals(cli_env, run_cli, fake_api, tmp_path):
    unknown = run_cli("ask", "-a", "file:file_nope", "hi")
    assert unknown.exit_code == 4 and "no file file_nope" in unknown.stderr
    assert run_cli("ask", "-a", "file:../x", "hi").exit_code == 2
    fake_api.files.add(TEST_KEY, "data.zip", "application/zip", b"PK")
    zipped = next(iter(fake_api.files.files))
    wrong = run_cli("ask", "-a", f"file:{zipped}", "hi")
    assert wrong.exit_code == 2 and "application/zip" in wrong.stderr
    old = fake_api.files.add(TEST_KEY, "old.pdf", "application/pdf", b"%PDF-")
    fake_api.files.expire(old.id)
    expired = run_cli("ask", "-a", f"file:{old.id}", "hi")
    assert expired.exit_code == 4 and "has expired" in expired.stderr
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\0\1\2" * 10)
    refused = run_cli("ask", "-a", str(binary), "--upload", "hi")
    assert refused.exit_code == 2 and "cannot be attached" in refused.stderr
    assert fake_api.requests_to("/v1/messages") == [] and fake_api.files.uploads == 0
    assert_no_traceback(unknown.stderr + wrong.stderr + refused.stderr)


def test_upload_once_then_reuse_then_reupload_when_the_api_lost_it(cli_env, run_cli, fake_api, pdf):
    first = run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] one")
    assert first.exit_code == 0, first
    file_id = blocks(fake_api)[0]["source"]["file_id"]
    assert run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] two").exit_code == 0
    assert blocks(fake_api)[0]["source"]["file_id"] == file_id and fake_api.files.uploads == 1
    copy = pdf.with_name("copy.pdf")
    copy.write_bytes(PDF)  # the same content under another name: still one upload
    assert run_cli("ask", "-a", str(copy), "--upload", "[[echo]] three").exit_code == 0
    assert fake_api.files.uploads == 1 and blocks(fake_api)[0]["title"] == "copy.pdf"
    fake_api.files.files[file_id].deleted = True  # deleted behind claudecli's back
    again = run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] four")
    assert again.exit_code == 0 and "is gone from the API; uploading it again" in again.stderr
    new_id = blocks(fake_api)[0]["source"]["file_id"]
    assert new_id != file_id and fake_api.files.uploads == 2
    fake_api.files.expire(new_id)
    assert run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] five").exit_code == 0
    assert fake_api.files.uploads == 3
    pdf.write_bytes(PDF + b"edited")  # new content: a new upload
    assert run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] six").exit_code == 0
    assert fake_api.files.uploads == 4


def test_the_memory_is_scoped_by_workspace_key_and_profile(cli_env, run_cli, fake_api, pdf, write_config):
    assert run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] a").exit_code == 0
    other_key = run_cli(
        "ask", "-a", str(pdf), "--upload", "[[echo]] b", env={"ANTHROPIC_API_KEY": "sk-ant-other-0123456789"}
    )
    assert other_key.exit_code == 0 and fake_api.files.uploads == 2
    write_config('[profiles.work]\nmodel = "sonnet"\n')
    assert run_cli("--profile", "work", "ask", "-a", str(pdf), "--upload", "[[echo]] c").exit_code == 0
    assert fake_api.files.uploads == 3


def test_a_damaged_store_is_moved_aside_and_the_call_still_happens(cli_env, run_cli, fake_api, pdf, home):
    store = home / "data" / "files.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"this is not a database" * 100)
    result = run_cli("ask", "-a", str(pdf), "--upload", "[[echo]] hi")
    assert result.exit_code == 11, result
    assert "[[echo]] hi" in result.stdout and "damaged" in result.stderr
    assert list(store.parent.glob("files.db.corrupt-*"))
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (1,)


def test_chat_attach_takes_ids_and_uploads(cli_env, fake_api, pdf):
    from claudecli.chat.repl import handle_line
    from claudecli.chat.session_store import SessionStore
    from claudecli.chat.state import ChatState
    from claudecli.core.config import load_settings
    from claudecli.core.context import AppContext

    settings = load_settings()
    app_ctx = AppContext.create(
        settings, stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(""), environ={}
    )
    with SessionStore(settings.paths.sessions_file) as store:
        chat = ChatState.fresh(
            app_ctx, store, model="claude-sonnet-5-5", system=None, thinking=None, name=None
        )
        handle_line(chat, f"/attach --upload {pdf}")
        handle_line(chat, "what is in it?")
        file_id = blocks(fake_api)[0]["source"]["file_id"]
        handle_line(chat, f"/attach file:{file_id}")
        handle_line(chat, "and again?")
        last = fake_api.last_request("/v1/messages").body["messages"][-1]["content"]
        assert last[0]["source"] == {"type": "file", "file_id": file_id} and fake_api.files.uploads == 1
    app_ctx.close()


def _jobs(directory: Path, attach: str, lines: int = 4) -> Path:
    path = directory / "jobs.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"q{i}", "attach": attach}) + "\n" for i in range(lines)))
    return path


def test_batch_lines_take_ids_and_upload_attachments_once(cli_env, run_cli, fake_api, pdf, tmp_path):
    inline = run_cli("batch", "submit", str(_jobs(tmp_path, "report.pdf")), "--name", "inline")
    assert inline.exit_code == 0, inline
    inline_body = fake_api.last_request("/v1/messages/batches").body
    uploaded = run_cli(
        "batch", "submit", str(_jobs(tmp_path, "report.pdf")), "--upload-attachments", "--name", "up"
    )
    assert uploaded.exit_code == 0, uploaded
    body = fake_api.last_request("/v1/messages/batches").body
    assert fake_api.files.uploads == 1  # four lines, one upload
    ids = {r["params"]["messages"][0]["content"][0]["source"]["file_id"] for r in body["requests"]}
    assert len(ids) == 1 and len(json.dumps(body)) < len(json.dumps(inline_body)) / 2
    by_id = run_cli("batch", "submit", str(_jobs(tmp_path, f"file:{ids.pop()}", 2)), "--name", "byid")
    assert by_id.exit_code == 0, by_id
    assert fake_api.files.uploads == 1


def test_batch_run_uploads_attachments_once_and_a_rerun_reuses_them(
    cli_env, run_cli, fake_api, pdf, tmp_path
):
    jobs = _jobs(tmp_path, "report.pdf", 3)
    result = run_cli("batch", "run", str(jobs), "--upload-attachments", "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result
    sent = fake_api.requests_to("/v1/messages", method="POST")
    sources = [r.body["messages"][0]["content"][0]["source"] for r in sent]
    assert len(sources) == 3 and fake_api.files.uploads == 1  # three lines, one upload
    assert all(s["type"] == "file" and s["file_id"] == sources[0]["file_id"] for s in sources)
    again = run_cli("batch", "run", str(jobs), "--upload-attachments", "-o", str(tmp_path / "again.jsonl"))
    assert again.exit_code == 0, again
    assert fake_api.files.uploads == 1  # the same content keeps its id


@pytest.mark.parametrize("command", ["submit", "run"])
def test_batch_uploads_nothing_before_every_line_is_valid_and_the_budget_allows_it(
    command, cli_env, run_cli, fake_api, pdf, tmp_path
):
    jobs = _jobs(tmp_path, "report.pdf", 2)
    with jobs.open("a") as lines:
        lines.write('{"prompt": "no such attachment", "attach": "missing.pdf"}\n')
    invalid = run_cli("batch", command, str(jobs), "--upload-attachments")
    assert invalid.exit_code == 2 and "missing.pdf" in invalid.stderr
    budget = {"CLAUDECLI_MAX_COST_PER_CALL": "0.000001"}
    refused = run_cli(
        "batch", command, str(_jobs(tmp_path, "report.pdf", 2)), "--upload-attachments", env=budget
    )
    assert refused.exit_code == 9, refused
    assert fake_api.files.uploads == 0  # neither an invalid line nor a budget let a file go up first
    assert not fake_api.requests_to("/v1/messages") and not fake_api.batches


@pytest.mark.parametrize("command", ["submit", "run"])
def test_batch_upload_checks_attachments_by_upload_rules_and_reports_once(
    command, cli_env, run_cli, fake_api, tmp_path
):
    big = tmp_path / "big.png"  # over the 5 MiB inline image limit, well under the Files API's
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(6 * 1024 * 1024))
    jobs = _jobs(tmp_path, "big.png", 2)
    with jobs.open("a") as lines:
        lines.write('{"prompt": "no such attachment", "attach": "missing.pdf"}\n')
    result = run_cli("batch", command, str(jobs), "--upload-attachments", "--skip-invalid")
    assert result.exit_code == 0, result
    assert fake_api.files.uploads == 1
    assert result.stderr.count("missing.pdf") == 1 and result.stderr.count("skipping 1 invalid") == 1


@pytest.mark.parametrize("command", ["submit", "run"])
def test_an_input_rewritten_between_the_check_and_the_uploads_is_refused(
    command, cli_env, run_cli, fake_api, pdf, tmp_path
):
    # The budget was checked on the first look's lines: a line changed after it is never sent (nor uploaded).
    from tests.fakeapi import files as fake_files

    file_id = uploaded_id(run_cli, pdf)
    (tmp_path / "two.txt").write_text("two\n")
    jobs = tmp_path / "jobs.jsonl"
    first = {"id": "one", "prompt": "q", "attach": f"file:{file_id}"}
    jobs.write_text(
        json.dumps(first) + "\n" + json.dumps({"id": "two", "prompt": "q", "attach": "two.txt"}) + "\n"
    )
    costly = {"id": "two", "prompt": "q", "attach": "two.txt", "model": "opus", "max_tokens": 64000}
    looked_up = []

    def rewrite_after_the_first_look(fake, request, match):
        if not looked_up:  # during the first look, which goes on reading the file it opened: replace it
            replacement = jobs.with_name("replacement.jsonl")
            replacement.write_text(json.dumps(first) + "\n" + json.dumps(costly) + "\n")
            os.replace(replacement, jobs)
        looked_up.append(match["file_id"])
        return fake_files.metadata(fake, request, match)

    fake_api.add_route("GET", r"/v1/files/(?P<file_id>[^/]+)", rewrite_after_the_first_look)
    result = run_cli(
        "batch", command, str(jobs), "--upload-attachments", env={"CLAUDECLI_MAX_COST_PER_CALL": "0.5"}
    )
    assert result.exit_code == 2, result
    assert "jobs.jsonl:2: the file changed while it was being read" in result.stderr
    assert fake_api.files.uploads == 1  # the pdf, uploaded before the run; nothing of the changed line
    assert not fake_api.requests_to("/v1/messages", method="POST") and not fake_api.batches


def test_a_file_changed_between_the_first_look_and_its_upload_is_not_uploaded(
    cli_env, run_cli, fake_api, pdf, tmp_path
):
    from tests.fakeapi import files as fake_files

    file_id = uploaded_id(run_cli, pdf)
    two = tmp_path / "two.txt"
    two.write_text("two\n")
    jobs = tmp_path / "jobs.jsonl"
    lines = [{"prompt": "q", "attach": f"file:{file_id}"}, {"prompt": "q", "attach": "two.txt"}]
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    looked_up = []

    def grow_after_the_first_look(fake, request, match):
        looked_up.append(match["file_id"])
        if (
            len(looked_up) == 2
        ):  # the upload pass looks line 1's file up: the first look checked two.txt as it was
            two.write_text("two, and much longer now\n" * 1000)
        return fake_files.metadata(fake, request, match)

    fake_api.add_route("GET", r"/v1/files/(?P<file_id>[^/]+)", grow_after_the_first_look)
    result = run_cli("batch", "run", str(jobs), "--upload-attachments")
    assert result.exit_code == 2, result
    assert "jobs.jsonl:2: " in result.stderr and "changed after its line was checked" in result.stderr
    assert fake_api.files.uploads == 1 and not fake_api.requests_to("/v1/messages", method="POST")


def test_batch_upload_skips_the_attachments_of_invalid_lines(cli_env, run_cli, fake_api, tmp_path):
    for name in ("fx.txt", "fy.txt", "fz.txt"):
        (tmp_path / name).write_text(f"{name}\n")
    jobs = tmp_path / "jobs.jsonl"
    lines = [
        {"id": "a", "prompt": "q", "attach": "fx.txt"},
        {"id": "a", "prompt": "a repeated id", "attach": "fy.txt"},
        {"id": "c", "prompt": "an unknown model", "model": "nosuchmodel", "attach": "fz.txt"},
    ]
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = run_cli("batch", "submit", str(jobs), "--upload-attachments", "--skip-invalid")
    assert result.exit_code == 0, result
    assert fake_api.files.uploads == 1  # fx.txt only: lines found invalid are not looked at again


def test_one_file_named_several_ways_in_a_batch_is_checked_and_uploaded_once(
    cli_env, run_cli, fake_api, pdf, tmp_path
):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.pdf").symlink_to(pdf)
    spellings = ["report.pdf", "./report.pdf", "sub/../report.pdf", "link.pdf"]
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({"prompt": "q", "attach": name}) + "\n" for name in spellings))
    result = run_cli("batch", "submit", str(jobs), "--upload-attachments")
    assert result.exit_code == 0, result
    lookups = [r for r in fake_api.requests if r.method == "GET" and r.path.startswith("/v1/files/")]
    assert fake_api.files.uploads == 1 and not lookups
    assert "already uploaded" not in result.stderr


def test_an_upload_the_api_refuses_is_reported_on_its_line(cli_env, run_cli, fake_api, tmp_path):
    from tests.fakeapi import Fault

    for name in ("fx.txt", "fy.txt"):
        (tmp_path / name).write_text(f"{name}\n")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        "".join(json.dumps({"prompt": "q", "attach": name}) + "\n" for name in ("fx.txt", "fy.txt"))
    )
    fake_api.enqueue(
        Fault.status(400, "invalid_request_error", "this file cannot be stored"), path="/v1/files"
    )
    result = run_cli("batch", "run", str(jobs), "--upload-attachments", "--skip-invalid")
    assert result.exit_code == 0, result  # the first look found both lines valid; the upload pass did not
    assert "jobs.jsonl:1: " in result.stderr and "cannot be stored" in result.stderr
    assert result.stderr.count("skipping 1 invalid line(s)") == 1
    assert len(fake_api.requests_to("/v1/messages", method="POST")) == 1


def test_batch_run_with_nothing_left_to_run_uploads_nothing(cli_env, run_cli, fake_api, pdf, tmp_path):
    jobs, out = _jobs(tmp_path, "report.pdf", 2), tmp_path / "out.jsonl"
    assert run_cli("batch", "run", str(jobs), "-o", str(out)).exit_code == 0  # inline: no upload
    again = run_cli("batch", "run", str(jobs), "-o", str(out), "--upload-attachments")
    assert again.exit_code == 0 and "nothing to do" in again.stderr
    assert fake_api.files.uploads == 0


def test_batch_dry_run_uploads_nothing_and_bad_ids_are_line_errors(cli_env, run_cli, fake_api, pdf, tmp_path):
    dry = run_cli("batch", "submit", str(_jobs(tmp_path, "report.pdf")), "--upload-attachments", "--dry-run")
    assert dry.exit_code == 0 and "--dry-run uploads nothing" in dry.stderr and fake_api.files.uploads == 0
    bad = run_cli("batch", "submit", str(_jobs(tmp_path, "file:file_gone", 2)))
    assert bad.exit_code == 2 and ":1: " in bad.stderr and "no file file_gone" in bad.stderr


def test_batch_uploads_keep_the_estimate_and_fail_whole_on_a_network_failure(
    cli_env, run_cli, fake_api, pdf, tmp_path
):
    jobs = _jobs(tmp_path, "report.pdf")
    inline = run_cli("batch", "submit", str(jobs), "--dry-run")
    uploaded = run_cli("batch", "submit", str(jobs), "--upload-attachments", "--name", "est")
    worst = [
        line.split("worst case ")[1]
        for line in (inline.stderr + uploaded.stderr).splitlines()
        if "worst" in line
    ]
    assert len(worst) == 2 and worst[0] == worst[1]  # a file source is estimated as its bytes inline would be
    offline = run_cli(
        "batch", "submit", str(_jobs(tmp_path, "report.pdf", 3)), "--upload-attachments", "--name", "off",
        env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "CLAUDECLI_MAX_RETRIES": "0"},
    )  # fmt: skip
    assert offline.exit_code == 8, offline
    assert offline.stderr.count("\n") == 1 and "cannot connect" in offline.stderr


def _attach_lines(path: Path, names: list[str]) -> Path:
    path.write_text(
        "".join(json.dumps({"id": name[0], "prompt": "q", "attach": name}) + "\n" for name in names)
    )
    return path


def test_a_resumed_run_leaves_the_attachments_of_answered_lines_alone(cli_env, run_cli, fake_api, tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"{name}\n")
    jobs, out = tmp_path / "jobs.jsonl", tmp_path / "out.jsonl"
    first = run_cli(
        "batch", "run", str(_attach_lines(jobs, ["a.txt", "b.txt"])), "-o", str(out), "--upload-attachments"
    )
    assert first.exit_code == 0, first
    assert fake_api.files.uploads == 2
    (tmp_path / "a.txt").unlink()  # an answered line's attachment may be gone by now: it is not needed
    before = len(fake_api.requests)
    resumed = run_cli(
        "batch", "run", str(_attach_lines(jobs, ["a.txt", "b.txt", "c.txt"])), "-o", str(out), "--upload-attachments"
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed
    since = fake_api.requests[before:]
    lookups = [r for r in since if r.method == "GET" and r.path.startswith("/v1/files")]
    assert lookups == [] and fake_api.files.uploads == 3  # c.txt only
    assert "already uploaded" not in resumed.stderr
    assert [r.path for r in since if r.method == "POST"] == ["/v1/files", "/v1/messages"]
    assert [json.loads(line)["custom_id"] for line in out.read_text().splitlines()] == ["a", "b", "c"]


def test_a_resumed_inline_run_does_not_read_the_attachments_of_answered_lines(
    cli_env, run_cli, fake_api, tmp_path
):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(f"{name}\n")
    jobs, out = _attach_lines(tmp_path / "jobs.jsonl", ["a.txt", "b.txt"]), tmp_path / "out.jsonl"
    assert run_cli("batch", "run", str(jobs), "-o", str(out)).exit_code == 0
    (tmp_path / "a.txt").unlink()
    (tmp_path / "b.txt").unlink()
    finished = run_cli("batch", "run", str(jobs), "-o", str(out))
    assert finished.exit_code == 0, finished
    assert "nothing to do: all 2 requests already have results" in finished.stderr
