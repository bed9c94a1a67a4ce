"""`claudecli batch` safety rules, in process against the fake API (real SDK, real HTTP, real SQLite):
journal scopes (profile + base URL), reconciling lost creates, collect carrying on after one batch fails,
and user text never read as rich markup."""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from claudecli.batch.collect import collect
from claudecli.batch.inputs import InputOptions
from claudecli.batch.journal import JOURNAL_MIGRATIONS, Journal
from claudecli.batch.journal_rows import CREATING, GONE, NEW, SUBMITTED
from claudecli.batch.manage import list_batches, resolve
from claudecli.batch.reconcile import reconcile, reconcile_part
from claudecli.batch.scope import Scope, scope_of
from claudecli.batch.submit import SubmitOptions, submit
from claudecli.core.config import load_settings
from claudecli.core.context import AppContext
from claudecli.core.db import apply_migrations, connect
from claudecli.core.errors import ConnectionFailed, ExitCode, NotFoundError, ServerError, UsageError
from tests.fakeapi import Fault
from tests.fakeapi.wire import Response

BATCHES = "/v1/messages/batches"
A = Scope("a", "http://api.a")
B = Scope("b", "http://api.b")


@pytest.fixture
def api_ctx(cli_env) -> Iterator[AppContext]:
    ctx = AppContext.create(load_settings(), stdout=io.StringIO(), stderr=io.StringIO())
    yield ctx
    ctx.close()


def err(ctx: AppContext) -> str:
    return ctx.stderr.file.getvalue()  # type: ignore[attr-defined]


def remote_batch(ctx: AppContext, requests: int) -> str:
    params = {"model": "claude-haiku-5-5", "max_tokens": 20, "messages": [{"role": "user", "content": "x"}]}
    batch = ctx.client.messages.batches.create(
        requests=[{"custom_id": f"r{i}", "params": params} for i in range(requests)]  # type: ignore[misc]
    )
    return batch.id


def journal_submission(journal: Journal, name: str, *parts: int) -> list:
    sub = journal.add_submission(
        key=name, name=name, input_path=f"/in/{name}.jsonl", input_sha256="h", options={},
        request_count=sum(parts), skipped_count=0, estimated_cost_usd=None,
        parts=[(count, 100) for count in parts],
    )  # fmt: skip
    return journal.parts_of(sub.id)


def set_started(path: Path, part_id: int, moment: datetime) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE parts SET state = 'creating', create_started_at = ? WHERE id = ?",
            (moment.isoformat(), part_id),
        )


# -- scopes --------------------------------------------------------------------------------------------


def test_journal_scope_migration_and_filters(tmp_path):
    path = tmp_path / "batches.db"
    conn = connect(path)  # a journal written before scopes were recorded
    apply_migrations(conn, JOURNAL_MIGRATIONS[:2])
    conn.execute(
        "INSERT INTO submissions (key, name, input_path, input_sha256, options_json, request_count, created_at) "
        "VALUES ('old-key', 'shared', '/in/old', 'h', '{}', 1, '2025-01-01T00:00:00Z')"
    )
    conn.execute(
        "INSERT INTO parts (submission_id, part, request_count, body_bytes, state, batch_id, updated_at) "
        "VALUES (1, 1, 1, 10, 'submitted', 'msgbatch_old', '2025-01-01T00:00:00Z')"
    )
    conn.close()
    with Journal(path, A) as journal_a:
        (part_a,) = journal_submission(journal_a, "only-a", 1)
        journal_a.mark_submitted(part_a.id, "msgbatch_a", None)
        assert [p.batch_id for p in journal_a.uncollected()] == ["msgbatch_old", "msgbatch_a"]
    with Journal(path, B) as journal_b:
        assert [p.batch_id for p in journal_b.uncollected()] == ["msgbatch_old"]  # NULL scope: any
        assert [p.batch_id for p in journal_b.recent(None)] == ["msgbatch_old"]
        assert journal_b.parts_named("only-a") == [] and journal_b.parts_named("shared")
        assert journal_b.find_submission("only-a") is None  # another scope's submission
        assert journal_b.find_submission("new-key", "old-key") is not None  # the pre-scope key still counts
        assert journal_b.find_submission("new-key", "only-a") is None  # ...but only for unscoped rows
        with pytest.raises(NotFoundError, match=r"profile 'a' at http://api\.a") as refused:
            resolve(journal_b, "msgbatch_a")
        assert refused.value.hint == "use --profile a"
        assert resolve(journal_b, "msgbatch_old") == ["msgbatch_old"]
        old = journal_b.part_by_batch_id("msgbatch_old")
        assert old is not None and not old.scoped
        journal_b.adopt_scope(old)  # found through B's API: it is B's from now on
    with Journal(path, A) as journal_a:
        assert [p.batch_id for p in journal_a.uncollected()] == ["msgbatch_a"]


def test_scope_is_profile_and_redacted_base_url(base_env, monkeypatch, write_config):
    assert scope_of(load_settings()) == Scope("", "https://api.anthropic.com")
    write_config('[profiles.work]\nbase_url = "https://user:pw@gw.example/"\n')
    assert scope_of(load_settings(profile="work")) == Scope("work", "https://********@gw.example")


def test_collect_sees_only_its_scope_and_marks_gone_only_on_its_own_api(api_ctx, fake_api, tmp_path):
    journal_file = api_ctx.settings.paths.batch_journal_file
    here = scope_of(api_ctx.settings)
    with (
        Journal(journal_file, B) as other,
        Journal(journal_file, here) as mine,
        Journal(journal_file) as legacy,
    ):
        (theirs,) = journal_submission(other, "theirs", 1)
        other.mark_submitted(theirs.id, "msgbatch_theirs", None)
        (gone,) = journal_submission(mine, "mine", 1)
        mine.mark_submitted(gone.id, "msgbatch_deleted", None)
        (unknown,) = journal_submission(legacy, "legacy", 1)
        legacy.mark_submitted(unknown.id, "msgbatch_elsewhere", None)
    report = collect(api_ctx, tmp_path / "out", "jsonl")
    assert report.errors == [] and report.written == []
    asked = [r.path for r in fake_api.requests if r.path.startswith(BATCHES)]
    assert sorted(asked) == [f"{BATCHES}/msgbatch_deleted", f"{BATCHES}/msgbatch_elsewhere"]
    with Journal(journal_file) as journal:
        states = {p.batch_id: p.state for p in journal.recent(None)}
    assert states == {"msgbatch_theirs": SUBMITTED, "msgbatch_deleted": GONE, "msgbatch_elsewhere": SUBMITTED}
    assert "collect it with the profile that submitted it" in err(api_ctx)


# -- reconciling a lost create -------------------------------------------------------------------------


def test_an_untagged_lost_create_is_never_adopted_by_count_and_time(api_ctx, fake_api):
    # Parts journaled before custom_ids were tagged: a batch of the right size in the window proves nothing.
    twins = [remote_batch(api_ctx, 1), remote_batch(api_ctx, 1)]
    pair = remote_batch(api_ctx, 2)
    journal_file = api_ctx.settings.paths.batch_journal_file
    now = datetime.now(UTC)
    with Journal(journal_file, scope_of(api_ctx.settings)) as journal:
        one, two, three, old = journal_submission(journal, "s", 1, 2, 3, 1)
        for part in (one, two, three):
            set_started(journal_file, part.id, now - timedelta(seconds=1))
        set_started(journal_file, old.id, now - timedelta(hours=3))  # its window closed long before these

        for part, matches in ((one, twins), (two, [pair])):
            with pytest.raises(UsageError, match="none can be proven to be it; none was adopted") as refused:
                reconcile(api_ctx, journal, [journal.part(part.id)])
            assert all(bid in refused.value.message for bid in matches)
            assert journal.part(part.id).state == CREATING and journal.part(part.id).batch_id is None

        with pytest.raises(ConnectionFailed, match="no batch has shown up yet") as pending:
            reconcile(api_ctx, journal, [journal.part(three.id)])  # the call could still produce one
        assert "never re-sent blindly" in (pending.value.hint or "")
        assert journal.part(three.id).state == CREATING

        assert reconcile_part(api_ctx, journal, journal.part(old.id)).unsent  # twins are too new for it
        assert journal.part(old.id).state == NEW


def test_an_ambiguous_create_failure_is_not_resent_in_the_same_run(api_ctx, fake_api, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a"}\n', encoding="utf-8")
    options = SubmitOptions(input=InputOptions(path=jobs))
    fake_api.enqueue(Fault.status(500, "api_error", "boom"), path=BATCHES)
    with pytest.raises(ServerError) as failed:
        submit(api_ctx, options)
    assert "next run reconciles" in (failed.value.hint or "")
    assert len(fake_api.requests_to(BATCHES, method="POST")) == 1
    with pytest.raises(ConnectionFailed, match="no batch has shown up yet"):
        submit(api_ctx, options)  # right away: the create could still appear, so nothing is sent
    assert len(fake_api.requests_to(BATCHES, method="POST")) == 1

    journal_file = api_ctx.settings.paths.batch_journal_file
    with Journal(journal_file) as journal:
        (part,) = [part for part in journal.recent(None) if part.state == CREATING]
    set_started(journal_file, part.id, datetime.now(UTC) - timedelta(hours=1))
    result = submit(api_ctx, options)  # the window has closed with nothing in it: sent now, once
    assert result.batch_ids == list(fake_api.batches) and fake_api.batch_creates == 1


# -- collect carries on --------------------------------------------------------------------------------


def test_collect_reports_one_failure_per_batch_and_collects_the_rest(api_ctx, fake_api, tmp_path, run_cli):
    good, unwritable, garbled = (remote_batch(api_ctx, 1) for _ in range(3))

    def garbage(fake, req, match):
        return Response(body=b'{"custom_id": "r0", "result": {"ty\n', content_type="application/x-jsonl")

    fake_api.add_route("GET", rf"{BATCHES}/{garbled}/results", garbage)
    with Journal(api_ctx.settings.paths.batch_journal_file, scope_of(api_ctx.settings)) as journal:
        for name, batch_id in (("blocked", unwritable), ("garbled", garbled), ("good", good)):
            (part,) = journal_submission(journal, name, 1)
            journal.mark_submitted(part.id, batch_id, None)
    out_dir = tmp_path / "out"
    (out_dir / "blocked.jsonl").mkdir(parents=True)  # the target is taken by a directory
    result = run_cli("batch", "collect", "--out-dir", str(out_dir))
    assert result.exit_code == ExitCode.USAGE, result  # the first failure's code, after the rest
    assert result.stdout == f"{out_dir.resolve() / 'good.jsonl'}\n"
    # Each failure once (it was printed twice: as a `warning:` and again as the run's `error:`).
    lines = result.stderr.splitlines()
    assert [sum(batch in line for line in lines) for batch in (unwritable, garbled)] == [1, 1], lines
    assert result.stderr.count("is a directory") == 1 and "warning:" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert unwritable in errors[0] and "blocked.jsonl: is a directory" in errors[0]
    assert garbled in errors[1] and "malformed results line" in errors[1]


# -- markup --------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_names_are_not_read_as_rich_markup(base_env):
    ctx = AppContext.create(load_settings(), stdout=_Terminal(), stderr=io.StringIO())
    ctx.stdout.width = 200
    with Journal(ctx.settings.paths.batch_journal_file, scope_of(ctx.settings)) as journal:
        journal_submission(journal, "[bold]x[/bold]", 1)  # not a name check_name allows, but stored text
    list_batches(ctx, limit=None, as_json=False)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", ctx.stdout.file.getvalue())  # type: ignore[attr-defined]
    assert "[bold]x[/bold]" in shown
