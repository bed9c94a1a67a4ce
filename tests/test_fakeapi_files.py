"""The fake's Files API, driven by the real SDK (``client.files``, GA in SDK 2.16): the fake is right when the
SDK parses it and raises the classes it raises for the real API."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.fakeapi import FakeAnthropic, fixtures

fake_api = fixtures.fake_api
KEY = "sk-ant-test-files"
MODEL = "claude-opus-5-5"


@pytest.fixture
def client(fake_api: FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=fake_api.base_url, max_retries=0)


def ask_with(client: anthropic.Anthropic, block: dict[str, Any]) -> Any:
    content = [block, {"type": "text", "text": "hi"}]
    return client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": content}])


def test_upload_is_multipart_and_answers_file_metadata(client, fake_api):
    meta = client.files.upload(file=("dir/report.pdf", b"%PDF-1.4 x", "application/pdf"))
    assert meta.id.startswith("file_") and meta.type == "file"
    assert (meta.filename, meta.mime_type, meta.size_bytes, meta.downloadable) == (
        "report.pdf",
        "application/pdf",
        10,
        False,
    )
    request = fake_api.last_request("/v1/files")
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert "anthropic-beta" not in request.headers  # GA: no beta header
    assert client.files.retrieve_metadata(meta.id).id == meta.id


def test_list_pages_newest_first_with_a_cursor(client, fake_api):
    ids = [client.files.upload(file=(f"f{i}.txt", b"x", "text/plain")).id for i in range(5)]
    first = client.files.list(limit=2)
    assert [f.id for f in first.data] == ids[::-1][:2] and first.next_page.startswith("page_")
    assert [f.id for f in client.files.list(limit=2)] == ids[::-1]  # the SDK follows next_page
    only = client.files.list(ids=[ids[0], "file_unknown"])
    assert [f.id for f in only.data] == [ids[0]] and only.next_page is None
    with pytest.raises(anthropic.BadRequestError):
        client.files.list(limit=0)


def test_deleted_and_unknown_files_are_404(client):
    meta = client.files.upload(file=("a.txt", b"x", "text/plain"))
    assert client.files.delete(meta.id).type == "file_deleted"
    for call in (client.files.retrieve_metadata, client.files.delete, client.files.download):
        with pytest.raises(anthropic.NotFoundError):
            call(meta.id)
    with pytest.raises(anthropic.NotFoundError):
        client.files.retrieve_metadata("file_never")


def test_only_tool_created_files_download(client, fake_api):
    mine = client.files.upload(file=("a.txt", b"x", "text/plain"))
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.files.download(mine.id)
    assert refused.value.error_code == "file_not_downloadable"
    made = fake_api.files.add_generated(KEY, "chart.png", b"\x89PNG\r\n\x1a\nzz", "image/png")
    assert client.files.download(made.id).read() == b"\x89PNG\r\n\x1a\nzz"
    fake_api.files.expire(made.id)
    with pytest.raises(anthropic.NotFoundError) as gone:
        client.files.download(made.id)
    assert gone.value.error_code == "file_expired"


def test_a_file_belongs_to_the_workspace_of_its_key(client, fake_api):
    meta = client.files.upload(file=("a.txt", b"x", "text/plain"))
    other = anthropic.Anthropic(api_key="sk-ant-other", base_url=fake_api.base_url, max_retries=0)
    with pytest.raises(anthropic.NotFoundError):
        other.files.retrieve_metadata(meta.id)
    assert list(other.files.list()) == []


def test_size_limit_and_bad_names(client, fake_api):
    fake_api.files.max_bytes = 8
    with pytest.raises(anthropic.APIStatusError) as too_big:
        client.files.upload(file=("a.txt", b"123456789", "text/plain"))
    assert too_big.value.status_code == 413
    with pytest.raises(anthropic.BadRequestError):
        client.files.upload(file=("a|b.txt", b"x", "text/plain"))
    assert client.files.upload(file=("", b"x", "text/plain")).filename == "unnamed.txt"


def test_messages_take_file_sources_and_refuse_what_the_api_refuses(client, fake_api):
    pdf = client.files.upload(file=("r.pdf", b"%PDF-1.4", "application/pdf"))
    png = client.files.upload(file=("p.png", b"\x89PNG\r\n\x1a\n", "image/png"))
    assert ask_with(client, {"type": "document", "source": {"type": "file", "file_id": pdf.id}}).content
    assert ask_with(client, {"type": "image", "source": {"type": "file", "file_id": png.id}}).content
    with pytest.raises(anthropic.BadRequestError):
        ask_with(client, {"type": "image", "source": {"type": "file", "file_id": pdf.id}})
    with pytest.raises(anthropic.NotFoundError):
        ask_with(client, {"type": "document", "source": {"type": "file", "file_id": "file_nope"}})
    client.files.delete(pdf.id)
    with pytest.raises(anthropic.NotFoundError):
        ask_with(client, {"type": "document", "source": {"type": "file", "file_id": pdf.id}})


def test_a_batch_request_naming_a_deleted_file_errors(client, fake_api):
    params = {
        "model": MODEL,
        "max_tokens": 10,
        "messages": [
            {
                "role": "user",
                "content": [{"type": "document", "source": {"type": "file", "file_id": "file_x"}}],
            }
        ],
    }
    batch = client.messages.batches.create(requests=[{"custom_id": "a", "params": params}])
    (result,) = list(client.messages.batches.results(batch.id))
    assert result.result.type == "errored" and result.result.error.error.type == "not_found_error"
