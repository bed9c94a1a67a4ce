"""The fault matrix (issue 12): every API fault the fake can inject × every command that calls the API.

Each cell must end with its documented exit code, exactly one ``claudecli: error:`` line, no traceback, and for
``--json`` exactly one JSON document on stdout. A chat turn must report one error line and let the chat go on.
Retries and waits are kept tiny (``CLAUDECLI_MAX_RETRIES=1``, a 0.05 s retry-after cap, a 0.2 s timeout for the
hang) so the whole matrix stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from claudecli.chat import repl
from claudecli.core.errors import ExitCode
from tests.conftest import Result, assert_no_traceback, assert_secret_free
from tests.fakeapi import Fault
from tests.test_chat_turns import err
from tests.test_chat_turns import make_chat as chat_fixture

make_chat = chat_fixture

MESSAGES = "/v1/messages"
COUNT_TOKENS = "/v1/messages/count_tokens"
BATCHES = "/v1/messages/batches"
MODELS = "/v1/models"
FILES = "/v1/files"
COPIES = 8  # more than any command's attempts, so a fault persists through the retries
QUICK = {"CLAUDECLI_MAX_RETRIES": "1", "CLAUDECLI_RETRY_AFTER_CAP": "0.05"}


@dataclass(frozen=True)
class FaultCase:
    fault: Fault
    code: ExitCode  # the documented code of a failure of this kind
    env: tuple[tuple[str, str], ...] = ()


FAULTS = {
    "429 retry-after": FaultCase(
        Fault.status(429, "rate_limit_error", "slow down", headers={"retry-after": "30"}),
        ExitCode.RATE_LIMITED,
    ),
    "529 storm": FaultCase(
        Fault.status(529, "overloaded_error", "Overloaded", headers={"retry-after": "1"}),  # capped: 0.05 s
        ExitCode.RATE_LIMITED,
    ),
    "500": FaultCase(Fault.status(500, "api_error", "Internal server error"), ExitCode.SERVER),
    "dropped mid-stream": FaultCase(Fault.drop_after(2), ExitCode.CONNECTION),
    "event:error mid-stream": FaultCase(Fault.sse_error_after(2, "api_error", "boom"), ExitCode.SERVER),
    "hang": FaultCase(Fault.hang(3), ExitCode.CONNECTION, (("CLAUDECLI_TIMEOUT", "0.2"),)),
}


def jobs_file(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.jsonl"
    lines = [{"id": "a", "prompt": "[[words:5]]", "model": "claude-haiku-5-5"}, {"id": "b", "prompt": "hi"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


Runner = Callable[..., Result]


def ask(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("ask", "[[words:20]]", env=env)


def ask_json(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("ask", "--json", "[[words:20]]", env=env)


def cost_estimate(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("cost", "estimate", "-m", "haiku", "hello there", env=env)


def batch_submit(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("batch", "submit", str(jobs_file(tmp_path)), env=env)


def batch_run(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("batch", "run", str(jobs_file(tmp_path)), "--retries", "1", env=env)


def models_refresh(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("models", "--refresh", env=env)


def files_upload(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    return run_cli("files", "upload", str(path), env=env)


def files_list_json(run_cli: Runner, tmp_path: Path, env: dict[str, str]) -> Result:
    return run_cli("files", "list", "--json", env=env)


# command -> (how to run it, the path its API call goes to, whether stdout is one JSON document)
COMMANDS: dict[str, tuple[Callable[[Runner, Path, dict[str, str]], Result], str, bool]] = {
    "ask": (ask, MESSAGES, False),
    "ask --json": (ask_json, MESSAGES, True),
    "cost estimate": (cost_estimate, COUNT_TOKENS, False),
    "batch submit": (batch_submit, BATCHES, False),
    "batch run": (batch_run, MESSAGES, False),
    "models --refresh": (models_refresh, MODELS, False),
    "files upload": (files_upload, FILES, False),
    "files list --json": (files_list_json, FILES, True),
}


def expected_code(command: str, case: FaultCase) -> set[int]:
    """The documented code(s) of a cell (see the README's exit code tables)."""
    if command == "batch submit" and case.code in (ExitCode.SERVER, ExitCode.CONNECTION):
        # A create whose outcome is unknown (5xx, dropped, timed out) is a lost create: reconciled, never
        # re-sent blindly; submit exits 6/7/8 until a later run decides it.
        return {ExitCode.RATE_LIMITED, ExitCode.SERVER, ExitCode.CONNECTION}
    return {case.code}


@pytest.mark.parametrize("fault_name", list(FAULTS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_fault_matrix(cli_env, run_cli, fake_api, tmp_path, command, fault_name):
    case = FAULTS[fault_name]
    run, path, is_json = COMMANDS[command]
    for _ in range(COPIES):
        fake_api.enqueue(case.fault, path=path)
    result = run(run_cli, tmp_path, {**QUICK, **dict(case.env)})
    assert result.exit_code in expected_code(command, case), result
    assert_no_traceback(result.stderr)
    assert_secret_free(result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("claudecli: error:")]
    assert len(errors) == 1, result.stderr
    if is_json:
        document = json.loads(result.stdout)  # exactly one document: json.loads refuses trailing data
        assert document["status"] != "ok" and document["error"], document


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_fault_matrix_chat_turn(make_chat, fake_api, monkeypatch, fault_name):
    """The chat core without a pty: a failed turn is one error line, and the chat goes on to the next turn."""
    case = FAULTS[fault_name]
    for name, value in {**QUICK, **dict(case.env)}.items():
        monkeypatch.setenv(name, value)
    chat = make_chat()
    for _ in range(COPIES):
        fake_api.enqueue(case.fault, path=MESSAGES)
    reply = repl._evaluate(chat, "[[words:20]]")
    assert not reply.exit
    stderr = err(chat)
    assert_no_traceback(stderr)
    assert len([line for line in stderr.splitlines() if line.startswith("error:")]) == 1, stderr
    fake_api.reset()
    repl._evaluate(chat, "again [[words:2]]")
    assert "w1 w2" in chat.app_ctx.stdout.file.getvalue()  # type: ignore[attr-defined]
