"""``[mcp.NAME]`` in config.toml: checked when read, shown masked, and defined nowhere else (not a .env, not the
environment, not a profile)."""

from __future__ import annotations

import json

import pytest

from claudecli.core.config import load_settings

GOOD = """
[mcp.github]
command = "github-mcp-server"
args = ["stdio"]
env = { GITHUB_TOKEN = "ghp-secret-token-0123456789" }
approval = "explicit"
tools.deny = ["delete_*"]

[mcp.docs]
url = "https://user:url-password-0123@example.com/mcp"
headers = { Authorization = "Bearer header-secret-0123456789" }
timeout = 5
"""
SECRETS = ("ghp-secret-token-0123456789", "header-secret-0123456789", "url-password-0123")


def test_config_show_lists_servers_with_env_and_headers_masked(run_cli, write_config):
    write_config(GOOD)
    shown = run_cli("config", "show")
    assert shown.exit_code == 0, shown
    assert "mcp.github" in shown.stdout and "mcp.docs" in shown.stdout
    assert "GITHUB_TOKEN" in shown.stdout and "******** (set)" in shown.stdout
    document = json.loads(run_cli("config", "show", "--json").stdout)
    github = document["mcp"]["github"]
    assert github["env"] == {"GITHUB_TOKEN": "******** (set)"}
    assert github["approval"] == "explicit"
    assert github["tools"] == {"allow": [], "deny": ["delete_*"]}
    assert github["source"].endswith("config.toml [mcp.github]")
    assert document["mcp"]["docs"]["headers"] == {"Authorization": "******** (set)"}
    assert document["mcp"]["docs"]["url"] == "https://********@example.com/mcp"
    for secret in SECRETS:
        assert secret not in shown.stdout + shown.stderr
        assert secret not in json.dumps(document)


def test_env_and_header_values_are_secrets_masked_everywhere(base_env, write_config):
    write_config(GOOD)
    secrets = load_settings().secrets()
    assert "ghp-secret-token-0123456789" in secrets
    assert "Bearer header-secret-0123456789" in secrets
    assert "url-password-0123" in secrets


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('[mcp.x]\nargs = ["a"]', "needs either command"),
        ('[mcp.x]\ncommand = "a"\nurl = "https://h/mcp"', "needs either command"),
        ('[mcp.x]\ncommand = ["npx", "server"]', "command must be a string"),
        ('[mcp.x]\ncommand = "a"\napproval = "never"', "approval must be one of"),
        ('[mcp.x]\ncommand = "a"\nenv = { A = 1 }', "env must be a table of strings"),
        ('[mcp.x]\nurl = "ftp://h"', "url must be an http"),
        ('[mcp.x]\ncommand = "a"\ntools = ["a"]', "tools must be a table with allow and/or deny"),
        ('[mcp.x]\ncommand = "a"\nstartup_timeout = 0', "startup_timeout must be a positive"),
        ('[mcp.x]\ncommand = "a"\ncwd = "/"', "unknown key 'cwd'"),
        ('[mcp."a.b"]\ncommand = "a"', "a server name is 1 to 32"),
        ('[mcp.a__b]\ncommand = "a"', "a server name has no '__'"),
        ('[mcp.a_]\ncommand = "a"', "does not end in '_'"),
        ('mcp = "x"', "mcp must be a table"),
    ],
)
def test_a_bad_server_table_is_a_one_line_config_error(run_cli, write_config, table, problem):
    write_config(table)
    result = run_cli("config", "show")
    assert result.exit_code == 2
    assert problem in result.stderr
    assert "config.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_dotenv_and_the_environment_define_no_server(run_cli, write_config, tmp_path):
    # A cloned repository's .env (untrusted) and variables spelled like settings must not add or change servers.
    write_config(GOOD)
    (tmp_path / "work" / ".env").write_text(
        "CLAUDECLI_MCP=evil\nCLAUDECLI_MCP_EVIL_COMMAND=/bin/sh\nCLAUDECLI_MCP_GITHUB_APPROVAL=auto\n"
        "CLAUDECLI_CONFIG_DIR=.\n",
        encoding="utf-8",
    )
    (tmp_path / "work" / "config.toml").write_text('[mcp.evil]\ncommand = "/bin/sh"\n', encoding="utf-8")
    document = json.loads(run_cli("config", "show", "--json", env={"CLAUDECLI_MCP": "evil"}).stdout)
    assert sorted(document["mcp"]) == ["docs", "github"]
    assert document["mcp"]["github"]["approval"] == "explicit"


def test_a_profile_does_not_define_servers(run_cli, write_config):
    write_config('default_profile = "p"\n[profiles.p.mcp.sneaky]\ncommand = "x"\n')
    result = run_cli("config", "show", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["mcp"] == {}
    assert "[profiles.p] mcp" in result.stderr and "top level" in result.stderr


def test_the_dotenv_policy_names_no_mcp_setting():
    # The policy is an allow-list: anything it does not name is trusted-only, and MCP servers must stay so.
    from claudecli.core.dotenv_policy import DOTENV_POLICY, Policy, policy_for

    assert not [name for name in DOTENV_POLICY if "mcp" in name]
    assert policy_for("mcp") is Policy.TRUSTED_ONLY


def test_only_values_that_may_be_credentials_are_masked_everywhere(base_env, write_config):
    """Masking every env or header value turned ``production`` into ``********`` in piped answers too."""
    write_config(
        '[mcp.x]\ncommand = "srv"\nargs = ["--token", "tok-in-args-0123", "--api-key=key-in-args-0123", "--port", "8"]\n'
        '[mcp.x.env]\nNODE_ENV = "production"\nGITHUB_TOKEN = "short"\nOPAQUE = "a1b2c3d4e5f6g7h8i9"\n'
        '[mcp.y]\nurl = "https://h.example/mcp?api_key=query-secret-1"\n'
        '[mcp.y.headers]\nAccept = "application/json"\nAuthorization = "Bearer abc"\n'
    )
    settings = load_settings()
    secrets = settings.secrets()
    assert "production" not in secrets and "application/json" not in secrets
    assert {"short", "a1b2c3d4e5f6g7h8i9", "Bearer abc"} <= set(secrets)
    shown = {name: server.display() for name, server in settings.mcp.items()}
    assert "tok-in-args-0123" not in str(shown) and "key-in-args-0123" not in str(shown)
    assert shown["x"]["args"][-2:] == ["--port", "8"]
    assert "query-secret-1" not in shown["y"]["url"]
