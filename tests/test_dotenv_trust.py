"""A `.env` is untrusted input: what it may set, where credentials may go, and `config trust-env`.

The attacker in these tests owns the current directory's `.env` and a server of their own (a second fake API);
the victim's key is in the environment. Every test drives the real CLI in a subprocess.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from claudecli.core.config import SCALARS
from claudecli.core.dotenv_policy import DOTENV_POLICY, Policy, policy_for
from tests.conftest import TEST_KEY, assert_no_traceback, assert_secret_free
from tests.fakeapi.server import FakeAnthropic

PROMPT = "[[words:1]]"
DOTENV_KEY = "sk-ant-dotenv-own-key-000"
ADMIN_KEY = "sk-ant-admin-test-ADMINSECRET-42"
NO_BASE_URL: dict[str, str | None] = {"ANTHROPIC_BASE_URL": None}


@pytest.fixture
def attacker() -> Iterator[FakeAnthropic]:
    """A second server: the one a hostile `.env` points at."""
    with FakeAnthropic() as fake:
        yield fake


def write_dotenv(text: str) -> Path:
    path = Path.cwd() / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def show(run_cli, env=None) -> tuple[dict, str]:
    result = run_cli("config", "show", "--json", env=env)
    assert result.exit_code == 0, result
    return json.loads(result.stdout)["settings"], result.stderr


def assert_refused(result, dotenv: Path, line: int) -> None:
    assert result.exit_code == 2, result
    assert f"{dotenv}:{line}" in result.stderr
    assert f"claudecli config trust-env {dotenv}" in result.stderr
    assert result.stdout == ""
    assert_no_traceback(result.stderr)
    assert_secret_free(result.stdout, result.stderr)


def assert_never_saw(server: FakeAnthropic, secret: str) -> None:
    for request in server.requests:
        assert secret not in json.dumps([request.path, request.headers, request.body])


# -- the reproduction: the environment's key must never reach a server the .env chose --------------------


@pytest.mark.parametrize(
    "dotenv_credential", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDECLI_API_KEY"]
)
def test_environment_key_never_goes_to_a_dotenv_server(
    cli_env, run_cli, fake_api, attacker, dotenv_credential
):
    dotenv = write_dotenv(
        f"# project settings\n{dotenv_credential}=sk-ant-junk\nANTHROPIC_BASE_URL={attacker.base_url}\n"
    )
    for args in (("ask", PROMPT), ("models", "--refresh")):
        result = run_cli(*args, env=NO_BASE_URL)
        assert_refused(result, dotenv, 3)
        assert "refusing to send your api_key (from env ANTHROPIC_API_KEY)" in result.stderr
    assert attacker.requests == []
    assert fake_api.requests == []


def test_dotenv_cannot_smuggle_environment_secrets_out_by_expansion(cli_env, run_cli, attacker):
    # python-dotenv expands ${VAR} from the environment by default. A .env with "its own" key and server could
    # then send your token as that key, or any secret of your environment inside the system prompt.
    write_dotenv(
        "ANTHROPIC_API_KEY=${ANTHROPIC_AUTH_TOKEN}\n"
        f"ANTHROPIC_BASE_URL={attacker.base_url}\n"
        "CLAUDECLI_SYSTEM=${CLOUD_SECRET} ${ANTHROPIC_AUTH_TOKEN:-x}\n"
    )
    env = {
        **NO_BASE_URL,
        "ANTHROPIC_API_KEY": None,
        "ANTHROPIC_AUTH_TOKEN": TEST_KEY,
        "CLOUD_SECRET": "cloud-42",
    }
    result = run_cli("ask", PROMPT, env=env)
    assert result.exit_code == 0, result  # the .env's own (literal) key went to its own server
    request = attacker.last_request("/v1/messages")
    assert request.headers["authorization"] == "Bearer ${ANTHROPIC_AUTH_TOKEN}"
    assert_never_saw(attacker, TEST_KEY)
    assert_never_saw(attacker, "cloud-42")


def test_a_dotenv_base_url_with_no_key_of_its_own_is_refused(
    cli_env, run_cli, fake_api, write_config, attacker
):
    # Even when config.toml names a server: the .env outranks it, so the env key would go to the .env's.
    write_config(f'base_url = "{fake_api.base_url}"\n')
    dotenv = write_dotenv(f"CLAUDECLI_BASE_URL={attacker.base_url}\n")
    assert_refused(run_cli("ask", PROMPT, env=NO_BASE_URL), dotenv, 1)
    assert attacker.requests == [] and fake_api.requests == []


def test_key_command_is_not_run_for_a_dotenv_server(cli_env, run_cli, write_config, attacker, tmp_path):
    marker = tmp_path / "ran"
    write_config(f'api_key_command = ["touch", "{marker}"]\n')
    dotenv = write_dotenv(f"ANTHROPIC_BASE_URL={attacker.base_url}\n")
    result = run_cli("ask", PROMPT, env={**NO_BASE_URL, "ANTHROPIC_API_KEY": None})
    assert_refused(result, dotenv, 1)
    assert not marker.exists()
    assert attacker.requests == []


def test_admin_key_never_goes_to_a_dotenv_server(cli_env, run_cli, attacker):
    dotenv = write_dotenv(f"ANTHROPIC_API_KEY={DOTENV_KEY}\nANTHROPIC_BASE_URL={attacker.base_url}\n")
    result = run_cli(
        "cost", "report", "--org", "--since", "2026-11-01", "--until", "2026-11-30",
        env={**NO_BASE_URL, "ANTHROPIC_ADMIN_KEY": ADMIN_KEY},
    )  # fmt: skip
    assert_refused(result, dotenv, 2)
    assert "admin_key" in result.stderr and ADMIN_KEY not in result.stderr
    assert attacker.requests == []


def test_environment_custom_headers_never_go_to_a_dotenv_server(cli_env, run_cli, attacker):
    dotenv = write_dotenv(f"ANTHROPIC_API_KEY={DOTENV_KEY}\nANTHROPIC_BASE_URL={attacker.base_url}\n")
    env = {**NO_BASE_URL, "ANTHROPIC_API_KEY": None, "ANTHROPIC_CUSTOM_HEADERS": "X-Gateway-Auth: hunter2"}
    result = run_cli("ask", PROMPT, env=env)
    assert_refused(result, dotenv, 2)
    assert "ANTHROPIC_CUSTOM_HEADERS" in result.stderr
    assert attacker.requests == []


def test_proxy_variables_in_a_dotenv_have_no_effect(cli_env, run_cli, fake_api, attacker):
    write_dotenv(
        "".join(f"{name}={attacker.base_url}\n" for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"))
    )
    result = run_cli("ask", PROMPT)
    assert result.exit_code == 0, result
    assert attacker.requests == []
    assert len(fake_api.requests_to("/v1/messages")) == 1


# -- a .env with a key of its own may point that key where it likes ------------------------------------------


def test_dotenv_may_send_its_own_key_to_its_own_server(cli_env, run_cli, attacker):
    dotenv = write_dotenv(f"ANTHROPIC_BASE_URL={attacker.base_url}\nANTHROPIC_API_KEY={DOTENV_KEY}\n")
    result = run_cli("ask", PROMPT, env={**NO_BASE_URL, "ANTHROPIC_API_KEY": None})
    assert result.exit_code == 0, result
    assert attacker.last_request("/v1/messages").headers["authorization"] == f"Bearer {DOTENV_KEY}"
    # ... but says so, since your prompts go there.
    assert f"set by {dotenv}:1 ANTHROPIC_BASE_URL with the .env's own api_key" in result.stderr


def test_environment_base_url_outranks_the_dotenv_one(cli_env, run_cli, fake_api, attacker):
    write_dotenv(f"ANTHROPIC_BASE_URL={attacker.base_url}\n")
    result = run_cli("ask", PROMPT)  # the environment names the (real) server
    assert result.exit_code == 0, result
    assert attacker.requests == []
    assert fake_api.last_request("/v1/messages").headers["authorization"] == f"Bearer {TEST_KEY}"


# -- trust-env ------------------------------------------------------------------------------------------------


def trust_record(home: Path) -> dict:
    return json.loads((home / "config" / "trusted-env.json").read_text())["trusted"]


def test_trust_env_lets_a_project_dotenv_point_at_a_team_gateway(cli_env, run_cli, home, attacker):
    gateway = attacker  # the same kind of server; here it is wanted
    dotenv = write_dotenv(f"ANTHROPIC_BASE_URL={gateway.base_url}\n")
    assert run_cli("ask", PROMPT, env=NO_BASE_URL).exit_code == 2

    trusted = run_cli("config", "trust-env")
    assert trusted.exit_code == 0, trusted
    assert trusted.stdout == ""
    assert f"trusted {dotenv.resolve()}" in trusted.stderr
    record = home / "config" / "trusted-env.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert trust_record(home) == {str(dotenv.resolve()): hashlib.sha256(dotenv.read_bytes()).hexdigest()}

    result = run_cli("ask", PROMPT, env=NO_BASE_URL)
    assert result.exit_code == 0, result
    assert gateway.last_request("/v1/messages").headers["authorization"] == f"Bearer {TEST_KEY}"
    settings, _ = show(run_cli, env=NO_BASE_URL)
    assert settings["base_url"]["source"] == "trusted .env ANTHROPIC_BASE_URL"

    # One changed byte and it is a stranger's file again, until trusted anew.
    dotenv.write_text(dotenv.read_text() + "CLAUDECLI_MODEL=opus\n")
    changed = run_cli("ask", PROMPT, env=NO_BASE_URL)
    assert_refused(changed, dotenv, 1)
    assert f"{dotenv} changed since you trusted it" in changed.stderr
    sent = len(gateway.requests)
    assert run_cli("config", "trust-env", str(dotenv)).exit_code == 0
    assert run_cli("ask", PROMPT, env=NO_BASE_URL).exit_code == 0
    assert len(gateway.requests) == sent + 1

    untrusted = run_cli("config", "untrust-env")
    assert untrusted.exit_code == 0 and "no longer trusted" in untrusted.stderr
    assert trust_record(home) == {}
    assert_refused(run_cli("ask", PROMPT, env=NO_BASE_URL), dotenv, 1)


def test_a_trusted_dotenv_may_set_anything_config_toml_may(cli_env, run_cli, fake_api, write_config):
    write_config("daily_budget = 1\nlog_bodies = false\n")
    write_dotenv(
        "CLAUDECLI_API_KEY_COMMAND=echo sk-ant-from-command\nCLAUDECLI_DAILY_BUDGET=50\n"
        "CLAUDECLI_LOG_BODIES=true\nCLAUDECLI_BASE_URL=${GATEWAY}\n"
    )
    assert run_cli("config", "trust-env").exit_code == 0
    env = {**NO_BASE_URL, "ANTHROPIC_API_KEY": None, "GATEWAY": fake_api.base_url}
    result = run_cli("ask", PROMPT, env=env)
    assert result.exit_code == 0, result
    assert "warning" not in result.stderr
    assert fake_api.last_request("/v1/messages").headers["authorization"] == "Bearer sk-ant-from-command"
    settings, _ = show(run_cli, env=env)
    assert settings["daily_budget"] == {"value": 50.0, "source": "trusted .env CLAUDECLI_DAILY_BUDGET"}
    assert settings["log_bodies"]["value"] is True


def test_trust_env_names_a_missing_file(run_cli):
    result = run_cli("config", "trust-env", "nowhere/.env")
    assert result.exit_code == 4, result
    assert "nowhere/.env: no such file" in result.stderr


def test_a_trust_record_others_can_write_trusts_nothing(cli_env, run_cli, home, attacker):
    dotenv = write_dotenv(f"ANTHROPIC_BASE_URL={attacker.base_url}\n")
    assert run_cli("config", "trust-env").exit_code == 0
    (home / "config" / "trusted-env.json").chmod(0o666)
    result = run_cli("ask", PROMPT, env=NO_BASE_URL)
    assert_refused(result, dotenv, 1)
    assert "others may write to it" in result.stderr
    assert attacker.requests == []


# -- the allow-list: what an untrusted .env may set -----------------------------------------------------------


def test_untrusted_dotenv_sets_request_and_output_settings(run_cli):
    write_dotenv(
        "CLAUDECLI_MODEL=haiku\nCLAUDECLI_MAX_TOKENS=300\nCLAUDECLI_SYSTEM=Be brief.\nCLAUDECLI_CACHE=false\n"
        "CLAUDECLI_CACHE_TTL=1h\nCLAUDECLI_VI_MODE=true\nDATABASE_URL=postgres://elsewhere\n"
    )
    settings, stderr = show(run_cli)
    for name, value in {
        "model": "haiku", "max_tokens": 300, "system": "Be brief.", "cache": False, "cache_ttl": "1h",
        "vi_mode": True,
    }.items():  # fmt: skip
        assert settings[name] == {"value": value, "source": f".env CLAUDECLI_{name.upper()}"}
    assert stderr == ""  # variables for other programs are none of claudecli's business


def test_untrusted_dotenv_may_not_set_a_key_command(cli_env, run_cli, tmp_path):
    marker = tmp_path / "ran"
    dotenv = write_dotenv(f"CLAUDECLI_MODEL=haiku\nCLAUDECLI_API_KEY_COMMAND=touch {marker}\n")
    result = run_cli("ask", PROMPT, env={"ANTHROPIC_API_KEY": None})
    assert result.exit_code == 3  # no key: the .env's command was not run
    assert not marker.exists()
    assert (
        f"ignoring CLAUDECLI_API_KEY_COMMAND from {dotenv}:2: an untrusted .env may not set" in result.stderr
    )
    assert f"claudecli config trust-env {dotenv}" in result.stderr


def test_untrusted_dotenv_may_only_tighten_limits(cli_env, run_cli, fake_api, write_config):
    config = write_config("daily_budget = 5\nmax_cost_per_call = 1\nlog_bodies = true\nmax_retries = 2\n")
    dotenv = write_dotenv(
        "CLAUDECLI_DAILY_BUDGET=10\nCLAUDECLI_MAX_COST_PER_CALL=0.5\nCLAUDECLI_MONTHLY_BUDGET=20\n"
        "CLAUDECLI_LOG_BODIES=false\nCLAUDECLI_MAX_RETRIES=50\n"
    )
    settings, stderr = show(run_cli)
    assert settings["daily_budget"] == {"value": 5.0, "source": str(config)}
    assert f"ignoring CLAUDECLI_DAILY_BUDGET from {dotenv}:1: an untrusted .env may only lower it" in stderr
    assert settings["max_cost_per_call"] == {"value": 0.5, "source": ".env CLAUDECLI_MAX_COST_PER_CALL"}
    assert settings["monthly_budget"] == {"value": 20.0, "source": ".env CLAUDECLI_MONTHLY_BUDGET"}
    assert settings["log_bodies"] == {"value": False, "source": ".env CLAUDECLI_LOG_BODIES"}
    assert settings["max_retries"]["value"] == 2
    assert f"ignoring CLAUDECLI_MAX_RETRIES from {dotenv}:5" in stderr

    # Turning log_bodies on would store your prompts: only a switch-off is taken.
    write_config("log_bodies = false\n")
    dotenv = write_dotenv("CLAUDECLI_LOG_BODIES=true\n")
    settings, stderr = show(run_cli)
    assert settings["log_bodies"]["value"] is False
    assert f"ignoring CLAUDECLI_LOG_BODIES from {dotenv}:1: an untrusted .env may only turn it off" in stderr

    # A tightened budget does refuse.
    write_dotenv("CLAUDECLI_MAX_COST_PER_CALL=0.0000001\n")
    result = run_cli("ask", PROMPT)
    assert result.exit_code == 9, result
    assert fake_api.requests_to("/v1/messages") == []


def test_a_broken_dotenv_is_skipped_with_a_warning_naming_the_line(run_cli):
    dotenv = write_dotenv("CLAUDECLI_MODEL=haiku\nthis is not an assignment\n")
    settings, stderr = show(run_cli)
    assert settings["model"]["value"] == "haiku"
    assert f"{dotenv}:2: cannot parse this line; ignored" in stderr
    dotenv.write_bytes(b"CLAUDECLI_MODEL=\xff\xfe\n")
    settings, stderr = show(run_cli)
    assert settings["model"]["source"] == "default"
    assert f"ignoring {dotenv}: cannot read it (not UTF-8 text)" in stderr


def test_every_setting_has_a_dotenv_policy_and_new_ones_default_to_trusted_only():
    # Adding a setting means deciding what a stranger's .env may do with it; forgetting means "nothing".
    assert set(DOTENV_POLICY) == set(SCALARS)
    assert policy_for("fallback_model") is Policy.TRUSTED_ONLY
    for future in ("tools", "mcp_servers", "roles", "approvals", "betas"):
        assert policy_for(future) is Policy.TRUSTED_ONLY
    assert policy_for("api_key_command") is Policy.TRUSTED_ONLY


# -- plain http ------------------------------------------------------------------------------------------------


def test_plain_http_to_another_machine_warns(run_cli, write_config, cli_env):
    write_config('base_url = "http://user:pw-secret@gateway.example.com/anthropic"\n')
    _, stderr = show(run_cli, env=NO_BASE_URL)
    assert "plain http to another machine: your key and prompts travel unencrypted" in stderr
    assert "pw-secret" not in stderr and "********@gateway.example.com" in stderr
    for quiet in (
        "https://gateway.example.com",
        "http://localhost:8080",
        "http://127.0.0.2:1",
        "http://[::1]:1",
    ):
        write_config(f'base_url = "{quiet}"\n')
        assert "unencrypted" not in show(run_cli, env=NO_BASE_URL)[1]
    _, stderr = show(run_cli, env={"ANTHROPIC_BASE_URL": "http://10.0.0.7:8080"})
    assert "env ANTHROPIC_BASE_URL" in stderr and "unencrypted" in stderr


def test_an_untrusted_dotenv_cannot_choose_a_fallback_model(run_cli):
    dotenv = write_dotenv("CLAUDECLI_FALLBACK_MODEL=haiku\n")
    settings, stderr = show(run_cli)
    assert settings["fallback_model"]["value"] is None
    assert str(dotenv) in stderr and "CLAUDECLI_FALLBACK_MODEL" in stderr


# -- CLAUDECLI_PROFILE -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nope", "../../x"])
def test_an_untrusted_dotenv_naming_no_profile_of_yours_is_ignored_with_a_warning(
    name, cli_env, run_cli, fake_api, write_config
):
    config = write_config('default_profile = "home"\n[profiles.home]\nmodel = "haiku"\n')
    dotenv = write_dotenv(f"CLAUDECLI_MODEL=opus\nCLAUDECLI_PROFILE={name}\n")
    result = run_cli("ask", PROMPT)
    assert result.exit_code == 0, result
    assert f"ignoring CLAUDECLI_PROFILE from {dotenv}:2: profile {name!r}" in result.stderr
    assert (
        f"is not defined in {config}" if name == "nope" else "cannot be used as a file name"
    ) in result.stderr
    assert_no_traceback(result.stderr)
    document = json.loads(run_cli("config", "show", "--json").stdout)
    assert document["profile"] == "home"  # your default profile, as if the line were not there
    assert document["settings"]["model"]["value"] == "opus"  # the rest of the file still applies


def test_an_untrusted_dotenv_may_still_choose_one_of_your_profiles(cli_env, run_cli, write_config):
    write_config('[profiles.work]\nmodel = "haiku"\n')
    write_dotenv("CLAUDECLI_PROFILE=work\n")
    settings, stderr = show(run_cli)
    assert settings["model"]["value"] == "haiku"
    assert "ignoring" not in stderr
    # said, since a profile may turn on what the .env could not set itself (fast mode, betas, ...)
    assert "using profile 'work' as" in stderr and ".env:1" in stderr and "untrusted" in stderr
    assert run_cli("config", "trust-env").exit_code == 0
    assert "using profile" not in show(run_cli)[1]


def test_a_profile_you_name_yourself_that_is_not_defined_is_still_refused(cli_env, run_cli, write_config):
    config = write_config("[profiles.work]\n")
    for how in (
        {"env": {"CLAUDECLI_PROFILE": "nope"}, "args": ()},
        {"env": None, "args": ("--profile", "nope")},
    ):
        result = run_cli(*how["args"], "ask", PROMPT, env=how["env"])
        assert result.exit_code == 2, result
        assert f"profile 'nope' is not defined in {config}" in result.stderr
    write_dotenv("CLAUDECLI_PROFILE=nope\n")
    assert run_cli("config", "trust-env").exit_code == 0  # a trusted .env is your own file: fix it
    result = run_cli("ask", PROMPT)
    assert result.exit_code == 2, result
    assert f"profile 'nope' is not defined in {config}" in result.stderr
