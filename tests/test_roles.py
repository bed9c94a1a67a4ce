"""Roles: `[roles.NAME]` in config.toml, `-r/--role` in ask, chat, batch run and batch submit, `claudecli roles` (issue 14, part 3).

Against the fake API (real SDK, real HTTP): what a role sets reaches the request, and the command line still wins.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_no_traceback
from tests.test_chat_pty import Chat, chat_requests

MESSAGES = "/v1/messages"
ROLES = """
[roles.reviewer]
description = "Reviews diffs"
system = "@prompts/reviewer.md"
model = "opus"
max_tokens = 2000
thinking = 1024
effort = "high"

[roles.terse]
system = "Answer in one line."

[profiles.work.roles.terse]
system = "Answer in one word."
model = "haiku"
"""


@pytest.fixture
def roles_config(write_config):
    path = write_config(ROLES)
    (path.parent / "prompts").mkdir()
    (path.parent / "prompts" / "reviewer.md").write_text("You review code carefully.", encoding="utf-8")
    return path


def sent(fake_api) -> dict:
    return fake_api.requests_to(MESSAGES, method="POST")[-1].body


def test_a_role_sets_system_model_tokens_thinking_and_effort(cli_env, run_cli, fake_api, roles_config):
    result = run_cli("ask", "-r", "reviewer", "[[words:2]]")
    assert result.exit_code == 0, result
    body = sent(fake_api)
    assert body["system"] == "You review code carefully."  # @file, relative to the config file's directory
    assert body["model"] == "claude-opus-5-5" and body["max_tokens"] == 2000
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["output_config"] == {"effort": "high"}


def test_flags_win_over_the_role(cli_env, run_cli, fake_api, roles_config):
    result = run_cli(
        "ask", "-r", "reviewer", "-m", "sonnet", "-s", "Be brief.", "--max-tokens", "300",
        "--thinking", "off", "--effort", "low", "[[words:2]]",
    )  # fmt: skip
    assert result.exit_code == 0, result
    body = sent(fake_api)
    assert (body["model"], body["system"], body["max_tokens"]) == ("claude-sonnet-5-5", "Be brief.", 300)
    assert "thinking" not in body and body["output_config"] == {"effort": "low"}


def test_a_profile_role_replaces_the_top_level_one(cli_env, run_cli, fake_api, roles_config):
    assert run_cli("ask", "-r", "terse", "[[words:1]]").exit_code == 0
    assert sent(fake_api)["system"] == "Answer in one line."
    assert run_cli("--profile", "work", "ask", "-r", "terse", "[[words:1]]").exit_code == 0
    body = sent(fake_api)
    assert body["system"] == "Answer in one word." and body["model"] == "claude-haiku-5-5"


def test_an_unknown_role_names_the_known_ones_and_sends_nothing(cli_env, run_cli, fake_api, roles_config):
    result = run_cli("ask", "-r", "nosuch", "hi")
    assert result.exit_code == 4, result
    assert "no role named 'nosuch'" in result.stderr and "reviewer, terse" in result.stderr
    assert fake_api.requests_to(MESSAGES, method="POST") == []


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('[roles.x]\nsytem = "typo"\n', "unknown key 'sytem'"),
        ("[roles.x]\nmax_tokens = 0\n", "max_tokens must be a positive whole number"),
        ('[roles.x]\neffort = "huge"\n', "effort must be one of"),
        ('[roles.x]\ntools = "fs"\n', "tools must be a list"),
        ('roles = "x"\n', "roles must be a table"),
        ('[roles.x]\nthinking = "weird"\n', "[roles.x]: thinking must be adaptive, off or a budget"),
        ("[roles.x]\nthinking = 500\n", "[roles.x]: thinking must be adaptive, off or a budget"),
        ('[roles.x]\nmodel = ""\n', "[roles.x]: model must not be empty"),
    ],
)
def test_a_malformed_role_is_one_line_naming_it(cli_env, run_cli, write_config, table, words):
    write_config(table)
    result = run_cli("roles")
    assert result.exit_code == 2, result
    assert words in result.stderr
    assert_no_traceback(result.stderr)


def test_a_missing_system_file_is_a_usage_error(cli_env, run_cli, fake_api, write_config):
    write_config('[roles.x]\nsystem = "@nope.md"\n')
    result = run_cli("ask", "-r", "x", "hi")
    assert result.exit_code == 2 and "role x: system" in result.stderr and "file not found" in result.stderr


def test_roles_lists_each_with_where_it_is_defined(cli_env, run_cli, roles_config):
    result = run_cli("roles", "--json")
    assert result.exit_code == 0, result
    items = {item["name"]: item for item in json.loads(result.stdout)["items"]}
    assert set(items) == {"reviewer", "terse"}
    assert items["reviewer"]["source"] == f"{roles_config} [roles.reviewer]"
    assert (
        items["reviewer"]["system"] == "@prompts/reviewer.md" and items["terse"]["system"] == "19 characters"
    )
    table = run_cli("--profile", "work", "roles").stdout
    assert "reviewer" in table and "[profiles.work.roles.terse]" in table


def test_roles_with_none_defined_says_how_to_add_one(cli_env, run_cli):
    result = run_cli("roles")
    assert result.exit_code == 0 and result.stdout == ""
    assert "[roles.NAME]" in result.stderr


def test_batch_run_takes_a_role(cli_env, run_cli, fake_api, roles_config, tmp_path):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("[[words:2]]\n")
    result = run_cli("batch", "run", "--text", str(jobs), "-r", "reviewer", "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result
    body = sent(fake_api)
    assert body["model"] == "claude-opus-5-5" and body["system"] == "You review code carefully."
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_batch_submit_takes_a_role(cli_env, run_cli, fake_api, roles_config, tmp_path):
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("[[words:2]]\n")
    result = run_cli("batch", "submit", "--text", str(jobs), "-r", "reviewer", "--max-tokens", "3000")
    assert result.exit_code == 0, result
    (batch,) = fake_api.batches.values()
    params = batch.requests[0]["params"]
    assert params["model"] == "claude-opus-5-5" and params["system"] == "You review code carefully."
    assert params["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert params["max_tokens"] == 3000  # the flag wins over the role's 2000


def test_batch_submit_refuses_a_role_with_local_tools(cli_env, run_cli, fake_api, write_config, tmp_path):
    write_config('[roles.dev]\ntools = ["fs"]\n')
    jobs = tmp_path / "jobs.txt"
    jobs.write_text("hello\n")
    result = run_cli("batch", "submit", "--text", str(jobs), "-r", "dev", "--json")
    assert result.exit_code == 2 and not fake_api.batches
    document = json.loads(result.stdout)
    assert "role dev" in document["error"] and "fs" in document["error"]
    assert_no_traceback(result.stderr)


def test_chat_takes_a_role(cli_env, fake_api, roles_config):
    chat = Chat("-r", "terse")
    chat.turn("[[words:2]]")
    assert chat.leave() == 0
    assert chat_requests(fake_api)[-1]["system"] == "Answer in one line."


def test_a_role_whose_thinking_outgrows_its_max_tokens_is_told_without_naming_flags(
    cli_env, run_cli, fake_api, write_config, tmp_path
):
    write_config("[roles.deep]\nthinking = 2048\nmax_tokens = 1500\n")
    result = run_cli("ask", "-r", "deep", "--no-stdin", "hi")
    assert result.exit_code == 2, result
    assert "thinking: the budget (2048) must be below max_tokens (1500)" in result.stderr
    assert "--thinking:" not in result.stderr and not fake_api.requests_to(MESSAGES)


def test_the_roles_table_shows_control_characters_escaped(cli_env, run_cli, write_config):
    """A description's OSC sequence (a title, or one whose BEL is lost) must not reach the terminal raw: on a
    terminal an unterminated one swallowed the rest of the output."""
    write_config('[roles.odd]\ndescription = "set \\u001b]0;pwned\\u0007 title \\u202e"\n')
    result = run_cli("roles", env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b]0;pwned\\x07" in result.stdout


def test_a_role_naming_an_unknown_tool_names_the_role(cli_env, run_cli, fake_api, write_config):
    write_config('[roles.dev]\ntools = ["fs", "nosuch"]\n')
    result = run_cli("ask", "-r", "dev", "--json", "hi")
    assert result.exit_code == 2, result
    error = json.loads(result.stdout)["error"]
    assert error.startswith("role dev: tools nosuch: no such tool or toolset") and "--tools" not in error
    assert fake_api.requests_to(MESSAGES) == []
