"""JSON of another shape under a 200 (a gateway's own answer): one line and a documented exit code, never a bug.

The SDK builds its types from a 200 without checking them, so such an answer arrives with fields missing; each
command checks what it reads (see also tests/test_failures.py for web pages and streams with no message).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import TEST_KEY
from tests.fakeapi import Fault
from tests.test_failures import check_one_line_error

# In-process, pytest shows the SDK's serializer warnings that claudecli hides (see the subprocess test below).
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
OTHER_SHAPE = Fault.body(b'{"ok": true}', 200, "application/json")
QUICK = {"CLAUDECLI_MAX_RETRIES": "0"}


def test_a_token_count_without_input_tokens_is_a_server_error(cli_env, run_cli, fake_api):
    """It was "unexpected TypeError", exit 1."""
    fake_api.enqueue(OTHER_SHAPE, path="/v1/messages/count_tokens")
    result = run_cli("cost", "estimate", "-m", "claude-haiku-5-5", "hello", env=QUICK)
    check_one_line_error(result, 7, "cannot read", "token count")


def test_a_create_answered_with_no_batch_is_reconciled_never_resent_blindly(
    cli_env, run_cli, fake_api, tmp_path
):
    """It was "unexpected AttributeError", exit 1, with the part left as if being created. Now the create's
    outcome is unknown, as after a lost answer: the next run reconciles it, and the hint names --resubmit."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"id": "a", "prompt": "hi"}) + "\n", encoding="utf-8")
    fake_api.enqueue(OTHER_SHAPE, path="/v1/messages/batches")
    result = run_cli("batch", "submit", str(jobs), env=QUICK)
    check_one_line_error(result, 7, "cannot read", "not a batch")
    assert "reconciles it" in result.stderr
    again = run_cli("batch", "submit", str(jobs), env=QUICK)
    check_one_line_error(again, 8, "no batch has shown up yet")
    assert "--resubmit" in again.stderr and "--force" not in again.stderr


# Bodies no JSON reader takes: bytes that are not UTF-8, bytes that are not JSON, nothing at all.
NOT_JSON = {
    "binary": bytes(range(256)),
    "not UTF-8": b'{"id": "\xff\xfe"}',
    "empty": b"",
}


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("/v1/messages/count_tokens", ("cost", "estimate", "-m", "claude-haiku-5-5", "hello")),
        ("/v1/models", ("models", "--refresh", "--json")),
        ("/v1/files", ("files", "list", "--json")),
        ("/v1/messages/batches", ("batch", "submit", "JOBS")),
    ],
    ids=["cost estimate", "models", "files list", "batch submit"],
)
def test_a_body_that_is_not_json_is_a_server_error(cli_env, run_cli, fake_api, tmp_path, path, args, body):
    """It was "unexpected JSONDecodeError" or "unexpected UnicodeDecodeError", exit 1, in every command that
    reads JSON (the SDK reads it, outside any of claudecli's checks)."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"id": "a", "prompt": "hi"}) + "\n", encoding="utf-8")
    fake_api.enqueue(Fault.body(body, 200, "application/json"), path=path)
    result = run_cli(*(str(jobs) if arg == "JOBS" else arg for arg in args), env=QUICK)
    check_one_line_error(result, 7, "cannot read")
    if "--json" in args:
        assert json.loads(result.stdout)["status"] == "error"


def _sse(*events: dict) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _stream(**replaced: dict | None) -> bytes:
    """A whole streamed answer ("hello", 10 in, 5 out) with some of its events replaced (or left out: None)."""
    message = {
        "id": "msg_x",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-5-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }
    events: dict[str, dict | None] = {
        "start": {"type": "message_start", "message": message},
        "block": {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        "delta": {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "hello"},
        },
        "block_stop": {"type": "content_block_stop", "index": 0},
        "message_delta": {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 5},
        },
        "stop": {"type": "message_stop"},
    }
    events.update(replaced)
    return _sse(*(event for event in events.values() if event is not None))


ODD_EVENTS = st.sampled_from(
    [
        {"delta": {"type": "content_block_delta", "index": 0}},
        {"delta": {"type": "content_block_delta", "index": 0, "delta": "hello"}},
        {"delta": {"type": "content_block_delta", "index": 7, "delta": {"type": "text_delta", "text": "x"}}},
        {"delta": {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}}},
        {"message_delta": {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": "lots"}},
        {"message_delta": {"type": "message_delta", "usage": {"output_tokens": 5}}},
        {"start": {"type": "message_start", "message": None}},
        {"block": {"type": "content_block_start", "index": 0}},
        {"block": None},
    ]
)


@given(odd=ODD_EVENTS, as_json=st.booleans())
def test_stream_events_of_another_shape_are_a_server_error_and_booked(
    cli_env, run_cli, fake_api, ledger_rows, odd, as_json
):
    """Each was "unexpected AttributeError", "IndexError" or "TypeError", exit 1 (the SDK builds a stream's
    events without checking them, then fails reading them); a field of another type also printed pydantic's
    warning lines on stderr. Now "cannot read", exit 7, the call booked like any other that failed."""
    booked = len(ledger_rows())
    fake_api.enqueue(Fault.body(_stream(**odd), 200, "text/event-stream"))
    result = run_cli("ask", *(["--json"] if as_json else []), "-m", "claude-haiku-5-5", "hi", env=QUICK)
    check_one_line_error(result, 7, "cannot read")
    assert "Warning" not in result.stderr
    if as_json:
        assert json.loads(result.stdout)["status"] == "error"
    rows = ledger_rows()
    assert len(rows) == booked + 1 and rows[-1]["status"] != "in_flight"


def _message(content: object, usage: object) -> bytes:
    return json.dumps(
        {
            "id": "msg_x",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-5-5",
            "content": content,
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
    ).encode()


@pytest.mark.parametrize(
    "count", [-1_000_000_000, 10**30, 1e308, "12"], ids=["negative", "huge", "float", "text"]
)
def test_token_counts_of_another_kind_are_booked_as_none(cli_env, run_cli, fake_api, ledger_rows, count):
    """A count past SQLite's integers was "unexpected OverflowError", exit 1, its row never completed; a negative
    one was booked as a negative cost, which lowered the spend every budget saw. Such counts count as none, and
    an answer whose usage reports none is booked at an estimate (the request's input, the answer's text), never
    at $0."""
    fake_api.enqueue(
        Fault.body(
            _stream(
                message_delta={
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": count, "input_tokens": count},
                }
            ),
            200,
            "text/event-stream",
        )
    )
    result = run_cli("ask", "-m", "claude-haiku-5-5", "hi", env=QUICK)
    assert result.exit_code == 0, result
    fake_api.enqueue(
        Fault.body(
            _message([{"type": "text", "text": "hi"}], {"input_tokens": count, "output_tokens": count}), 200
        )
    )
    source = cli_env["CLAUDECLI_HOME"] + "/q.txt"
    with open(source, "w", encoding="utf-8") as handle:
        handle.write("hello\n")
    result = run_cli("batch", "run", "--text", source, "--retries", "0", env=QUICK)
    assert result.exit_code == 0, result
    rows = ledger_rows()
    assert [row["status"] for row in rows] == ["ok", "ok"]
    for row in rows:
        assert 0 < row["input_tokens"] <= 12 and 0 < row["output_tokens"] <= 12 and row["cost_usd"] > 0


@pytest.mark.parametrize(
    "content", ["hello", [5, None], {"type": "text"}], ids=["text", "list of numbers", "object"]
)
def test_batch_run_a_message_whose_content_is_not_blocks_is_an_errored_line(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows, content
):
    """It was "unexpected AttributeError", exit 1, with nothing written; now the line is errored ("cannot read"),
    its call booked."""
    fake_api.enqueue(Fault.body(_message(content, {"input_tokens": 10, "output_tokens": 5}), 200))
    source = tmp_path / "q.txt"
    source.write_text("hello\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_cli("batch", "run", "--text", str(source), "--retries", "0", "-o", str(out), env=QUICK)
    assert result.exit_code == 0, result
    [line] = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert line["status"] == "errored" and "cannot read" in line["error"]["message"]
    assert len(ledger_rows()) == 1


OTHER_SHAPES = {
    "no data": b"{}",
    "data null": b'{"data": null}',
    "data text": b'{"data": "x", "has_more": false}',
    "a list": b"[]",
    "wrong types": b'{"data": [{"id": 5, "usage": "x", "results": "y", "starting_at": 7}], "has_more": false}',
}


@pytest.mark.parametrize("body", OTHER_SHAPES.values(), ids=OTHER_SHAPES.keys())
def test_lists_and_reports_of_another_shape_are_refused(cli_env, run_cli, fake_api, home, body):
    """`cost report --org` printed a report of no spend for `{}` and failed with "unexpected AttributeError"
    (exit 1) on other shapes; `files list` showed no file for `{}`; `models --refresh` failed, exit 1, on
    `"data": "x"`. Each is now "cannot read", exit 7, and the models cache is not written."""
    org = "/v1/organizations/analytics/usage"
    for path in (org, "/v1/files", "/v1/models"):
        fake_api.enqueue(Fault.body(body, 200), path=path)
    admin = {**QUICK, "ANTHROPIC_ADMIN_KEY": "sk-ant-admin-test-ADMINSECRET-42"}
    for args, env in (
        (("cost", "report", "--org", "--json"), admin),
        (("files", "list", "--json"), QUICK),
        (("models", "--refresh", "--json"), QUICK),
    ):
        result = run_cli(*args, env=env)
        check_one_line_error(result, 7, "cannot read")
        assert json.loads(result.stdout)["status"] == "error"
    assert not list(home.rglob("models*.json"))


def test_files_delete_answered_with_something_else_is_not_a_deletion(cli_env, run_cli, fake_api):
    """A gateway's `{}` under a 200 was taken for a deletion (exit 0, the id printed, the file forgotten)."""
    made = fake_api.files.add_generated(TEST_KEY, "a.txt", b"x", "text/plain")
    fake_api.enqueue(Fault.body(b"{}", 200), path=f"/v1/files/{made.id}")
    result = run_cli("files", "delete", made.id, "--json", env=QUICK)
    assert result.exit_code == 7, result
    assert json.loads(result.stdout)["items"] == [
        {
            "id": made.id,
            "deleted": False,
            "error": "the API sent an answer claudecli cannot read (not the file's deletion)",
        }
    ]


def test_a_field_of_another_type_prints_no_python_warning(cli_env, run_cli_subprocess, fake_api):
    """The SDK's stream snapshot is serialised with pydantic's warnings on: a usage that is a string printed
    three lines of "PydanticSerializationUnexpectedValue" beside the error (a real process: pytest's own
    warning capture hides them in-process)."""
    start = {
        "type": "message_start",
        "message": {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-5-5",
            "content": [],
            "usage": "x",
        },
    }
    fake_api.enqueue(Fault.body(_stream(start=start), 200, "text/event-stream"))
    result = run_cli_subprocess("ask", "-m", "claude-haiku-5-5", "hi", env=QUICK)
    check_one_line_error(result, 7, "cannot read")
    assert "Warning" not in result.stderr and "Pydantic" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "result",
    [{"type": "succeeded", "message": None}, {"type": "succeeded"}, {"type": 5}, {"type": "done"}],
    ids=["message null", "no message", "type a number", "type unknown"],
)
def test_a_results_line_of_another_shape_is_malformed_and_nothing_is_written(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows, result
):
    """A succeeded line with no message was written as a success with no text at no cost (and booked so); a
    line of an unknown type was written with that "status" and tallied as a kind of its own. Both exit 7 now,
    and the -o file is not written."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"id": "a", "prompt": "hi"}) + "\n", encoding="utf-8")
    submitted = run_cli("batch", "submit", str(jobs), env=QUICK)
    assert submitted.exit_code == 0, submitted
    batch_id = submitted.stdout.split()[-1]
    custom_id = fake_api.requests_to("/v1/messages/batches", "POST")[0].body["requests"][0]["custom_id"]
    line = json.dumps({"custom_id": custom_id, "result": result}) + "\n"
    fake_api.enqueue(
        Fault.body(line.encode(), 200, "application/binary"), path=f"/v1/messages/batches/{batch_id}/results"
    )
    out = tmp_path / "results.jsonl"
    result_run = run_cli("batch", "results", batch_id, "-o", str(out), env=QUICK)
    check_one_line_error(result_run, 7, "malformed results line")
    assert not out.exists()
    assert ledger_rows() == []


@pytest.mark.parametrize(
    "block",
    [
        {"type": "tool_use", "id": None, "name": "read_file", "input": {}},
        {"type": "tool_use", "id": "toolu_1", "name": 5, "input": {}},
        {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": [1, 2]},
    ],
    ids=["id null", "name a number", "input a list"],
)
def test_a_tool_call_of_another_shape_runs_no_tool_and_is_a_server_error(
    cli_env, run_cli, fake_api, ledger_rows, block
):
    """It was "unexpected KeyError" or "TypeError", exit 1 (or a name of 5 sent back as "5", refused with 400)."""
    stream = _stream(
        block={"type": "content_block_start", "index": 0, "content_block": block},
        delta=None,
        message_delta={
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 5},
        },
    )
    fake_api.enqueue(Fault.body(stream, 200, "text/event-stream"))
    result = run_cli("ask", "--json", "--tools", "fs", "-m", "claude-haiku-5-5", "hi", env=QUICK)
    check_one_line_error(result, 7, "cannot read", "tool call")
    assert json.loads(result.stdout)["status"] == "error"
    assert len(fake_api.requests_to("/v1/messages", "POST")) == 1
    assert len(ledger_rows()) == 1
