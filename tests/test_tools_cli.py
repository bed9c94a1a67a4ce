"""Local tools through the real CLI (issue 13, "done when"): a config tool and a `--functions` tool complete a
round trip in `ask` and `batch run` with valid pairing in what the fake received; off a terminal a tool that is
not `auto` does not run without `--yes`/`--approve` (its side effect proves it) and stderr names the flag; the fs
toolset stays inside its root; a forever-calling model stops at `--max-steps` with every step booked."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY, assert_no_traceback
from tests.test_tools_approval import touch_tool

PY = json.dumps(sys.executable)
FUNCTIONS = '''
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b
'''


def posted(fake_api) -> list[dict]:
    return [r.body for r in fake_api.requests_to("/v1/messages", method="POST")]


def assert_paired(body: dict) -> None:
    """Every tool_use of an assistant turn is answered, first thing, in the next user turn."""
    messages = body["messages"]
    for index, message in enumerate(messages):
        if message["role"] != "assistant" or isinstance(message["content"], str):
            continue
        ids = [block["id"] for block in message["content"] if block["type"] == "tool_use"]
        if ids:
            answers = [b["tool_use_id"] for b in messages[index + 1]["content"] if b["type"] == "tool_result"]
            assert answers == ids


@pytest.fixture
def note_tool(tmp_path: Path, write_config) -> Path:
    marker = tmp_path / "note.mark"
    write_config(touch_tool("note", marker))
    return marker


def test_a_config_tool_round_trip_in_ask(cli_env, run_cli, fake_api, note_tool, ledger_rows):
    result = run_cli("ask", "--tools", "note", "--yes", '[[call:note {"text": "hi"}]]')
    assert result.exit_code == 0, result.stderr
    assert json.loads(note_tool.read_text().strip()) == {"text": "hi"}  # the input JSON arrived on stdin
    assert result.stdout.startswith("Tool results:")  # the final answer only; traces went to stderr
    assert "note" in result.stderr
    last = posted(fake_api)[-1]
    assert_paired(last)
    assert [tool["name"] for tool in last["tools"]] == ["note"]
    rows = ledger_rows()
    assert [row["step"] for row in rows] == [1, 2] and rows[0]["loop_id"] == rows[1]["loop_id"]


def test_off_a_terminal_an_ask_tool_needs_a_flag_and_stderr_names_it(cli_env, run_cli, fake_api, note_tool):
    result = run_cli("ask", "--tools", "note", '[[call:note {"text": "hi"}]]')
    assert result.exit_code == 0, result.stderr
    assert not note_tool.exists()  # declined: the side effect did not happen
    assert "--approve note" in result.stderr and "--yes" in result.stderr
    assert "error:" in result.stdout  # the model got a declined (is_error) result
    assert_paired(posted(fake_api)[-1])


def test_run_command_is_not_run_with_yes_alone(cli_env, run_cli, fake_api, tmp_path):
    marker = tmp_path / "shell.mark"
    call = json.dumps({"command": f"touch {marker}"})
    declined = run_cli("ask", "--tools", "shell", "--yes", f"[[call:run_command {call}]]")
    assert declined.exit_code == 0, declined.stderr
    assert not marker.exists() and "--approve run_command" in declined.stderr
    approved = run_cli("ask", "--tools", "shell", "--approve", "run_command", f"[[call:run_command {call}]]")
    assert approved.exit_code == 0, approved.stderr
    assert marker.exists()


def test_a_functions_tool_round_trip_in_ask(cli_env, run_cli, fake_api, tmp_path):
    functions = tmp_path / "fns.py"
    functions.write_text(FUNCTIONS)
    result = run_cli(
        "ask", "--functions", str(functions), "--approve", "add", '[[call:add {"a": 2, "b": 3}]]'
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Tool results: 5"
    assert_paired(posted(fake_api)[-1])


def test_fs_refuses_paths_outside_its_root(cli_env, run_cli, fake_api, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.txt").write_text("fine")
    (root / "out").symlink_to("/etc")
    calls = " ".join(
        f"[[call:read_file {json.dumps({'path': path})}]]"
        for path in ("../../etc/passwd", "/etc/passwd", "out/passwd", "inside.txt")
    )
    result = run_cli("ask", "--tools", "fs", "--root", str(root), calls)
    assert result.exit_code == 0, result.stderr
    answers = result.stdout.removeprefix("Tool results: ").split(" | ")
    assert [answer.startswith("error:") for answer in answers] == [True, True, True, False]
    assert "root:x:0:0" not in result.stdout and "fine" in answers[3]


def test_a_model_that_calls_forever_stops_at_max_steps_and_each_step_is_booked(
    cli_env, run_cli, fake_api, note_tool, ledger_rows
):
    result = run_cli("ask", "--tools", "note", "--yes", "--max-steps", "3", '[[call_forever:note {"n": 1}]]')
    assert result.exit_code == 12, result.stderr
    assert "--max-steps" in result.stderr
    assert [row["step"] for row in ledger_rows()] == [1, 2, 3]
    assert_no_traceback(result.stderr)


def test_a_tool_child_gets_no_secret(cli_env, run_cli, fake_api, tmp_path, write_config):
    dump = tmp_path / "env.json"
    code = f"import json, os; json.dump(dict(os.environ), open({str(dump)!r}, 'w'))"
    write_config(
        f'[tools.envdump]\ndescription = "d"\ncommand = [{PY}, "-c", {json.dumps(code)}]\napproval = "auto"\n'
    )
    os.environ["INNOCENT_LOOKING"] = TEST_KEY  # the key under a name nobody would guess
    try:
        result = run_cli("ask", "--tools", "envdump", "[[call:envdump {}]]")
    finally:
        del os.environ["INNOCENT_LOOKING"]
    assert result.exit_code == 0, result.stderr
    environment = dump.read_text()
    assert TEST_KEY not in environment and "ANTHROPIC_API_KEY" not in environment


def test_a_proxy_variable_holding_a_password_is_not_passed_to_a_tool(
    cli_env, run_cli, fake_api, write_config
):
    """The proxy's password is a secret like the others: a tool's child does not get the variable holding it
    (a tool printing its environment would hand it to the model); a proxy without one is passed on."""
    password = "Pr0xyPassw0rd-42"
    code = "import os; print('proxy=' + str(os.environ.get('HTTPS_PROXY')))"
    write_config(
        f'[tools.envprint]\ndescription = "d"\ncommand = [{PY}, "-c", {json.dumps(code)}]\napproval = "auto"\n'
    )
    call = ("ask", "--json", "--tools", "envprint", "[[call:envprint {}]]")
    # HTTPS_PROXY only: the fake is reached over http://, so the proxy itself is never used
    with_password = run_cli(*call, env={"HTTPS_PROXY": f"http://user:{password}@proxy.example:3128"})
    assert with_password.exit_code == 0, with_password.stderr
    assert "proxy=None" in with_password.stdout
    sent = json.dumps([request.body for request in fake_api.requests_to("/v1/messages")])
    assert password not in with_password.stdout + with_password.stderr + sent
    without = run_cli(*call, env={"HTTPS_PROXY": "http://proxy.example:3128"})
    assert "proxy=http://proxy.example:3128" in without.stdout, without.stdout
    for value in ("http://user:pw12345@proxy.example:3128", "user:pa[ss@proxy.example"):  # short; malformed
        short = run_cli(*call, env={"HTTPS_PROXY": value, "NO_PROXY": "*"})
        assert "proxy=None" in short.stdout, (value, short.stdout)


def test_batch_run_runs_a_config_tool_per_line(cli_env, run_cli, fake_api, note_tool, tmp_path):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text('[[call:note {"line": 1}]]\n[[call:note {"line": 2}]]\n')
    result = run_cli("batch", "run", "--text", str(jobs), "--tools", "note", "--approve", "note")
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(line)["line"] for line in note_tool.read_text().splitlines() if line) == [1, 2]
    for body in posted(fake_api):
        assert_paired(body)


def test_a_role_brings_its_tools(cli_env, run_cli, fake_api, tmp_path, write_config):
    marker = tmp_path / "note.mark"
    write_config(touch_tool("note", marker) + '\n[roles.scribe]\ntools = ["note"]\n')
    result = run_cli("ask", "-r", "scribe", "--approve", "note", "[[call:note {}]]")
    assert result.exit_code == 0, result.stderr
    assert marker.exists()
