"""--mcp through the real CLI against the fake API: a real MCP server (tests/mcp_servers/toy.py) as a subprocess,
the real SDK over real HTTP, the one tool loop."""

from __future__ import annotations

import json
import sys

from tests.conftest import assert_no_traceback
from tests.mcp_servers import SERVERS, toy_args
from tests.zygote import ForkedPopen


def _toy(write_config, approval: str = "auto", name: str = "toy", script: str = "toy.py", *args: str) -> None:
    argv = toy_args(*args) if script == "toy.py" else [str(SERVERS / script), *args]
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


def test_a_server_s_own_error_of_code_32000_is_its_error_not_its_death(
    cli_env, run_cli, fake_api, write_config
):
    """-32000 is also the code the SDK uses for a closed connection: the server must not be taken for dead."""
    _toy(write_config, "auto", "raw", "raw.py", "rpc-error")
    result = run_cli("ask", "--mcp", "raw", "[[call:raw__ask]] [[call:raw__read_file]]")
    assert result.exit_code == 0, result.stderr
    assert "exited" not in result.stdout + result.stderr
    assert "quota exceeded for ask" in result.stdout
    assert "quota exceeded for read_file" in result.stdout  # still running for the second call
    assert_no_traceback(result.stderr)


def test_a_child_a_server_left_in_its_process_group_is_stopped_with_it(
    cli_env, run_cli, fake_api, write_config, tmp_path
):
    """The SDK kills a server's group only when the server outlives its grace; one that exits at once on EOF
    must not leave its children running after claudecli, as a tool's process never does."""
    pid_file = tmp_path / "child.pid"
    write_config(
        f"[mcp.raw]\ncommand = {sys.executable!r}\nargs = {json.dumps([str(SERVERS / 'raw.py'), 'fork'])}\n"
        f"approval = 'auto'\nenv = {{ RAW_CHILD_PID_FILE = {str(pid_file)!r} }}\n"
    )
    result = run_cli("ask", "--mcp", "raw", "[[call:raw__ask]]")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Tool results: started ")
    assert _gone(int(pid_file.read_text()))


def test_a_line_that_is_not_utf8_on_a_server_s_stdout_is_one_bad_line(
    cli_env, run_cli, fake_api, write_config
):
    """It is dropped with a warning, as a non-JSON line is; it must not end the reading of the server's stdout
    (every later answer lost, each call waiting out its timeout)."""
    write_config(
        f"[mcp.raw]\ncommand = {sys.executable!r}\nargs = {json.dumps([str(SERVERS / 'raw.py'), 'not-utf8'])}\n"
        "approval = 'auto'\ntimeout = 3\n"
    )
    result = run_cli("ask", "--mcp", "raw", "[[call:raw__ask]] [[call:raw__read_file]]")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Tool results: answered anyway | answered anyway\n"
    assert "MCP: Failed to parse JSONRPC message from server" in result.stderr
    assert_no_traceback(result.stderr)


def test_a_server_cannot_take_the_name_of_another_server_s_tool_and_with_it_its_approval(
    cli_env, run_cli, fake_api, write_config
):
    """Server x listing 'y__echo' and server x__y listing 'echo' would both be x__y__echo for the model: the one
    enabled first kept the name, so `--approve x__y__echo`, meant for x__y's echo, ran x's tool."""
    text = ""
    for name, extra in (("x", "y__echo"), ("x__y", "unused")):
        text += (
            f"[mcp.{name}]\ncommand = {sys.executable!r}\nargs = {json.dumps(toy_args())}\napproval = 'ask'\n"
            f"env = {{ TOY_NAME = {name!r}, TOY_EXTRA_TOOL = {extra!r} }}\nstartup_timeout = 20\n\n"
        )
    write_config(text)
    result = run_cli(
        "ask", "--mcp", "x,x__y", "--approve", "x__y__echo", '[[call:x__y__echo {"text": "hi"}]]'
    )
    assert "x: hi" not in result.stdout  # server x's tool never runs under an approval meant for x__y
    assert result.exit_code == 2
    assert "[mcp.x__y]: a server name has no '__'" in result.stderr
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
    assert "MCP server toy needs the optional mcp package" in result.stderr
    assert "pipx inject claudecli mcp" in result.stderr
    assert "pip install 'claudecli[mcp]'" in result.stderr
    write_config(f"[roles.dev]\nmcp = ['toy']\n[mcp.toy]\ncommand = {sys.executable!r}\n")
    result = run_cli_subprocess("ask", "-r", "dev", "hi", env={"PYTHONPATH": str(shadow.parent)})
    assert result.exit_code == 2 and "MCP server toy needs the optional mcp package" in result.stderr
    (shadow / "__init__.py").write_text("")  # installed, but not the version claudecli uses: no mcp.types
    result = run_cli_subprocess("ask", "--mcp", "toy", "hi", env={"PYTHONPATH": str(shadow.parent)})
    assert result.exit_code == 2, result
    assert_no_traceback(result.stderr)
    assert "is installed but cannot be loaded (mcp.types is missing)" in result.stderr


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
        f"[mcp.toy]\ncommand = {sys.executable!r}\nargs = {json.dumps(toy_args())}\napproval = 'auto'\n"
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


def _toys(write_config, servers: dict[str, dict[str, str]]) -> None:
    """Several toy servers, each with its own environment (its TOY_NAME is its name)."""
    text = ""
    for name, env in servers.items():
        table = ", ".join(f"{key} = {value!r}" for key, value in {"TOY_NAME": name, **env}.items())
        text += (
            f"[mcp.{name}]\ncommand = {sys.executable!r}\nargs = {json.dumps(toy_args())}\n"
            f"approval = 'auto'\nenv = {{ {table} }}\nstartup_timeout = 20\n\n"
        )
    write_config(text)


def _gone(pid: int) -> bool:
    import time

    from tests.tools_support import alive

    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):  # never leave it running
        import os
        import signal

        os.kill(pid, signal.SIGKILL)
        return False
    return True


def test_servers_named_together_start_together(cli_env, run_cli, fake_api, write_config, tmp_path):
    # a serves only once b has launched: started one after another, a would wait for b forever (until its
    # startup_timeout), so a successful run proves b was started while a was still starting.
    events = tmp_path / "events"
    _toys(
        write_config,
        {"a": {"TOY_EVENTS": str(events), "TOY_START_AFTER": "b launched"}, "b": {"TOY_EVENTS": str(events)}},
    )
    result = run_cli(
        "ask", "--mcp", "a", "--mcp", "b", '[[call:a__echo {"text": "1"}]] [[call:b__echo {"text": "2"}]]'
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Tool results: echo: 1 | echo: 2\n"
    lines = events.read_text().splitlines()
    assert lines.index("b launched") < lines.index("a serving")


def test_names_follow_the_order_given_not_the_order_servers_became_ready(
    cli_env, run_cli, fake_api, write_config, tmp_path
):
    # a is named first but is ready last (it waits for b to serve), and its tools still come first, as when
    # servers started one by one (no two servers can want one API name: see the server name rule).
    events = tmp_path / "events"
    _toys(
        write_config,
        {"a": {"TOY_EVENTS": str(events), "TOY_START_AFTER": "b serving"}, "b": {"TOY_EVENTS": str(events)}},
    )
    prompt = '[[call:a__echo {"text": "1"}]] [[call:b__echo {"text": "2"}]]'
    result = run_cli("ask", "--mcp", "a", "--mcp", "b", prompt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Tool results: echo: 1 | echo: 2\n"
    lines = events.read_text().splitlines()
    assert lines.index("b serving") < lines.index("a serving")
    names = [tool["name"] for tool in messages_sent(fake_api)[0]["tools"]]
    assert max(names.index(name) for name in names if name.startswith("a__")) < names.index("b__echo")


def test_when_a_later_server_fails_to_start_all_stop_and_it_is_named(
    cli_env, run_cli, fake_api, write_config, tmp_path
):
    pid_file = tmp_path / "a.pid"
    _toys(write_config, {"a": {"TOY_PID_FILE": str(pid_file)}, "b": {"TOY_FAIL_AT_START": "b: no token"}})
    result = run_cli("ask", "--mcp", "a", "--mcp", "b", "hi")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert_no_traceback(result.stderr)
    (line,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "MCP server b exited before it finished starting (it said: b: no token)" in line
    assert _gone(int(pid_file.read_text()))
    assert messages_sent(fake_api) == []


def test_the_first_failure_in_the_order_given_is_the_one_reported(
    cli_env, run_cli, fake_api, write_config, tmp_path
):
    # b fails at once; a fails only once b has launched (so b's failure may well be seen first); a is named
    # first, so a's failure is the one told, as when servers started one by one (where a, waiting for b, would
    # time out instead). c, still starting (it waits for a line that never comes), is stopped.
    events = tmp_path / "events"
    pid_file = tmp_path / "c.pid"
    _toys(
        write_config,
        {
            "a": {
                "TOY_EVENTS": str(events),
                "TOY_START_AFTER": "b launched",
                "TOY_FAIL_AT_START": "a: broken",
            },
            "b": {"TOY_EVENTS": str(events), "TOY_FAIL_AT_START": "b: broken"},
            "c": {"TOY_EVENTS": str(events), "TOY_START_AFTER": "never", "TOY_PID_FILE": str(pid_file)},
        },
    )
    result = run_cli("ask", "--mcp", "a,b,c", "hi")
    assert result.exit_code == 2
    assert_no_traceback(result.stderr)
    (line,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "MCP server a exited before it finished starting (it said: a: broken)" in line
    if pid_file.exists() and pid_file.read_text():  # c may have been stopped before it wrote its pid
        assert _gone(int(pid_file.read_text()))


def test_ctrl_c_while_servers_start_stops_them_all(cli_env, write_config, tmp_path):
    import signal
    import subprocess
    import time

    from tests.conftest import subprocess_env

    events = tmp_path / "events"
    pids = {name: tmp_path / f"{name}.pid" for name in ("a", "b")}
    _toys(
        write_config,
        {
            name: {"TOY_EVENTS": str(events), "TOY_START_AFTER": "never", "TOY_PID_FILE": str(pid)}
            for name, pid in pids.items()
        },
    )
    process = ForkedPopen(
        ["ask", "--mcp", "a", "--mcp", "b", "hi"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # both launched: each wrote its pid before saying so
            if events.exists() and {"a launched", "b launched"} <= set(events.read_text().splitlines()):
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert_no_traceback(err)
    assert out == ""
    assert all(_gone(int(pid.read_text())) for pid in pids.values())
