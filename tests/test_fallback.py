"""`fallback_model` / `--fallback`: an overload (529) that outlasts the retries goes once to another model.

Against the fake API (real SDK, real HTTP, real SQLite): 529 faults are queued for the primary model only, so
what reaches the fallback model is the real request. Rules: claudecli/call/fallback.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback
from tests.fakeapi import Fault
from tests.test_chat_turns import err, make_chat  # noqa: F401  (the in-process chat fixture)

SONNET, HAIKU, OPUS = "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5-5"
MESSAGES = "/v1/messages"
ANNOUNCED = f"{SONNET} is overloaded; asking the fallback model {HAIKU} instead"


def overload(fake_api, model: str = SONNET, times: int = 3, code: int = 529) -> None:
    """Enough failures for `model` to outlast the SDK's retries (max_retries 2: three attempts).

    retry-after 1 is cut to CLAUDECLI_RETRY_AFTER_CAP (0.2 s in tests); "0" is no wait to the SDK, which then
    backs off 0.5 s and 1 s instead."""
    error_type = "overloaded_error" if code == 529 else "rate_limit_error"
    for _ in range(times):
        fake_api.enqueue(
            Fault.status(code, error_type, "Overloaded", headers={"retry-after": "1"}), model=model
        )


def posted_models(fake_api) -> list[str]:
    return [r.body["model"] for r in fake_api.requests_to(MESSAGES, method="POST")]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("claudecli: error:")]


# -- ask -----------------------------------------------------------------------------------------------------


def test_ask_falls_back_after_the_retries_and_names_the_model(cli_env, run_cli, fake_api, ledger_rows):
    overload(fake_api)
    result = run_cli("ask", "-m", "sonnet", "--fallback", "haiku", "[[words:2]]")
    assert result.exit_code == 0, result
    assert result.stdout == "w1 w2\n"
    assert f"warning: {ANNOUNCED}" in result.stderr
    assert f"{HAIKU} (fallback for {SONNET}) · in " in result.stderr  # the summary line
    assert posted_models(fake_api) == [SONNET, SONNET, SONNET, HAIKU]
    bodies = [r.body for r in fake_api.requests_to(MESSAGES, method="POST")]
    assert {**bodies[0], "model": HAIKU} == bodies[-1]  # the same request, to the other model
    rows = ledger_rows()
    assert [(row["model"], row["status"]) for row in rows] == [(SONNET, "overloaded_error"), (HAIKU, "ok")]
    assert rows[1]["cost_usd"] > 0 and rows[0]["request_id"] != rows[1]["request_id"]
    assert all(row["pid"] and row["worst_cost_usd"] for row in rows)  # each had its own write-ahead row
    assert_no_traceback(result.stderr)


def test_ask_json_names_both_models_with_the_config_setting(cli_env, run_cli, fake_api, write_config):
    write_config('model = "sonnet"\nfallback_model = "haiku"\n')
    overload(fake_api)
    result = run_cli("ask", "--json", "[[words:3]]")
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert (document["status"], document["model"], document["fallback_from"]) == ("ok", HAIKU, SONNET)
    assert document["text"] == "w1 w2 w3" and document["request_id"].startswith("req_")
    assert ANNOUNCED in result.stderr


def test_no_fallback_setting_keeps_todays_failure(cli_env, run_cli, fake_api, ledger_rows):
    overload(fake_api)
    result = run_cli("ask", "--json", "[[words:3]]")
    assert result.exit_code == 6, result
    assert "fallback_from" not in json.loads(result.stdout)
    assert posted_models(fake_api) == [SONNET] * 3 and len(ledger_rows()) == 1


def test_a_429_never_falls_back(cli_env, run_cli, fake_api, ledger_rows):
    overload(fake_api, code=429)
    result = run_cli("ask", "--fallback", "haiku", "[[words:2]]")
    assert result.exit_code == 6, result
    assert posted_models(fake_api) == [SONNET] * 3
    assert "fallback" not in result.stderr and "429" in error_lines(result.stderr)[0]
    assert [row["status"] for row in ledger_rows()] == ["rate_limit_error"]


def test_an_overload_mid_stream_keeps_the_partial_answer(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.enqueue(Fault.sse_error_after(3, "overloaded_error", "Overloaded"), model=SONNET)
    result = run_cli("ask", "--fallback", "haiku", "[[words:40]]")
    assert result.exit_code == 6, result
    assert result.stdout.startswith("w1 w2 w3") and "w40" not in result.stdout
    assert "partial" in result.stderr and "fallback" not in result.stderr
    assert posted_models(fake_api) == [SONNET]
    assert [row["status"] for row in ledger_rows()] == ["overloaded_error"]


def test_an_overload_in_the_stream_before_any_text_falls_back(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.enqueue(Fault.sse_error_after(0, "overloaded_error", "Overloaded"), model=SONNET)
    result = run_cli("ask", "--fallback", "haiku", "[[words:4]]")
    assert result.exit_code == 0, result
    assert result.stdout == "w1 w2 w3 w4\n" and ANNOUNCED in result.stderr
    assert posted_models(fake_api) == [SONNET, HAIKU]
    assert [(row["model"], row["status"]) for row in ledger_rows()] == [
        (SONNET, "overloaded_error"),
        (HAIKU, "ok"),
    ]


def test_a_fallback_that_fails_too_exits_6_naming_both(cli_env, run_cli, fake_api, ledger_rows):
    overload(fake_api, SONNET)
    overload(fake_api, HAIKU)
    result = run_cli("ask", "--json", "--fallback", "haiku", "[[words:2]]")
    assert result.exit_code == 6, result
    (line,) = error_lines(result.stderr)
    assert line.count("529 overloaded_error") == 2 and f"the fallback {HAIKU} failed too" in line
    document = json.loads(result.stdout)
    assert (document["model"], document["fallback_from"], document["status"]) == (
        HAIKU,
        SONNET,
        "overloaded_error",
    )
    assert posted_models(fake_api) == [SONNET] * 3 + [HAIKU] * 3
    assert [(row["model"], row["status"]) for row in ledger_rows()] == [
        (SONNET, "overloaded_error"),
        (HAIKU, "overloaded_error"),
    ]
    assert_no_traceback(result.stderr)


def test_a_fallback_that_fails_otherwise_still_exits_6(cli_env, run_cli, fake_api):
    overload(fake_api, SONNET)
    result = run_cli("ask", "--fallback", "claude-nonexistent-1", "[[words:2]]")
    assert result.exit_code == 6, result
    (line,) = error_lines(result.stderr)
    assert "the fallback claude-nonexistent-1 failed too: 404" in line


def test_the_fallback_is_never_the_model_that_failed(cli_env, run_cli, fake_api, ledger_rows):
    overload(fake_api)
    result = run_cli("ask", "-m", SONNET, "--fallback", "sonnet", "[[words:2]]")
    assert result.exit_code == 6 and posted_models(fake_api) == [SONNET] * 3
    assert len(ledger_rows()) == 1


def test_the_fallback_call_is_budget_checked(cli_env, run_cli, fake_api, write_config, ledger_rows):
    write_config("max_cost_per_call = 0.01\n")  # haiku's worst case passes, opus's does not
    overload(fake_api, HAIKU)
    refused = run_cli("ask", "-m", "haiku", "--fallback", "opus", "--max-tokens", "2000", "[[words:2]]")
    assert refused.exit_code == 6, refused
    assert f"{HAIKU} is overloaded; not asking {OPUS}: refused by budget" in refused.stderr
    assert OPUS not in posted_models(fake_api) and len(ledger_rows()) == 1

    overload(fake_api, HAIKU)
    forced = run_cli(
        "ask", "-m", "haiku", "--fallback", "opus", "--max-tokens", "2000", "--force", "[[words:2]]"
    )
    assert forced.exit_code == 0, forced
    assert "sending anyway (--force)" in forced.stderr and posted_models(fake_api)[-1] == OPUS


def test_a_retired_fallback_is_refused_before_anything_is_sent(cli_env, run_cli, fake_api):
    result = run_cli("ask", "--fallback", "claude-3-opus-20240229", "hi")
    assert result.exit_code == 4 and "retired" in result.stderr
    assert posted_models(fake_api) == []


def test_fallback_model_from_the_environment(cli_env, run_cli, fake_api):
    overload(fake_api)
    result = run_cli("ask", "[[words:1]]", env={"CLAUDECLI_FALLBACK_MODEL": "haiku"})
    assert result.exit_code == 0 and posted_models(fake_api)[-1] == HAIKU


# -- chat ----------------------------------------------------------------------------------------------------


def test_a_chat_turn_falls_back_and_the_session_counts_both_calls(make_chat, fake_api, ledger_rows):  # noqa: F811
    from claudecli.chat.turn import run_turn

    chat = make_chat(model=SONNET)
    chat.fallback_model = HAIKU
    overload(fake_api)
    result = run_turn(chat, "[[words:2]]")
    assert result.exchange is not None and result.exchange.answer == "w1 w2"
    assert result.exchange.model == HAIKU and ANNOUNCED in err(chat)
    assert chat.meta.model == SONNET  # the next turn asks the chosen model again
    rows = ledger_rows()
    assert [(row["model"], row["status"]) for row in rows] == [(SONNET, "overloaded_error"), (HAIKU, "ok")]
    assert {row["session_id"] for row in rows} == {chat.meta.id}
    assert float(chat.totals.cost_usd) == pytest.approx(sum(row["cost_usd"] for row in rows))
    assert len(chat.conversation.exchanges) == 1  # the overloaded call is not part of the conversation
    run_turn(chat, "[[words:1]]")
    assert posted_models(fake_api)[-1] == SONNET


def test_chat_accepts_the_fallback_flag(cli_env, run_cli):
    assert "--fallback" in run_cli("chat", "--help").stdout


# -- batch run -----------------------------------------------------------------------------------------------


def jobs(tmp_path: Path) -> Path:
    path = tmp_path / "q.txt"
    path.write_text("first [[words:2]]\nsecond [[words:3]]\n", encoding="utf-8")
    return path


def test_batch_run_falls_back_per_line(cli_env, run_cli, fake_api, tmp_path, ledger_rows):
    overload(fake_api, times=1)  # --retries 0: one 529 outlasts them; only the first line meets it
    out = tmp_path / "out.jsonl"
    result = run_cli(
        "batch", "run", "--text", str(jobs(tmp_path)), "-c", "1", "--retries", "0",
        "--fallback", "haiku", "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(d["custom_id"], d["status"], d["model"]) for d in lines] == [
        ("line-000001", "succeeded", HAIKU),
        ("line-000002", "succeeded", SONNET),
    ]
    assert f"line-000001: {ANNOUNCED}" in result.stderr
    assert posted_models(fake_api) == [SONNET, HAIKU, SONNET]
    rows = ledger_rows()
    assert [(r["custom_id"], r["model"], r["status"]) for r in rows] == [
        ("line-000001", SONNET, "overloaded_error"),
        ("line-000001", HAIKU, "ok"),
        ("line-000002", SONNET, "ok"),
    ]
    assert all(
        r["pid"] and r["worst_cost_usd"] for r in rows
    )  # the fallback call had its own write-ahead row


def test_batch_run_fallback_failure_leaves_the_line_for_a_rerun_and_exits_6(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    overload(fake_api, SONNET, times=1)
    overload(fake_api, HAIKU, times=1)
    out = tmp_path / "out.jsonl"
    args = ["batch", "run", "--text", str(jobs(tmp_path)), "-c", "1", "--retries", "0", "-o", str(out)]
    result = run_cli(*args, env={"CLAUDECLI_FALLBACK_MODEL": "haiku"})
    assert result.exit_code == 6, result
    assert "1 request(s) still failing" in error_lines(result.stderr)[0]
    assert [json.loads(line)["custom_id"] for line in out.read_text().splitlines()] == ["line-000002"]
    assert [(r["model"], r["status"]) for r in ledger_rows()][:2] == [
        (SONNET, "overloaded_error"),
        (HAIKU, "overloaded_error"),
    ]
    rerun = run_cli(*args)
    assert rerun.exit_code == 0, rerun
    assert posted_models(fake_api)[-1] == SONNET


def test_batch_run_never_falls_back_on_429(cli_env, run_cli, fake_api, tmp_path):
    overload(fake_api, times=1, code=429)
    result = run_cli(
        "batch", "run", "--text", str(jobs(tmp_path)), "-c", "1", "--retries", "0", "--fallback", "haiku"
    )
    assert result.exit_code == 6, result
    assert HAIKU not in posted_models(fake_api) and "fallback" not in result.stderr
