"""The start-up garbage-collector pause: on while claudecli and the SDK load, off once a command works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import subprocess_env


def _gc_state_seen_by(code: str, *args: str) -> str:
    """Run the real entry point with ``args`` after ``code`` (which sets up what to report)."""
    probe = (
        "import gc, sys\n"
        f"{code}\n"
        f"sys.argv = ['claudecli', *{list(args)!r}]\n"
        "from claudecli.cli.startup import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    return done.stdout + done.stderr


def test_the_entry_point_loads_the_app_with_the_collector_paused(base_env):
    code = (
        "import builtins\n"
        "real_import = builtins.__import__\n"
        "def watch(name, *a, **k):\n"
        "    if name == 'typer' and 'typer' not in sys.modules:\n"
        "        print('collector on while loading typer:', gc.isenabled(), file=sys.stderr)\n"
        "    return real_import(name, *a, **k)\n"
        "builtins.__import__ = watch\n"
    )
    output = _gc_state_seen_by(code, "--version")
    assert "collector on while loading typer: False" in output


SDK_PROBE = (
    "from claudecli.core.client import sdk\n"
    "import builtins\n"
    "real_import = builtins.__import__\n"
    "def watch(name, *a, **k):\n"
    "    if name == 'anthropic' and 'anthropic' not in sys.modules:\n"
    "        print('collector on while loading the SDK:', gc.isenabled())\n"
    "    return real_import(name, *a, **k)\n"
    "builtins.__import__ = watch\n"
    "module = sdk()\n"
    "builtins.__import__ = real_import\n"
    "print('after:', gc.isenabled(), module.__name__, sdk() is module)\n"
    "raise SystemExit(0)\n"
)


def test_a_command_works_with_the_collector_on_and_loads_the_sdk_with_it_paused(base_env):
    # One `ask` (one interpreter start-up) shows both ends: its body runs with the start-up pause over, and the
    # SDK, imported later by that body, is imported inside a pause of its own.
    code = (
        "import claudecli.cli.ask_cmd as cmd\n"
        "original = cmd.app_context\n"
        "def spy(ctx):\n"
        "    found = original(ctx)\n"
        "    print('collector on in the command:', gc.isenabled(), file=sys.stderr)\n"
        "    return found\n"
        "cmd.app_context = spy\n"
        "import builtins\n"
        "real_import = builtins.__import__\n"
        "def watch(name, *a, **k):\n"
        "    if name == 'anthropic' and 'anthropic' not in sys.modules:\n"
        "        print('collector on while loading the SDK:', gc.isenabled(), file=sys.stderr)\n"
        "    return real_import(name, *a, **k)\n"
        "builtins.__import__ = watch\n"
        "import os\n"
        "os.environ.update(ANTHROPIC_BASE_URL='http://127.0.0.1:9', CLAUDECLI_MAX_RETRIES='0')\n"
    )
    output = _gc_state_seen_by(code, "ask", "--no-stdin", "hi")
    assert "collector on in the command: True" in output, output
    assert "collector on while loading the SDK: False" in output, output
    assert output.index("collector on in the command") < output.index("collector on while loading"), output


def test_claudecli_as_a_library_never_touches_the_collector(base_env):
    done = subprocess.run(
        [sys.executable, "-c", "import gc, sys\n" + SDK_PROBE],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
    )
    assert "collector on while loading the SDK: True" in done.stdout
    assert "after: True anthropic True" in done.stdout


MCP_PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('mcp loaded:', 'mcp' in sys.modules, file=sys.stderr))\n"
)


@pytest.mark.parametrize("args", [("--help",), ("ask", "--help"), ("models",), ("ask", "--no-stdin", "hi")])
def test_the_mcp_package_is_loaded_only_for_mcp(cli_env, args):
    # The optional MCP SDK is big: a command that enables no MCP server must not pay for it. Forked from the
    # zygote, which has loaded the SDK but never mcp (tests/zygote.py), so each run skips the SDK's import.
    from tests.zygote import run_forked

    done = run_forked(args, capture_output=True, env=subprocess_env(), timeout=60, prelude=MCP_PROBE)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert "mcp loaded: False" in output, output
