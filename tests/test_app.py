"""Start-up cost, version, help, completions: the parts that must never pay for the SDK."""

from __future__ import annotations

import subprocess
import sys

from claudecli import __version__
from claudecli.cli.completions import SHELLS, script
from tests.conftest import PROJECT_ROOT, subprocess_env

SDK_AND_FRIENDS = ("anthropic", "httpx2", "genai_prices", "prompt_toolkit")
# Typer 0.29 coerces every option value through pydantic (0.15-0.25 s on a slow machine); pyproject keeps typer
# below 0.29, so neither --help nor a local command may load it.
HEAVY = (*SDK_AND_FRIENDS, "pydantic")


def _modules_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=subprocess_env(), check=False
    )
    return set(done.stdout.split())


def test_help_does_not_import_the_sdk(base_env):
    code = (
        "from claudecli.cli.app import app\n"
        "try:\n    app(['--help'], prog_name='claudecli')\nexcept SystemExit:\n    pass"
    )
    loaded = _modules_after(code)
    assert "claudecli.cli.app" in loaded
    assert not [name for name in loaded if name.split(".")[0] in HEAVY]


def test_subcommand_help_does_not_import_the_sdk(base_env):
    for command in ("ask", "config", "files"):
        code = (
            "from claudecli.cli.app import app\n"
            f"try:\n    app(['{command}', '--help'], prog_name='claudecli')\nexcept SystemExit:\n    pass"
        )
        loaded = _modules_after(code)
        assert not [name for name in loaded if name.split(".")[0] in SDK_AND_FRIENDS], command


def test_a_local_command_does_not_import_the_sdk_or_pydantic(base_env):
    """Parsing a subcommand's options (here the root's --profile and config path's) stays cheap."""
    code = (
        "from claudecli.cli.app import app\n"
        "try:\n    app(['--profile', 'default', 'config', 'path'], prog_name='claudecli')\n"
        "except SystemExit:\n    pass"
    )
    loaded = _modules_after(code)
    assert "claudecli.cli.app" in loaded
    assert not [name for name in loaded if name.split(".")[0] in HEAVY]


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"claudecli {__version__}\n"


def test_no_arguments_shows_help(run_cli):
    result = run_cli()
    assert "Usage" in result.stdout + result.stderr


def test_usage_errors_are_one_line(run_cli):
    for args in (("ask", "--no-such-flag"), ("ask", "--max-tokens", "lots", "x"), ("no-such-command",)):
        result = run_cli(*args)
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("claudecli: error: "), result.stderr


def test_committed_completions_match_the_app():
    for shell in SHELLS:
        committed = (PROJECT_ROOT / "completions" / f"claudecli.{shell}").read_text(encoding="utf-8")
        assert committed == script(shell), (
            f"completions/claudecli.{shell} is stale: run python -m claudecli.cli.completions"
        )


def test_completion_callback_completes_commands(base_env):
    env = subprocess_env(
        {"_CLAUDECLI_COMPLETE": "complete_bash", "COMP_WORDS": "claudecli as", "COMP_CWORD": "1"}
    )
    done = subprocess.run(
        [sys.executable, "-m", "claudecli"], capture_output=True, text=True, env=env, check=False
    )
    assert "ask" in done.stdout.split()


def test_completion_install_is_offered_by_the_root_only(run_cli):
    """`ask --help` listed --install-completion (a Typer default on single-command apps)."""
    assert "--install-completion" in run_cli("--help").stdout
    for args in (("ask",), ("chat",), ("batch",), ("batch", "submit"), ("cost", "report"), ("models",)):
        result = run_cli(*args, "--help")
        assert result.exit_code == 0, (args, result)
        assert "--install-completion" not in result.stdout and "--show-completion" not in result.stdout, args


def test_a_global_option_after_the_command_says_where_it_goes(run_cli):
    cases = {
        ("ask", "--profile", "work", "hi"): "--profile is a global option: put it before the command, "
        "as in 'claudecli --profile PROFILE ask …'",
        ("ask", "-P", "work", "hi"): "'claudecli -P PROFILE ask …'",
        ("batch", "list", "--debug"): "'claudecli --debug batch list …'",
        ("cost", "report", "-q"): "'claudecli -q cost report …'",
    }
    for args, expected in cases.items():
        result = run_cli(*args)
        assert result.exit_code == 2 and result.stdout == "", (args, result)
        assert result.stderr.count("\n") == 1 and expected in result.stderr, (args, result)
    unknown = run_cli("ask", "--no-such-flag")  # a real typo keeps click's message
    assert "No such option: --no-such-flag" in unknown.stderr
