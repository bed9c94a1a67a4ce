"""Tools through the real CLI: ask and batch with server tools, the loop's steps in the ledger, exit code 12."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.conftest import assert_no_traceback

NOTE = {"name": "note", "description": "Write a note.", "input_schema": {"type": "object"}}


def messages_sent(fake_api) -> list[dict]:
    return [request.body for request in fake_api.requests_to("/v1/messages")]


def test_ask_web_search_sends_the_tool_renders_results_and_prices_the_search(
    cli_env, run_cli, fake_api, ledger_rows
):
    result = run_cli(
        "ask", "--web-search", "--max-uses", "2", "--allowed-domain", "docs.example.org", "[[search:cats]]"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Found it for cats.\n"  # only the answer
    assert "web search: 2 results" in result.stderr
    assert "Fake result one — https://docs.example.org/result-1" in result.stderr
    assert "1 step · 0 tool calls · 1 web search" in result.stderr
    (body,) = messages_sent(fake_api)
    assert body["tools"] == [
        {
            "type": "web_search_20260318",
            "name": "web_search",
            "max_uses": 2,
            "allowed_domains": ["docs.example.org"],
        }
    ]
    (row,) = ledger_rows()
    assert row["web_search_requests"] == 1 and row["loop_id"] and row["step"] == 1
    tokens_only = Decimal(str(row["cost_usd"])) - Decimal("0.01")  # $10 per 1,000 searches
    assert Decimal(0) < tokens_only < Decimal("0.001")


def test_ask_json_has_the_steps_and_the_totals_of_a_paused_turn(cli_env, run_cli, fake_api, ledger_rows):
    result = run_cli("ask", "--web-search", "--json", "[[pause]]")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["text"] == "Continued after the pause."
    assert [step["stop_reason"] for step in document["steps"]] == ["pause_turn", "end_turn"]
    assert document["tool_calls"] == 0 and document["usage"]["web_search_requests"] == 1
    costs = [step["cost_usd"] for step in document["steps"]]
    assert abs(document["cost_usd"] - sum(costs)) < 1e-9
    server = document["steps"][0]["server_tools"]
    assert [block["type"] for block in server] == ["server_tool_use", "web_search_tool_result"]
    rows = ledger_rows()
    assert [(r["loop_id"], r["step"]) for r in rows] == [(document["loop_id"], 1), (document["loop_id"], 2)]


def test_max_steps_exits_12_with_one_line_and_books_each_step(cli_env, run_cli, fake_api, ledger_rows):
    result = run_cli("ask", "--web-search", "--max-steps", "1", "[[pause]]")
    assert result.exit_code == 12
    assert_no_traceback(result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("claudecli: error:")]
    assert len(errors) == 1 and "--max-steps" in errors[0]
    assert result.stdout == ""
    assert [r["step"] for r in ledger_rows()] == [1]


def test_max_tool_steps_setting_and_a_dotenv_that_may_only_lower_it(
    cli_env, run_cli, fake_api, write_config, ledger_rows
):
    write_config("max_tool_steps = 1\n")
    assert run_cli("ask", "--web-search", "[[pause]]").exit_code == 12
    write_config("max_tool_steps = 5\n")
    Path(".env").write_text("CLAUDECLI_MAX_TOOL_STEPS=50\n")
    shown = run_cli("config", "show", "--json")
    assert json.loads(shown.stdout)["settings"]["max_tool_steps"]["value"] == 5
    assert "may only lower it" in shown.stderr


def test_quiet_hides_traces_and_code_execution_is_not_priced_as_zero(cli_env, run_cli, fake_api):
    quiet = run_cli("ask", "-q", "--web-search", "[[search:dogs]]")
    assert quiet.exit_code == 0 and "web search" not in quiet.stderr
    code = run_cli("ask", "--code-execution", "hi")
    assert code.exit_code == 0
    assert "not priced from usage" in code.stderr
    assert messages_sent(fake_api)[-1]["tools"] == [
        {"type": "code_execution_20260521", "name": "code_execution"}
    ]


def test_plain_ask_sends_no_tools_and_books_no_loop(cli_env, run_cli, fake_api, ledger_rows):
    result = run_cli("ask", "[[words:2]]")
    assert result.stdout == "w1 w2\n" and "step" not in result.stderr
    assert "tools" not in messages_sent(fake_api)[0]
    assert ledger_rows()[0]["loop_id"] is None


def test_cost_report_by_loop_totals_a_whole_answer(cli_env, run_cli, fake_api):
    run_cli("ask", "--web-search", "[[pause]]")
    run_cli("ask", "[[words:2]]")
    report = json.loads(run_cli("cost", "report", "--by", "loop", "--json").stdout)
    assert report["by"] == "loop"
    calls = sorted(group["calls"] for group in report["groups"])
    assert calls == [1, 2]  # the plain call alone ("none"), the loop's two steps together
    assert run_cli("cost", "report", "--by", "command").exit_code == 0


def write_lines(path: Path, *objects: dict) -> Path:
    path.write_text("".join(json.dumps(obj) + "\n" for obj in objects))
    return path


def test_batch_run_runs_each_line_as_a_loop_with_valid_pairing(
    cli_env, run_cli, fake_api, tmp_path, ledger_rows
):
    jobs = write_lines(
        tmp_path / "jobs.jsonl",
        {"id": "search", "prompt": "[[search:owls]]"},
        {
            "custom_id": "call",
            "params": {"messages": [{"role": "user", "content": '[[call:note {"a": 1}]]'}], "tools": [NOTE]},
        },
    )
    result = run_cli("batch", "run", "--web-search", str(jobs))
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["custom_id"], line["status"]) for line in lines] == [
        ("search", "succeeded"),
        ("call", "succeeded"),
    ]
    assert lines[0]["usage"]["web_search_requests"] == 1
    assert lines[1]["text"].startswith(
        "Tool results: error:"
    )  # no local tool named note: an error result, paired
    second = messages_sent(fake_api)[-1]["messages"]
    assert second[2]["content"][0]["tool_use_id"] == second[1]["content"][0]["id"]
    assert "search: ⌕ web search: 2 results" in result.stderr
    rows = ledger_rows()
    assert [(r["custom_id"], r["step"]) for r in rows] == [("search", 1), ("call", 1), ("call", 2)]
    assert all(r["command"] == "batch-run" for r in rows)


def test_batch_run_max_steps_writes_an_errored_line_and_exits_12(cli_env, run_cli, fake_api, tmp_path):
    jobs = write_lines(
        tmp_path / "jobs.jsonl", {"id": "p", "prompt": "[[pause]]"}, {"id": "w", "prompt": "[[words:1]]"}
    )
    result = run_cli("batch", "run", "--web-search", "--max-steps", "1", str(jobs))
    assert result.exit_code == 12
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["status"] == "errored" and lines[0]["error"]["type"] == "max_steps"
    assert lines[1]["status"] == "succeeded"


def test_batch_submit_takes_server_tools_and_refuses_local_ones(cli_env, run_cli, fake_api, tmp_path):
    local = {"custom_id": "c", "params": {"messages": [{"role": "user", "content": "hi"}], "tools": [NOTE]}}
    jobs = write_lines(tmp_path / "jobs.jsonl", {"id": "ok", "prompt": "hi"}, local)
    result = run_cli("batch", "submit", "--dry-run", str(jobs))
    assert result.exit_code == 2
    assert f"{jobs}:2: params.tools.0 ('note') is a local tool" in result.stderr
    flag = run_cli("batch", "submit", "--tools", "fs", str(jobs))
    assert flag.exit_code == 2 and "cannot run local tools" in flag.stderr
    server = write_lines(tmp_path / "server.jsonl", {"id": "ok", "prompt": "hi"})
    submitted = run_cli("batch", "submit", "--web-search", str(server))
    assert submitted.exit_code == 0, submitted.stderr
    (created,) = fake_api.requests_to("/v1/messages/batches", "POST")
    assert created.body["requests"][0]["params"]["tools"] == [
        {"type": "web_search_20260318", "name": "web_search"}
    ]


def test_web_fetch_is_shown_and_counted(cli_env, run_cli, fake_api, ledger_rows):
    result = run_cli(
        "ask", "--web-fetch", "--allowed-domain", "example.com", "[[fetch:https://example.com/a]]"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Fetched https://example.com/a.\n"
    assert "web fetch: https://example.com/a" in result.stderr
    assert messages_sent(fake_api)[0]["tools"] == [
        {"type": "web_fetch_20260318", "name": "web_fetch", "allowed_domains": ["example.com"]}
    ]
    (row,) = ledger_rows()
    assert row["web_fetch_requests"] == 1 and row["web_search_requests"] == 0


def test_traces_strip_terminal_escapes():
    from claudecli.render.tool_trace import server_tool_lines, tool_event_line
    from claudecli.tools.base import Tool, ToolCall, ToolResult
    from claudecli.tools.box import ToolEvent

    call = ToolCall("toolu_1", "note", {"text": "\x1b]0;owned\x07hi\x1b[2J"})
    start = tool_event_line(ToolEvent("start", Tool("note", "", {"type": "object"}), call))
    done = tool_event_line(ToolEvent("done", None, call, ToolResult("toolu_1", "x" * 2048, duration_ms=7)))
    assert start is not None and "\x1b" not in start.plain and "\x07" not in start.plain
    assert done is not None and done.plain == "← note · 2.0 kB · 7 ms"
    block = {
        "type": "web_search_tool_result",
        "content": [{"type": "web_search_result", "title": "evil\x1b[31m", "url": "https://e.com/\u202e"}],
    }
    lines = [line.plain for line in server_tool_lines(block)]
    assert lines[1] == "  evil\\x1b[31m — https://e.com/\\u202e"


def test_a_server_tool_limit_without_its_tool_is_a_usage_error(cli_env, run_cli, fake_api):
    result = run_cli("ask", "--allowed-domain", "example.com", "hi")
    assert result.exit_code == 2 and "need --web-search or --web-fetch" in result.stderr
    assert fake_api.requests_to("/v1/messages") == []


def test_the_budget_counts_the_searches_max_uses_allows(cli_env, run_cli, fake_api, write_config):
    write_config("max_cost_per_call = 0.05\n")  # far above the tokens, below 10 searches at $10 per 1,000
    refused = run_cli("ask", "--max-tokens", "100", "--web-search", "--max-uses", "10", "[[search:x]]")
    assert refused.exit_code == 9, refused.stderr
    assert fake_api.requests_to("/v1/messages") == []
    assert (
        run_cli("ask", "--max-tokens", "100", "--web-search", "--max-uses", "2", "[[search:x]]").exit_code
        == 0
    )


def test_a_final_step_cut_short_keeps_its_partial_answer(cli_env, run_cli, fake_api, ledger_rows):
    from tests.fakeapi import Fault

    fake_api.enqueue(Fault.sse_error_after(4, "api_error", "boom"))
    result = run_cli("ask", "--plain", "--web-search", "[[search:partial]]")
    assert result.exit_code == 7, result.stderr
    assert result.stdout.startswith("Found it")  # what arrived is kept, as for a plain ask
    assert [r["status"] for r in ledger_rows()] == ["api_error"]
