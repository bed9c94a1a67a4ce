"""A role's MCP servers (`mcp = ["toy"]` in [roles.NAME]) through the real CLI: real toy MCP servers
(tests/mcp_servers/toy.py) as subprocesses, the real SDK over real HTTP against the fake API."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import assert_no_traceback
from tests.mcp_servers import toy_args

MESSAGES = "/v1/messages"


def _config(write_config, roles: str, servers: tuple[str, ...] = ("toy", "other")) -> Path:
    """Toy servers (each's TOY_NAME is its name), then the roles' TOML."""
    text = ""
    for name in servers:
        text += (
            f"[mcp.{name}]\ncommand = {sys.executable!r}\nargs = {json.dumps(toy_args())}\n"
            f"approval = 'auto'\nenv = {{ TOY_NAME = {name!r} }}\nstartup_timeout = 20\n\n"
        )
    path: Path = write_config(text + roles)
    return path


def _tool_names(fake_api) -> list[str]:
    first = fake_api.requests_to(MESSAGES, method="POST")[0].body
    return [tool["name"] for tool in first["tools"]]


def test_a_role_s_mcp_server_gives_ask_its_tools(cli_env, run_cli, fake_api, write_config):
    _config(write_config, '[roles.dev]\nmcp = ["toy"]\n')
    result = run_cli("ask", "-r", "dev", '[[call:toy__echo {"text": "via the role"}]]')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Tool results: echo: via the role\n"
    names = _tool_names(fake_api)
    assert "toy__echo" in names and not any(name.startswith("other__") for name in names)


def test_mcp_flags_add_to_the_role_s_servers_role_first_without_repeats(
    cli_env, run_cli, fake_api, write_config
):
    _config(write_config, '[roles.dev]\nmcp = ["other"]\n')
    result = run_cli(
        "ask", "-r", "dev", "--mcp", "toy", "--mcp", "other",
        '[[call:other__echo {"text": "1"}]] [[call:toy__echo {"text": "2"}]]',
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Tool results: echo: 1 | echo: 2\n"
    names = _tool_names(fake_api)
    servers = list(dict.fromkeys(name.split("__")[0] for name in names if "__" in name))
    assert servers == ["other", "toy"]  # the role's server, then the flag's; "other" started once
    assert len(names) == len(set(names)) and names.count("other__echo") == 1


def test_batch_run_takes_a_role_s_mcp_server(cli_env, run_cli, fake_api, write_config, tmp_path):
    _config(write_config, '[roles.dev]\nmcp = ["toy"]\n')
    jobs = tmp_path / "jobs.txt"
    jobs.write_text('[[call:toy__add {"a": 1, "b": 2}]]\n')
    result = run_cli("batch", "run", "-r", "dev", "--text", str(jobs))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["text"] == 'Tool results: {\n  "sum": 3\n}'


def test_an_unknown_server_in_a_role_is_one_line_naming_the_role(cli_env, run_cli, fake_api, write_config):
    _config(write_config, '[roles.dev]\nmcp = ["toy", "nope"]\n', servers=("toy",))
    result = run_cli("ask", "-r", "dev", "hi")
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert_no_traceback(result.stderr)
    (line,) = [line for line in result.stderr.splitlines() if "no such MCP server" in line]
    assert "role dev: mcp nope: no such MCP server (known: toy)" in line
    assert fake_api.requests_to(MESSAGES, method="POST") == []  # nothing sent, nothing spent


def test_an_unknown_server_in_a_role_with_none_configured(cli_env, run_cli, fake_api, write_config):
    write_config('[roles.dev]\nmcp = ["nope"]\n')
    result = run_cli("ask", "-r", "dev", "hi")
    assert result.exit_code == 2, result
    assert "role dev: mcp nope: no such MCP server (none is configured)" in result.stderr


@pytest.mark.parametrize("value", ['"toy"', "[1]", '["toy", true]', "{ toy = 1 }"])
def test_a_role_s_mcp_that_is_not_a_list_of_names_is_a_config_error(cli_env, run_cli, write_config, value):
    _config(write_config, f"[roles.dev]\nmcp = {value}\n")
    result = run_cli("ask", "-r", "dev", "hi")
    assert result.exit_code == 2, result
    assert "[roles.dev]: mcp must be a list of MCP server names" in result.stderr
    assert_no_traceback(result.stderr)


def test_roles_shows_a_role_s_mcp_servers(cli_env, run_cli, write_config):
    _config(write_config, '[roles.dev]\nmcp = ["toy", "other"]\ntools = ["fs"]\n\n[roles.plain]\n')
    items = {item["name"]: item for item in json.loads(run_cli("roles", "--json").stdout)["items"]}
    assert items["dev"]["mcp"] == ["toy", "other"] and items["plain"]["mcp"] == []
    table = run_cli("roles", "--plain")
    assert table.exit_code == 0, table
    assert "toy,other" in table.stdout


def test_chat_takes_a_role_s_mcp_servers_and_tools(cli_env, fake_api, write_config):
    from tests.test_chat_pty import Chat, chat_requests

    _config(write_config, '[roles.dev]\nmcp = ["toy"]\ntools = ["fs"]\n', servers=("toy",))
    chat = Chat("-r", "dev")
    chat.turn('[[call:toy__echo {"text": "in chat"}]]')
    assert chat.leave() == 0
    names = [tool["name"] for tool in chat_requests(fake_api)[0]["tools"]]
    assert "toy__echo" in names
    assert "read_file" in names  # the role's tools too, as in ask and batch run
