"""`chat` outside a terminal: the refusal that points to `ask`, option checks, --list, and start-up cost."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import assert_no_traceback, subprocess_env


def _modules_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=subprocess_env(), check=False
    )
    return {name.split(".")[0] for name in done.stdout.split()}


def test_a_pipe_on_stdin_is_refused_with_a_pointer_to_ask(cli_env, run_cli, fake_api):
    result = run_cli("chat", input="hello\n")
    assert result.exit_code == 2
    assert "chat needs a terminal" in result.stderr and "claudecli ask" in result.stderr
    assert result.stdout == ""
    assert fake_api.requests == []
    assert_no_traceback(result.stderr)


def test_json_goes_only_with_list(cli_env, run_cli):
    result = run_cli("chat", "--json")
    assert result.exit_code == 2 and "--json goes with --list" in result.stderr


@pytest.mark.parametrize("chosen", [("--session", "x"), ("--continue",), ("-a", "notes.txt")])
def test_list_refuses_what_would_choose_a_session_instead_of_ignoring_it(cli_env, run_cli, chosen):
    result = run_cli("chat", "--list", "--json", *chosen)
    assert result.exit_code == 2 and "--list shows every session" in result.stderr
    assert json.loads(result.stdout)["status"] == "error"


def test_list_with_no_sessions(cli_env, run_cli, home):
    assert json.loads(run_cli("chat", "--list", "--json").stdout) == {"schema_version": 2, "items": []}
    result = run_cli("chat", "--list")
    assert result.exit_code == 0 and result.stdout == "" and "no chat sessions yet" in result.stderr
    assert not (home / "data" / "sessions.db").exists()  # listing creates nothing


def test_chat_help_and_list_do_not_import_the_sdk_or_prompt_toolkit(base_env):
    for args in (["chat", "--help"], ["chat", "--list"]):
        code = f"from claudecli.cli.app import app\ntry:\n    app({args!r}, prog_name='claudecli')\nexcept SystemExit:\n    pass"
        loaded = _modules_after(code)
        assert "claudecli" in loaded
        assert not loaded & {"anthropic", "httpx2", "prompt_toolkit"}, args
