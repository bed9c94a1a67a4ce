"""`claudecli batch` pure logic, in process: validation, ids, the spool and its streamed body, output
formats, resume bookkeeping, pricing of results, retry waits, the journal and the lock."""

from __future__ import annotations

import email.utils
import io
import json
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claudecli.batch.ids import LineError, UniqueIds, checked_id, generated_id
from claudecli.batch.inputs import InputOptions, line_defaults, validate_into
from claudecli.batch.journal import Journal
from claudecli.batch.journal_rows import NEW, SUBMITTED
from claudecli.batch.lock import LockBusy, batch_lock
from claudecli.batch.output import (
    CsvWriter,
    JsonlWriter,
    ResultLine,
    Tally,
    TextWriter,
    from_api,
)
from claudecli.batch.resume import completed_ids
from claudecli.batch.retry import retry_delay
from claudecli.batch.spool import Spool
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.errors import NotFoundError, UsageError
from claudecli.core.retry_notice import retry_after_seconds
from claudecli.core.usage import TokenUsage


@pytest.fixture
def app_ctx(base_env) -> AppContext:
    return AppContext.create(load_settings(), stdout=io.StringIO(), stderr=io.StringIO())


def validate(app_ctx: AppContext, tmp_path: Path, content: str, **options) -> tuple:
    path = tmp_path / "in.jsonl"
    path.write_text(content, encoding="utf-8")
    flags = {name: options.pop(name) for name in ("model", "max_tokens") if name in options}
    app_ctx.settings = app_ctx.settings.with_flags(**flags)
    input_options = InputOptions(path=path, **options)
    spool = Spool(tmp_path / "spool", max_requests=100_000, max_bytes=256_000_000)
    result = validate_into(app_ctx, input_options, line_defaults(app_ctx, input_options), spool)
    return result, [json.loads(line) for line in spool.lines()]


# -- ids -------------------------------------------------------------------------------------------------


def test_generated_ids_sort_in_input_order_and_ids_are_checked():
    assert generated_id(7) == "line-000007"
    assert sorted(generated_id(n) for n in (10, 9, 100)) == ["line-000009", "line-000010", "line-000100"]
    assert checked_id(17, "id") == "17"
    for bad in ("has space", "x" * 65, "", True, 1.5):
        with pytest.raises(LineError):
            checked_id(bad, "id")
    ids = UniqueIds()
    ids.claim("a", 1)
    with pytest.raises(LineError, match="already used on line 1"):
        ids.claim("a", 3)


# -- validation ------------------------------------------------------------------------------------------


def test_three_shapes_become_canonical_requests(app_ctx, tmp_path):
    (tmp_path / "notes.txt").write_text("some notes", encoding="utf-8")
    text = "\n".join(
        [
            json.dumps({"custom_id": "api-1", "params": {"messages": [{"role": "user", "content": "hi"}]}}),
            json.dumps(
                {"id": 7, "prompt": "short", "system": "terse", "max_tokens": 99, "attach": "notes.txt"}
            ),
            "",
            json.dumps({"prompt": "bare"}),
        ]
    )
    result, requests = validate(app_ctx, tmp_path, text, model="claude-haiku-5-5", max_tokens=321, system="S")
    assert result.problem_count == 0
    api, short, bare = requests
    assert api["custom_id"] == "api-1"
    assert api["params"]["model"] == "claude-haiku-5-5" and api["params"]["max_tokens"] == 321
    assert api["params"]["system"] == "S"  # -s fills what params lack
    assert short["custom_id"] == "7" and short["params"]["max_tokens"] == 99
    assert short["params"]["system"] == "terse"
    content = short["params"]["messages"][0]["content"]
    assert (
        content[0]["type"] == "document" and content[0]["source"]["data"] == "some notes"
    )  # relative to file
    assert content[-1] == {"type": "text", "text": "short"}
    assert bare["custom_id"] == "line-000004" and bare["params"]["system"] == "S"
    assert result.estimate.requests == 3


def test_text_mode_template_schema_and_thinking(app_ctx, tmp_path):
    _, requests = validate(
        app_ctx,
        tmp_path,
        "first\n\nsecond\n",
        text=True,
        template="Summarise: {line}",
        schema="title, score int",
        thinking="2048",
        max_tokens=4096,
    )
    assert [r["custom_id"] for r in requests] == ["line-000001", "line-000003"]
    params = requests[0]["params"]
    assert params["messages"] == [{"role": "user", "content": "Summarise: first"}]
    assert params["output_config"]["format"]["schema"]["required"] == ["title", "score"]
    assert params["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_every_bad_line_is_reported_with_its_number(app_ctx, tmp_path):
    good = json.dumps({"prompt": "ok"})
    lines = [
        good,
        "{not json",
        json.dumps({"id": "bad id!", "prompt": "x"}),
        json.dumps({"prompt": "x", "attach": ["missing.png"]}),
        json.dumps({"prompt": "x", "colour": "red"}),
        json.dumps({"id": "dup", "prompt": "x"}),
        json.dumps({"id": "dup", "prompt": "y"}),
        json.dumps({"custom_id": "p", "params": {"messages": []}}),
        json.dumps({"prompt": "x", "max_tokens": 0}),
        json.dumps([1, 2]),
    ]
    result, requests = validate(app_ctx, tmp_path, "\n".join(lines) + "\n")
    reasons = {problem.line: problem.reason for problem in result.problems}
    assert sorted(reasons) == [2, 3, 4, 5, 7, 8, 9, 10]
    assert "invalid JSON" in reasons[2]
    assert "'bad id!'" in reasons[3]
    assert ": file not found" in reasons[4]
    assert "colour" in reasons[5]
    assert "already used on line 6" in reasons[7]
    assert "messages" in reasons[8]
    assert "max_tokens" in reasons[9]
    assert "expected a JSON object" in reasons[10]
    assert [r["custom_id"] for r in requests] == ["line-000001", "dup"]


def test_problems_beyond_twenty_are_counted_not_listed(app_ctx, tmp_path):
    result, _ = validate(app_ctx, tmp_path, "{bad\n" * 25)
    assert len(result.problems) == 20 and result.problem_count == 25


def test_each_distinct_model_is_resolved_once(app_ctx, tmp_path, monkeypatch):
    calls: list[str] = []

    def fake_resolve(ctx, name):
        calls.append(name)
        if name == "retired-model":
            raise NotFoundError("model retired-model is retired")
        return {"fast": "claude-haiku-5-5"}.get(name, name)

    monkeypatch.setattr("claudecli.batch.shapes.resolve_model", fake_resolve)
    lines = [json.dumps({"prompt": str(i), "model": "fast"}) for i in range(50)]
    lines += [json.dumps({"prompt": "old", "model": "retired-model"})] * 3
    result, requests = validate(app_ctx, tmp_path, "\n".join(lines))
    assert sorted(calls) == ["fast", "retired-model"]
    assert {r["params"]["model"] for r in requests} == {"claude-haiku-5-5"}
    assert result.problem_count == 3 and "retired" in result.problems[0].reason


def test_bad_options_fail_before_any_line(app_ctx, tmp_path):
    with pytest.raises(UsageError, match="must contain"):
        validate(app_ctx, tmp_path, "x\n", text=True, template="no slot")
    with pytest.raises(UsageError, match="thinking"):
        validate(app_ctx, tmp_path, "x\n", text=True, thinking="lots")


# -- spool ---------------------------------------------------------------------------------------------


def test_spool_splits_by_count_and_bytes_and_streams_valid_bodies(tmp_path):
    spool = Spool(tmp_path, max_requests=3, max_bytes=200)
    lines = [json.dumps({"custom_id": f"r{i}", "params": {"x": "y" * (i * 10)}}).encode() for i in range(8)]
    for line in lines:
        assert spool.fits(line)
        spool.add(line)
    assert sum(part.count for part in spool.parts) == 8
    assert all(part.count <= 3 and part.body_bytes <= 200 for part in spool.parts)
    seen = []
    for index in range(len(spool.parts)):
        body = spool.body(index)
        data = b"".join(body)
        assert len(data) == len(body)
        assert data == b"".join(body)  # replayable (a retry sends it again)
        seen += [request["custom_id"] for request in json.loads(data)["requests"]]
    assert seen == [f"r{i}" for i in range(8)]
    assert not spool.fits(b"x" * 300)
    spool.remove()
    assert not spool.path.exists()


# -- output ----------------------------------------------------------------------------------------------

SUCCEEDED = {
    "custom_id": "a",
    "result": {
        "type": "succeeded",
        "message": {
            "model": "claude-sonnet-5-5",
            "content": [{"type": "text", "text": "hi, there"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        },
    },
}
ERRORED = {
    "custom_id": "b",
    "result": {
        "type": "errored",
        "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
    },
}


def test_result_lines_in_three_formats(tmp_path):
    ok, bad, gone = (
        from_api(SUCCEEDED),
        from_api(ERRORED),
        from_api({"custom_id": "c", "result": {"type": "expired"}}),
    )
    ok.cost_usd = Decimal("0.00012")
    assert ok.usage == TokenUsage(input_tokens=10, output_tokens=5)
    for fmt, writer_class in (("jsonl", JsonlWriter), ("text", TextWriter), ("csv", CsvWriter)):
        path = tmp_path / f"out.{fmt}"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = writer_class(handle)
            for line in (ok, bad, gone):
                writer.write(line)
        if fmt == "text":  # not resumable: an answer can contain anything, record headers included
            with pytest.raises(UsageError, match="text output cannot be resumed"):
                completed_ids(path, fmt)
        else:
            assert completed_ids(path, fmt) == {"a", "b", "c"}
    docs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert docs[0]["text"] == "hi, there" and docs[0]["cost_usd"] == 0.00012
    assert docs[1] == {
        "custom_id": "b",
        "status": "errored",
        "error": {"type": "invalid_request_error", "message": "bad"},
    }
    assert docs[2] == {"custom_id": "c", "status": "expired"}
    assert "==> b [errored] <==\ninvalid_request_error: bad" in (tmp_path / "out.text").read_text()
    tally = Tally()
    for line in (ok, bad, gone):
        tally.add(line)
    assert tally.summary("batch") == (
        "3 results: 1 succeeded · 1 errored · 0 canceled · 1 expired · $0.00012 at batch prices"
    )


def test_completed_ids_drops_a_line_cut_short(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"custom_id": "a", "status": "expired"}\n{"custom_id": "b", "sta', encoding="utf-8")
    assert completed_ids(path, "jsonl") == {"a"}
    assert path.read_text() == '{"custom_id": "a", "status": "expired"}\n'


def _csv_text(*lines) -> str:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    for line in lines:
        writer.write(line)
    return buffer.getvalue()


def test_resume_cuts_off_only_an_incomplete_last_record(tmp_path):
    tricky = "an answer\n==> line-000007 <==\nline-000008,succeeded\n"  # looks like other records
    first, second = (ResultLine(f"line-00000{n}", "succeeded", text=tricky) for n in (1, 2))
    whole = _csv_text(first, second)
    cut = whole.index("line-000008,succeeded", whole.index("line-000002"))  # inside the quoted answer
    path = tmp_path / "out.csv"
    path.write_text(whole[:cut], encoding="utf-8")
    assert completed_ids(path, "csv") == {"line-000001"}
    assert path.read_text(encoding="utf-8") == _csv_text(first)
    path.write_text(whole[:-1], encoding="utf-8")  # every field there, the terminator not
    assert completed_ids(path, "csv") == {"line-000001"}
    path.write_text("custom_id,sta", encoding="utf-8")  # even the header was cut: start afresh
    assert completed_ids(path, "csv") == set() and path.read_text() == ""
    path.write_text('not,a,claudecli,file\n"unterminated\n' + whole, encoding="utf-8")
    with pytest.raises(UsageError, match="not a claudecli csv results file"):
        completed_ids(path, "csv")

    jsonl = tmp_path / "out.jsonl"
    good = json.dumps({"custom_id": "a", "status": "succeeded", "text": tricky}) + "\n"
    jsonl.write_text(good + '{"custom_id": "b", "sta\n', encoding="utf-8")  # torn right after a newline
    assert completed_ids(jsonl, "jsonl") == {"a"} and jsonl.read_text() == good
    jsonl.write_text(good + '{"custom_id": "b", "status": "succ', encoding="utf-8")
    assert completed_ids(jsonl, "jsonl") == {"a"} and jsonl.read_text() == good
    notes = tmp_path / "notes.txt"  # -o pointed at someone else's file: refused, never cut
    notes.write_text(good + "my notes\n" + good, encoding="utf-8")
    with pytest.raises(UsageError, match=r"notes\.txt:2: not a claudecli jsonl results file"):
        completed_ids(notes, "jsonl")
    assert notes.read_text() == good + "my notes\n" + good


# -- retries ---------------------------------------------------------------------------------------------


class _Exc(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        self.response = type("R", (), {"headers": headers})()


def test_retry_delay_honours_headers_and_cap():
    assert retry_delay(_Exc({"retry-after-ms": "50"}), 0, cap=60) == pytest.approx(0.05)
    assert retry_delay(_Exc({"retry-after": "3600"}), 0, cap=2) == 2
    assert 0.375 <= retry_delay(_Exc({}), 0, cap=60) <= 0.5
    assert retry_delay(_Exc({}), 10, cap=60) <= 8


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "50", "retry-after": "9"}, 0.05),  # the SDK's order: milliseconds first
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past: no wait
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_every_retry_reads_a_retry_after_alike(headers, expected):
    assert retry_after_seconds(headers) == expected


def test_an_http_date_retry_after_is_the_time_left_until_it():
    moment = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after_seconds({"retry-after": moment}) or 0) <= 30
    assert retry_delay(_Exc({"retry-after": moment}), 0, cap=2) == 2


@given(st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms"]), st.text(max_size=40)))
def test_no_retry_after_a_server_sends_raises(headers):
    seconds = retry_after_seconds(headers)
    assert seconds is None or seconds >= 0


# -- journal, lock ---------------------------------------------------------------------------------------


def test_journal_part_states(tmp_path):
    with Journal(tmp_path / "batches.db") as journal:
        sub = journal.add_submission(
            key="k", name="nightly", input_path="/x", input_sha256="h", options={}, request_count=3,
            skipped_count=0, estimated_cost_usd=0.1, parts=[(2, 100), (1, 50)],
        )  # fmt: skip
        first, second = journal.parts_of(sub.id)
        assert (first.state, second.label) == (NEW, "nightly-part2")
        journal.mark_creating(first.id)
        assert journal.parts_of(sub.id)[0].create_started_at
        journal.mark_submitted(first.id, "msgbatch_1", None)
        assert journal.part_by_batch_id("msgbatch_1").state == SUBMITTED
        assert [p.batch_id for p in journal.uncollected()] == ["msgbatch_1"]
        journal.mark_collected("msgbatch_1", "/out/nightly-part1.jsonl")
        assert journal.uncollected() == []
        assert journal.results_path_taken("/out/nightly-part1.jsonl", "msgbatch_2")
        assert journal.find_submission("k").id == sub.id
        journal.supersede(sub.id)
        assert journal.find_submission("k") is None
        assert [p.part for p in journal.parts_named("nightly")] == [1, 2]


def _hold_lock(data_dir: str, ready, release) -> None:
    with batch_lock(Path(data_dir), wait=None):
        ready.set()
        release.wait(10)


def test_lock_keeps_a_second_process_out(tmp_path):
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        started = time.monotonic()
        with pytest.raises(LockBusy), batch_lock(tmp_path, wait=0.2):
            pass
        assert time.monotonic() - started >= 0.2
    finally:
        release.set()
        holder.join(10)
    with batch_lock(tmp_path, wait=0):  # released when the holder exits
        pass
