"""--mcp through the real CLI against the fake API: a real MCP server (tests/mcp_servers/toy.py) as a subprocess,
the real SDK over real HTTP, the one tool loop."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import assert_no_traceback
from tests.zygote import ForkedPopen

SERVERS = Path(__file__).parent / "mcp_servers"


def _toy(write_config, approval: str = "auto", name: str = "toy", script: str = "toy.py", *args: str) -> None:
    argv = [str(SERVERS / script), *args]
    write_config(
        f"[mcp.{name}]\ncommand = {sys.executable!r}\nargs = {json.dumps(argv)}\napproval = {approval!r}\n"
        "startup_timeout = 20\n"
    )


def messages_sent(fake_api) -> list[dict]:
    return [request.body for request in fake_api.requests_to("/v1/messages")]


def test_ask_calls_an_mcp_tool_and_the_model_gets_its_result(cli_env, run_cli, fake_api, write_config):
    _toy(write_config)
    result = run_cli("ask", "--mcp", "toy", '[[call:toy__echo {"text": "from the model"}]]')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Tool results: echo: from the model\n"
    first, second = messages_sent(fake_api)
    names = [tool["name"] for tool in first["tools"]]
    assert "toy__echo" in names and "toy__get_data_v2" in names
    assert first["tools"] == second["tools"]  # the same tool set on every step
    tool_use = second["messages"][1]["content"][0]
    tool_result = second["messages"][2]["content"][0]
    assert (tool_use["type"], tool_use["name"]) == ("tool_use", "toy__echo")
    assert tool_result == {
        "type": "tool_result",
        "tool_use_id": tool_use["id"],
        "content": "echo: from the model",
    }
    assert "mcp:toy" in result.stderr or "toy__echo" in result.stderr  # the trace names the tool


def test_off_a_terminal_an_ask_server_s_tool_is_not_run_without_a_flag(
    cli_env, run_cli, fake_api, write_config
):
    _toy(write_config, approval="ask")
    result = run_cli("ask", "--mcp", "toy", '[[call:toy__echo {"text": "x"}]]')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Tool results: error: not run")
    assert "--approve toy__echo or --yes" in result.stderr
    approved = run_cli("ask", "--mcp", "toy", "--approve", "toy__echo", '[[call:toy__echo {"text": "x"}]]')
    assert approved.stdout == "Tool results: echo: x\n"


def test_a_server_dying_mid_call_is_an_error_result_and_the_loop_goes_on(
    cli_env, run_cli, fake_api, write_config
):
    _toy(write_config)
    result = run_cli("ask", "--mcp", "toy", "[[call:toy__crash]]")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Tool results: error: MCP server toy stopped during the call")
    assert_no_traceback(result.stderr)


def test_a_server_that_cannot_start_stops_the_command_with_one_line(cli_env, run_cli, fake_api, write_config):
    _toy(write_config, "auto", "raw", "raw.py", "exit")
    result = run_cli("ask", "--mcp", "raw", "hi")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert_no_traceback(result.stderr)
    (line,) = [line for line in result.stderr.splitlines() if "MCP server raw" in line]
    assert "exited before it finished starting" in line and "missing configuration" in line
    assert messages_sent(fake_api) == []  # nothing was sent, nothing was spent


def test_an_unknown_server_is_a_usage_error(cli_env, run_cli, fake_api, write_config):
    _toy(write_config)
    result = run_cli("ask", "--mcp", "nope", "hi")
    assert result.exit_code == 2
    assert "--mcp nope: no such MCP server (known: toy)" in result.stderr


def test_without_the_mcp_package_mcp_exits_2_with_the_install_command(
    cli_env, run_cli_subprocess, write_config, tmp_path
):
    # The package is shadowed by one that cannot be imported, as when it is not installed.
    shadow = tmp_path / "shadow" / "mcp"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'mcp'\", name='mcp')\n")
    _toy(write_config)
    result = run_cli_subprocess("ask", "--mcp", "toy", "hi", env={"PYTHONPATH": str(shadow.parent)})
    assert result.exit_code == 2
    assert_no_traceback(result.stderr)
    assert "--mcp needs the optional mcp package" in result.stderr
    assert "pipx inject claudecli mcp" in result.stderr
    assert "pip install 'claudecli[mcp]'" in result.stderr


def test_batch_run_lines_call_mcp_tools(cli_env, run_cli, fake_api, write_config, tmp_path):
    _toy(write_config)
    jobs = tmp_path / "jobs.jsonl"
    lines = [
        {"id": "a", "prompt": '[[call:toy__echo {"text": "one"}]]'},
        {"id": "b", "prompt": '[[call:toy__add {"a": 1, "b": 2}]]'},
    ]
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = run_cli("batch", "run", "--mcp", "toy", str(jobs))
    assert result.exit_code == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in out] == ["Tool results: echo: one", 'Tool results: {\n  "sum": 3\n}']


def test_batch_submit_refuses_mcp(cli_env, run_cli, fake_api, write_config, tmp_path):
    _toy(write_config)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"id": "a", "prompt": "hi"}\n')
    result = run_cli("batch", "submit", "--mcp", "toy", str(jobs))
    assert result.exit_code == 2
    assert "a batch cannot run local tools (--tools, --functions, --mcp)" in result.stderr
    assert fake_api.requests_to("/v1/messages/batches", "POST") == []


def test_ctrl_c_during_an_mcp_call_stops_cleanly_and_the_server_is_gone(cli_env, write_config, tmp_path):
    import os
    import signal
    import subprocess
    import time

    from tests.conftest import subprocess_env
    from tests.tools_support import alive

    pid_file = tmp_path / "toy.pid"
    write_config(
        f"[mcp.toy]\ncommand = {sys.executable!r}\nargs = [{str(SERVERS / 'toy.py')!r}]\napproval = 'auto'\n"
        f"env = {{ TOY_PID_FILE = {str(pid_file)!r} }}\nstartup_timeout = 20\n"
    )
    process = ForkedPopen(
        ["ask", "--mcp", "toy", '[[call:toy__slow {"seconds": 60}]]'],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
        text=True,
    )
    assert process.stderr is not None
    seen = ""
    while "→ toy__slow" not in seen:
        line = process.stderr.readline()
        assert line, seen
        seen += line
    time.sleep(0.3)
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert time.monotonic() - interrupted < 8  # cancelled, not waited out (the call would take 60 s)
    assert process.returncode == 130, seen + err
    assert_no_traceback(seen + err)
    assert out == ""
    server = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server)
    if alive(server):  # never leave it running
        os.kill(server, signal.SIGKILL)
