"""MCP servers in chat: a round trip through a real MCP server, the person asked about it, and /mcp."""

from __future__ import annotations

import json
import sys

from claudecli.chat.repl import handle_line
from claudecli.chat.turn import run_turn
from claudecli.tools.approval import PersonAnswer
from claudecli.tools.options import ToolOptions
from tests.mcp_servers import toy_args
from tests.test_chat_tools import Person, err, sent
from tests.test_chat_tools import make_chat as shared_make_chat

make_chat = shared_make_chat  # the fixture, shared with the chat tool tests


def _config(write_config) -> None:
    write_config(
        f"[mcp.toy]\ncommand = {sys.executable!r}\nargs = {json.dumps(toy_args())}\nstartup_timeout = 20\n"
        "tools.deny = ['get*']\n\n"
        '[mcp.remote]\nurl = "https://mcp.example.com/mcp"\n'
    )


def test_a_chat_turn_calls_an_mcp_tool_after_asking_and_mcp_lists_the_servers(
    make_chat, fake_api, write_config
):
    _config(write_config)
    person = Person(PersonAnswer("y"))
    chat = make_chat(ToolOptions(mcp=("toy",)), person)
    result = run_turn(chat, '[[call:toy__echo {"text": "in chat"}]]')
    assert result.exchange is not None and result.exchange.answer == "Tool results: echo: in chat"
    assert person.asked == [("toy__echo", {"text": "in chat"})]
    second = sent(fake_api)[-1]["messages"]
    assert second[2]["content"][0]["tool_use_id"] == second[1]["content"][0]["id"]
    handle_line(chat, "/mcp")
    shown = err(chat)
    assert "toy (stdio: " in shown and "approval ask" in shown
    assert "remote (streamable HTTP) · not enabled in this chat (start chat with --mcp remote)" in shown
    assert any("toy__echo" in line and "Echo the text back" in line for line in shown.splitlines()), shown
    assert "toy__get_data_v2" not in shown  # denied by tools.deny


def test_mcp_without_servers_says_how_to_define_one(make_chat, fake_api):
    chat = make_chat()
    handle_line(chat, "/mcp")
    assert "no MCP servers are configured; define [mcp.NAME] in config.toml" in err(chat)
