"""MCP servers in the toolbox (``--mcp NAME`` through ``build_toolbox``): the same approval rules as local tools,
re-approval after a changed tool list, names that avoid the local tools', secrets masked in results."""

from __future__ import annotations

import io
import json
import sys
import time

import pytest

from claudecli.core.errors import UsageError
from claudecli.tools.approval import PersonAnswer
from claudecli.tools.base import ToolCall
from claudecli.tools.options import ToolOptions
from tests.mcp_servers import toy_args
from tests.tools_support import call, run, toolbox

TOKEN = "mcp-env-token-0123456789"


def _config(write_config, approval: str = "ask", extra: str = "") -> None:
    write_config(
        f"[mcp.toy]\ncommand = {sys.executable!r}\nargs = {json.dumps(toy_args())}\napproval = {approval!r}\n"
        f'env = {{ TOY_TOKEN = "{TOKEN}" }}\n{extra}'
    )


def test_off_a_terminal_mcp_tools_follow_the_approval_rules(base_env, write_config):
    _config(write_config)
    box = toolbox(ToolOptions(mcp=("toy",), approve=("toy__echo",)))
    try:
        echoed, odd = run(box, call("toy__echo", text="hi"), call("toy__get_data_v2"))
        assert echoed.content == "echo: hi" and not echoed.is_error
        # readOnlyHint=True does not make it auto: it needs approval like any other
        assert odd.declined and "--approve toy__get_data_v2 or --yes" in odd.content
    finally:
        box.close()


def test_secrets_the_config_gives_a_server_are_masked_in_its_results(base_env, write_config):
    _config(write_config, approval="auto")
    box = toolbox(ToolOptions(mcp=("toy",)))
    try:
        (result,) = run(box, ToolCall("toolu_env", "toy__env", {"name": "TOY_TOKEN"}))
        assert TOKEN not in result.content
        assert result.content.startswith("********")
    finally:
        box.close()


def test_a_changed_tool_list_needs_approval_again_even_for_auto_tools(base_env, write_config):
    _config(write_config, approval="auto")
    stderr = io.StringIO()
    asked: list[str] = []
    answers = iter(["a", "n"])
    terminal: dict[str, bool] = {"there": False}

    def ask_person(tool, tool_call):
        if not terminal["there"]:
            raise OSError("no terminal")
        asked.append(tool.name)
        return PersonAnswer(next(answers))

    box = toolbox(ToolOptions(mcp=("toy",), yes=True), ask_person, stderr)
    try:
        before, changed = run(box, call("toy__echo", text="1"), call("toy__change"))
        assert (before.content, changed.content) == ("echo: 1", "changed")
        deadline = time.monotonic() + 5
        while "changed its tool list" not in stderr.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        (declined,) = run(box, call("toy__echo", text="2"))  # nobody to ask: auto and --yes no longer suffice
        assert declined.declined and "changed its tool list during this run" in declined.content
        terminal["there"] = True
        first, second = run(box, call("toy__echo", text="3"), call("toy__echo", text="4"))
        assert (first.content, second.content) == ("echo: 3", "echo: 4")  # "a" holds for the rest of the run
        (other,) = run(box, call("toy__add", a=1, b=1))
        assert other.declined  # each tool of the server is asked about: this one was answered "n"
        assert asked == ["toy__echo", "toy__add"]
    finally:
        box.close()


def test_mcp_tool_names_avoid_the_local_tools(base_env, write_config):
    _config(
        write_config,
        extra='[tools.toy__echo]\ndescription = "a local tool"\ncommand = ["cat"]\n',
    )
    stderr = io.StringIO()
    box = toolbox(ToolOptions(toolsets=("toy__echo",), mcp=("toy",)), stderr=stderr)
    try:
        names = [tool.name for tool in box.tools()]
        assert names.count("toy__echo") == 1 and "toy__echo_2" in names
        assert "'echo' is called toy__echo_2" in stderr.getvalue()
    finally:
        box.close()


def test_an_unknown_server_names_the_known_ones(base_env, write_config):
    _config(write_config)
    with pytest.raises(UsageError) as caught:
        toolbox(ToolOptions(mcp=("nope",)))
    assert caught.value.one_line() == (
        "--mcp nope: no such MCP server (known: toy); define servers as [mcp.NAME] in config.toml"
    )


def test_with_no_server_configured_the_error_says_so(base_env):
    with pytest.raises(UsageError) as caught:
        toolbox(ToolOptions(mcp=("github",)))
    assert caught.value.one_line() == (
        "--mcp github: no such MCP server (none is configured); define servers as [mcp.NAME] in config.toml"
    )
