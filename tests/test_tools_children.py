"""Tools that run processes: command tools from config, run_command, the --functions worker.

Real subprocesses throughout: input on stdin, results from stdout, errors with stderr's tail, timeouts that
stop the whole process group, and child environments without any known secret (by name or by value).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from claudecli.core.errors import UsageError
from claudecli.tools.child import child_environment
from claudecli.tools.options import ToolOptions
from tests.conftest import TEST_KEY
from tests.tools_support import call, ends_soon, run, toolbox

PY = json.dumps(sys.executable)


@pytest.fixture
def tools_config(write_config, tmp_path):
    """config.toml with command tools (python children, so the tests need nothing else installed)."""
    (tmp_path / "schema.json").write_text(
        json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}})
    )
    script = tmp_path / "tool.py"
    script.write_text(
        "import json, os, sys\n"
        "data = json.load(sys.stdin)\n"
        "mode = data.get('mode')\n"
        "if mode == 'env':\n"
        "    print(json.dumps(dict(os.environ)))\n"
        "elif mode == 'fail':\n"
        "    print('partial out'); print('it went wrong: ' + 'x' * 3000 + ' THE END', file=sys.stderr); sys.exit(3)\n"
        "elif mode == 'escape':\n"
        "    print('red \\x1b[31mtext\\x1b[0m \\x1b]0;title\\x07 tab\\there ' + os.environ.get('KEYLIKE', ''))\n"
        "else:\n"
        "    print('got ' + json.dumps(data, sort_keys=True))\n"
    )
    write_config(
        f"""
[tools.echoer]
description = "Echo the input"
command = [{PY}, {json.dumps(str(script))}]
input_schema = {{ type = "object", properties = {{ mode = {{ type = "string" }} }} }}
approval = "auto"

[tools.counter]
description = "Uses a schema file"
command = [{PY}, "-c", "print(1)"]
input_schema = "{tmp_path / "schema.json"}"

[tools.sleeper]
description = "Starts a background process and sleeps"
command = ["sh", "-c", "sleep 30 & echo $! > {tmp_path / "bg.pid"}; sleep 30"]
timeout = 0.5
approval = "auto"
"""
    )
    return tmp_path


def test_a_command_tool_round_trip(base_env, tools_config):
    box = toolbox(ToolOptions(toolsets=("echoer", "counter")))
    assert box.definitions()[1]["input_schema"] == {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
    }
    [result] = run(box, call("echoer", mode="hi", n=2))
    assert not result.is_error
    assert result.content == 'got {"mode": "hi", "n": 2}\n'


def test_a_non_zero_exit_is_an_error_with_the_tail_of_stderr(base_env, tools_config):
    [result] = run(toolbox(ToolOptions(toolsets=("echoer",))), call("echoer", mode="fail"))
    assert result.is_error
    assert result.content.startswith("exit code 3\nstderr:\n")
    assert result.content.endswith("THE END") and len(result.content) < 2_200


def test_a_timeout_stops_the_whole_process_group(base_env, tools_config):
    started = time.monotonic()
    [result] = run(toolbox(ToolOptions(toolsets=("sleeper",))), call("sleeper"))
    assert result.is_error and "timed out after 0.5 s" in result.content
    assert time.monotonic() - started < 5
    background = int((tools_config / "bg.pid").read_text())
    assert ends_soon(background)


def test_results_are_stripped_of_escapes_and_scrubbed(base_env, tools_config, monkeypatch):
    monkeypatch.setenv("KEYLIKE", "x")  # harmless; the key is in the output through the scrubbed path below
    box = toolbox(ToolOptions(toolsets=("echoer",)))
    [result] = run(box, call("echoer", mode="escape"))
    assert "\x1b" not in result.content and "\x07" not in result.content
    assert result.content == "red text  tab\there x\n"
    assert box.clean(f"key {TEST_KEY}\x1b[2J") == "key ********"


def test_the_child_environment_has_no_secret_by_name_or_by_value(base_env, tools_config, monkeypatch):
    canary = "canary-SECRET-9f8e7d6c5b4a"
    monkeypatch.setenv("ANTHROPIC_API_KEY", canary)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", "sk-ant-admin-CANARY-123456")
    monkeypatch.setenv("INNOCENT_LOOKING", f"prefix:{canary}:suffix")
    monkeypatch.setenv("HARMLESS", "stays")
    [result] = run(toolbox(ToolOptions(toolsets=("echoer",))), call("echoer", mode="env"))
    env = json.loads(result.content.replace("********", "MASKED"))
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_ADMIN_KEY" not in env
    assert "INNOCENT_LOOKING" not in env
    assert env["HARMLESS"] == "stays"
    assert canary not in result.content


def test_child_environment_drops_escaped_forms_and_configured_names():
    env = {"A": "x%2Fsecret-value-1", "B": "fine", "MY_TOKEN": "t"}
    kept = child_environment(["x%2Fsecret-value-1"], env, secret_names=["MY_TOKEN"])
    assert kept == {"B": "fine"}


def test_run_command_runs_argv_and_shell_strings_in_the_root(base_env, tmp_path):
    box = toolbox(ToolOptions(toolsets=("shell",), root=tmp_path, approve=("run_command",)))
    argv, shell, failing = run(
        box,
        call("run_command", command=["pwd"]),
        call("run_command", command="echo one; echo two >&2"),
        call("run_command", command=["sh", "-c", "exit 4"]),
    )
    assert argv.content == f"exit code 0\nstdout:\n{tmp_path.resolve()}"
    assert shell.content == "exit code 0\nstdout:\none\nstderr (tail):\ntwo"
    assert failing.is_error and failing.content == "exit code 4"


def test_run_command_timeout_and_a_missing_program(base_env, tmp_path):
    box = toolbox(ToolOptions(toolsets=("shell",), root=tmp_path, approve=("run_command",)))
    slow, missing = run(
        box,
        call("run_command", command="sleep 20", timeout=0.3),
        call("run_command", command=["no-such-program-xyz"]),
    )
    assert slow.is_error and "timed out" in slow.content
    assert missing.is_error and missing.content == "program not found: no-such-program-xyz"


FUNCTIONS = '''
"""Tools for the test."""
import os
from typing import Literal, Optional
from os.path import join  # imported: not a tool


def add(a: int, b: int = 2) -> int:
    """Add two numbers.

    More text that is not the description.
    """
    return a + b


def describe(name: str, tags: list[str], extra: Optional[dict[str, float]] = None,
             mode: Literal["short", "long"] = "short", loud: bool = False, ratio: float = 1.0) -> str:
    """Describe something."""
    return f"{name} {tags} {extra} {mode} {loud} {ratio}"


def fail(reason: str) -> None:
    """Always fails."""
    raise ValueError(reason)


def environment() -> dict:
    """The worker's environment."""
    print("printed text does not break the protocol")
    return dict(os.environ)


def untyped(x):
    return x


def _private(a: int) -> int:
    return a
'''


@pytest.fixture
def functions_file(tmp_path: Path) -> Path:
    path = tmp_path / "funcs.py"
    path.write_text(FUNCTIONS)
    return path


def test_functions_become_tools_with_schemas(base_env, functions_file):
    import io

    stderr = io.StringIO()
    box = toolbox(ToolOptions(functions=(functions_file,)), stderr=stderr)
    definitions = {item["name"]: item for item in box.definitions()}
    assert sorted(definitions) == ["add", "describe", "environment", "fail"]
    assert definitions["add"]["description"] == "Add two numbers."
    assert definitions["add"]["input_schema"] == {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 2}},
        "required": ["a"],
    }
    props = definitions["describe"]["input_schema"]["properties"]
    assert props["tags"] == {"type": "array", "items": {"type": "string"}}
    assert props["extra"] == {"type": "object", "additionalProperties": {"type": "number"}, "default": None}
    assert props["mode"] == {"enum": ["short", "long"], "default": "short"}
    assert props["loud"] == {"type": "boolean", "default": False}
    assert "skipped untyped: parameter x has no type annotation" in stderr.getvalue()
    assert all(tool.approval.value == "ask" for tool in box.tools())
    box.close()


def test_functions_run_in_a_worker_without_secrets(base_env, functions_file, monkeypatch):
    monkeypatch.setenv("SOMETHING_ELSE", TEST_KEY)
    box = toolbox(ToolOptions(functions=(functions_file,), yes=True))
    added, failed, env = run(box, call("add", a=40), call("fail", reason="nope"), call("environment"))
    assert (added.content, added.is_error) == ("42", False)
    assert (failed.content, failed.is_error) == ("ValueError: nope", True)
    variables = json.loads(env.content)
    assert "ANTHROPIC_API_KEY" not in variables and "SOMETHING_ELSE" not in variables
    assert TEST_KEY not in env.content
    box.close()


def test_a_bad_call_is_an_error_result_and_the_worker_lives_on(base_env, functions_file):
    box = toolbox(ToolOptions(functions=(functions_file,), yes=True))
    wrong, right = run(box, call("add", c=1), call("add", a=1, b=1))
    assert wrong.is_error and wrong.content.startswith("TypeError: ")
    assert right.content == "2"
    box.close()


def test_a_file_that_fails_to_import_is_a_one_line_usage_error(base_env, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_here\n")
    with pytest.raises(UsageError) as caught:
        toolbox(ToolOptions(functions=(broken,)))
    message = caught.value.one_line()
    assert "\n" not in message
    assert "ModuleNotFoundError: No module named 'no_such_module_here'" in message


def test_the_functions_file_never_runs_in_claudecli_s_process(base_env, tmp_path):
    marker = tmp_path / "pid.txt"
    path = tmp_path / "spy.py"
    path.write_text(
        f"import os\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n\ndef f() -> str:\n    return 'x'\n"
    )
    box = toolbox(ToolOptions(functions=(path,)))
    assert int(marker.read_text()) != __import__("os").getpid()
    assert "claudecli_functions" not in sys.modules
    box.close()


def test_cancel_stops_a_running_tool_and_its_group(base_env, tmp_path):
    pidfile = tmp_path / "bg.pid"
    box = toolbox(ToolOptions(toolsets=("shell",), root=tmp_path, approve=("run_command",)))
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    first, second = box.execute(
        [
            call("run_command", command=f"sleep 30 & echo $! > {pidfile}; wait"),
            call("run_command", command="true"),
        ],
        cancel,
    )
    assert time.monotonic() - started < 5
    assert first.is_error and "interrupted" in first.content
    assert second.is_error and "interrupted" in second.content  # not started once cancelled
    assert ends_soon(int(pidfile.read_text()))


CTRL_C = """
import sys, threading
from pathlib import Path
from claudecli.tools.box import Toolbox
from claudecli.tools.base import ToolCall
from claudecli.tools.shell import ShellTools
from claudecli.tools.approval import make_approver
from claudecli.tools.options import ToolOptions

pidfile = sys.argv[1]
box = Toolbox([ShellTools(Path.cwd(), dict)], make_approver(ToolOptions(approve=("run_command",)), None), str)
cancel = threading.Event()
call = ToolCall("t1", "run_command", {"command": f"sleep 30 & echo $! > {pidfile}; echo started; wait"})
try:
    box.execute([call], cancel)
except KeyboardInterrupt:
    print("INTERRUPTED cancel=%s" % cancel.is_set(), flush=True)
"""


@pytest.mark.pty
def test_ctrl_c_while_a_tool_runs_kills_its_group_and_raises(base_env, tmp_path):
    import pexpect

    from tests.conftest import subprocess_env

    pidfile = tmp_path / "bg.pid"
    child = pexpect.spawn(
        sys.executable, ["-c", CTRL_C, str(pidfile)], env=subprocess_env(), encoding="utf-8", timeout=20
    )
    deadline = time.monotonic() + 10
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.sendintr()
    child.expect("INTERRUPTED cancel=True")
    child.expect(pexpect.EOF)
    assert ends_soon(int(pidfile.read_text()))


def test_the_worker_does_not_import_modules_from_the_current_directory(base_env, tmp_path, monkeypatch):
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    (elsewhere / "inspect.py").write_text("raise SystemExit('shadowed the standard library')\n")
    monkeypatch.chdir(elsewhere)
    functions = tmp_path / "f.py"
    functions.write_text("def hello() -> str:\n    return 'hi'\n")
    box = toolbox(ToolOptions(functions=(functions,), yes=True))
    assert run(box, call("hello"))[0].content == "hi"
    box.close()


def test_a_group_whose_leader_s_pid_now_belongs_to_another_process_is_not_signalled():
    """An MCP server's group is stopped when the server is; if every member had gone and its pid had been given
    to a new group leader meanwhile, that unrelated group would have been killed. The leader's start time tells."""
    from claudecli.core.process import start_ticks as start_time
    from claudecli.tools.mcp_session import still_the_group

    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        started = start_time(other.pid)
        assert still_the_group(other.pid, started)
        assert not still_the_group(
            other.pid, str(int(started) - 1)
        )  # the pid, but not the process we started
    finally:
        other.kill()
        other.wait()
    assert still_the_group(
        other.pid, started
    )  # the leader gone: whoever is left in the group is what it left
