"""How a tool loop that stops early reports itself, through the real CLI with real tool processes and real
signals: `ask --json`'s `status` agrees with the exit code and with a plain ask's words (`interrupted`, or the
error type such as `max_steps`), `stopped` says why, a tool cut short keeps its real `duration_ms`; the loop's
`latency_ms` and summary time cover the whole answer, tool time included; and on a terminal the summary after a
Ctrl-C starts on a line of its own, not after the echoed `^C`."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pexpect
import pytest

from tests.conftest import assert_no_traceback, subprocess_env
from tests.zygote import ForkedPopen, ForkedSpawn

PY = json.dumps(__import__("sys").executable)
CALL = "[[call:sleeper {}]]"


def sleeper_tool(marker: Path, seconds: float, approval: str = "auto") -> str:
    """A [tools.sleeper] that creates ``marker`` as it starts, then sleeps ``seconds``."""
    code = f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep({seconds})"
    return (
        f'[tools.sleeper]\ndescription = "Sleep a while"\ncommand = [{PY}, "-c", {json.dumps(code)}]\n'
        f'approval = "{approval}"\n'
    )


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("sig", "code", "error"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_a_signal_while_a_tool_runs_reports_interrupted_with_the_tools_real_time(
    cli_env, fake_api, write_config, tmp_path, sig, code, error
):
    marker = tmp_path / "started"
    write_config(sleeper_tool(marker, 30))
    child = ForkedPopen(
        ["ask", "--json", "--tools", "sleeper", CALL],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    wait_for(marker)
    time.sleep(1.0)
    child.send_signal(sig)
    stdout, stderr = child.communicate(timeout=30)
    assert child.returncode == code, stderr
    assert_no_traceback(stderr.decode())
    document = json.loads(stdout)
    assert document["status"] == "interrupted"  # as a plain ask says, SIGTERM included; `error` tells which
    assert document["error"] == error
    assert document["stopped"] == "interrupted"
    (call,) = document["steps"][0]["tool_calls"]
    assert call["is_error"] and 900 <= call["duration_ms"] < 30_000
    assert document["latency_ms"] >= 900


def test_max_steps_reports_its_status_and_exit_12(cli_env, run_cli, fake_api, write_config, tmp_path):
    write_config(sleeper_tool(tmp_path / "started", 0))
    result = run_cli("ask", "--json", "--tools", "sleeper", "--max-steps", "1", CALL)
    assert result.exit_code == 12, result
    document = json.loads(result.stdout)
    assert document["status"] == "max_steps" and document["stopped"] == "max_steps"
    assert "--max-steps" in document["error"]


def test_a_finished_loop_is_still_ok(cli_env, run_cli, fake_api, write_config, tmp_path):
    write_config(sleeper_tool(tmp_path / "started", 0))
    result = run_cli("ask", "--json", "--tools", "sleeper", CALL)
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["status"] == "ok" and "stopped" not in document and "error" not in document


def test_the_loops_time_covers_its_tools(cli_env, run_cli, fake_api, write_config, tmp_path):
    write_config(sleeper_tool(tmp_path / "started", 1.5))
    result = run_cli("ask", "--json", "--tools", "sleeper", CALL)
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    (call,) = document["steps"][0]["tool_calls"]
    assert call["duration_ms"] >= 1500
    assert document["latency_ms"] >= 1500
    # ttft_ms is the first step's first token (none here: that step wrote only a tool call)
    assert document["ttft_ms"] is None or document["ttft_ms"] < 1500
    summary = next(line for line in result.stderr.splitlines() if "2 steps" in line)
    seconds = float(re.search(r"· (\d+\.\d+) s", summary).group(1))  # type: ignore[union-attr]
    assert seconds >= 1.5, summary


@pytest.mark.pty
@pytest.mark.parametrize("where", ["tool", "question"])
def test_the_summary_after_ctrl_c_starts_on_its_own_line(cli_env, fake_api, write_config, tmp_path, where):
    marker = tmp_path / "started"
    write_config(sleeper_tool(marker, 30, approval="auto" if where == "tool" else "ask"))
    child = ForkedSpawn(
        ["ask", "--plain", "--tools", "sleeper", CALL],
        env=subprocess_env(),
        dimensions=(40, 200),
        encoding="utf-8",
        timeout=20,
    )
    if where == "tool":
        child.expect("sleeper")
        wait_for(marker)
    else:
        child.expect(r"Run it\? ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    output = child.before or ""
    assert child.exitstatus == 130, output
    assert "^C" in output, output  # the terminal echoed it ...
    assert re.search(r"\^C[^\r\n]", output) is None, output  # ... and nothing follows it on its line
    assert re.search(r"\nclaude-[^\n]*(?:\n[^\n]*)?1\s+tool\s+call", output), output  # maybe word-wrapped


@pytest.mark.pty
def test_chat_s_summary_after_ctrl_c_during_a_tool_starts_on_its_own_line(
    cli_env, fake_api, write_config, tmp_path
):
    marker = tmp_path / "started"
    write_config(sleeper_tool(marker, 30))
    child = ForkedSpawn(
        ["chat", "--plain", "--tools", "sleeper"],
        env=subprocess_env({"PROMPT_TOOLKIT_NO_CPR": "1"}),
        dimensions=(40, 200),
        encoding="utf-8",
        timeout=20,
    )
    child.expect("›")
    child.send(CALL + "\r")
    child.expect("sleeper")
    wait_for(marker)
    child.sendintr()
    child.expect("steps so far are kept")
    output = child.before or ""
    child.expect("›")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    # The turn keeps the echo off while its tool runs (keys typed then wait for the next prompt), so the
    # Ctrl-C leaves no ^C, and the summary starts a line of its own.
    assert "^C" not in output, output
    assert re.search(r"\n *claude-sonnet-5-5 · ", output), output


def test_a_call_that_had_finished_keeps_its_result_when_a_later_one_is_interrupted(
    cli_env, fake_api, write_config, tmp_path
):
    """Two calls in one turn: the first finished, the second was running when Ctrl-C came. The kept transcript
    (what a resumed conversation sends the model) has the first's real result, not 'interrupted'."""
    marker = tmp_path / "started"
    quick = f'[tools.quick]\ndescription = "Say hi"\ncommand = [{PY}, "-c", "print(\'hi from quick\')"]\napproval = "auto"\n'
    write_config(quick + sleeper_tool(marker, 30))
    child = ForkedPopen(
        ["ask", "--json", "--tools", "quick,sleeper", "[[call:quick {}]] [[call:sleeper {}]]"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(),
    )
    wait_for(marker)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=30)
    assert child.returncode == 130, stderr
    calls = {call["name"]: call for call in json.loads(stdout)["steps"][0]["tool_calls"]}
    assert not calls["quick"]["is_error"] and calls["quick"]["result_bytes"] > 0
    assert calls["sleeper"]["is_error"]
