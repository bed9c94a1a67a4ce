"""McpServerSource against real MCP servers run as subprocesses (tests/mcp_servers): the SDK's real stdio and
streamable-HTTP transports, no mocks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from claudecli.core.mcp_config import McpServerConfig
from claudecli.tools.base import Approval, ToolCall
from claudecli.tools.mcp_source import McpServerSource, McpStartError
from tests.mcp_servers import RAW as RAW_PATH
from tests.mcp_servers import TOY as TOY_PATH
from tests.mcp_servers import toy_args

TOY = str(TOY_PATH)
RAW = str(RAW_PATH)
API_NAME = __import__("re").compile(r"^[a-zA-Z0-9_-]{1,64}$")


class Warnings(list[str]):
    def __call__(self, text: str) -> None:
        self.append(text)


def toy(name: str = "toy", **config: object) -> McpServerConfig:
    return McpServerConfig(name=name, command=sys.executable, args=tuple(toy_args()), **config)  # type: ignore[arg-type]


def raw(mode: str, **config: object) -> McpServerConfig:
    return McpServerConfig(name="raw", command=sys.executable, args=(RAW, mode), **config)  # type: ignore[arg-type]


def call(
    source: McpServerSource, tool_name: str, /, cancel: threading.Event | None = None, **arguments: object
):
    tool = next(tool for tool in source.tools() if tool.name == tool_name)
    return source.run(tool, ToolCall("toolu_1", tool_name, dict(arguments)), cancel or threading.Event())


CANARIES = {"CLAUDECLI_API_KEY": "sk-ant-canary-0123456789", "SOME_TOKEN": "canary-token-0123456789"}


@pytest.fixture(scope="module")
def shared_toy() -> Iterator[tuple[McpServerSource, Warnings]]:
    """One toy server for the tests that do not kill it, started while canary secrets are in the environment."""
    saved = {name: os.environ.get(name) for name in CANARIES}
    os.environ.update(CANARIES)
    warnings = Warnings()
    try:
        source = McpServerSource(toy(env={"FROM_CONFIG": "named-in-config"}, timeout=1.0), warnings)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield source, warnings
    source.close()


def test_tools_are_namespaced_valid_and_clashes_are_told_apart(shared_toy):
    source, warnings = shared_toy
    names = [tool.name for tool in source.tools()]
    assert {"toy__echo", "toy__add", "toy__get_data_v2", "toy__get_data_v2_2"} <= set(names)
    assert all(API_NAME.fullmatch(name) for name in names)
    assert len(set(names)) == len(names)
    assert any("'get.data/v2'" in text and "toy__get_data_v2_2" in text for text in warnings)
    assert call(source, "toy__get_data_v2").content == "odd"
    assert call(source, "toy__get_data_v2_2").content == "clash"


def test_read_only_hint_is_not_trusted(shared_toy):
    source, _ = shared_toy
    odd = next(tool for tool in source.tools() if tool.name == "toy__get_data_v2")
    assert odd.approval is Approval.ASK
    assert odd.read_only is False
    assert odd.source == "mcp:toy"


def test_calls_return_text_structured_content_errors_and_summaries(shared_toy):
    source, _ = shared_toy
    echoed = call(source, "toy__echo", text="hi")
    assert (echoed.content, echoed.is_error) == ("echo: hi", False)
    assert json.loads(call(source, "toy__add", a=2, b=3).content) == {"sum": 5}
    failed = call(source, "toy__fail")
    assert failed.is_error and "failed on purpose" in failed.content
    assert call(source, "toy__picture").content == "[image image/png, 8 bytes: not shown to the model]"


def test_the_server_gets_a_minimal_environment_plus_what_the_config_names(shared_toy):
    source, _ = shared_toy
    assert call(source, "toy__env", name="FROM_CONFIG").content == "named-in-config"
    assert call(source, "toy__env", name="PATH").content not in ("", "<absent>")


def test_a_canary_secret_in_claudecli_s_environment_never_reaches_the_server(shared_toy):
    source, _ = shared_toy
    for name in (*CANARIES, "ANTHROPIC_API_KEY"):
        assert call(source, "toy__env", name=name).content == "<absent>"


def test_a_server_whose_tools_make_every_call_dear_is_named_once():
    warned = Warnings()
    source = McpServerSource(raw("many"), warned)
    try:
        assert len(source.tools()) == 300
    finally:
        source.close()
    costly = [line for line in warned if "input tokens to every request" in line]
    assert len(costly) == 1, warned
    assert "MCP server raw's 300 tools add about" in costly[0] and "[mcp.raw]" in costly[0]
    narrowed = Warnings()
    source = McpServerSource(raw("many", allow=("tool_1",)), narrowed)  # what the warning advises
    source.close()
    assert not any("input tokens" in line for line in narrowed), narrowed


def test_allow_and_deny_lists_choose_the_tools():
    config = raw("ask", allow=("ask", "*_file"), deny=("delete_*",), approval="explicit")
    source = McpServerSource(config, Warnings())
    try:
        assert [tool.name for tool in source.tools()] == ["raw__ask", "raw__read_file"]
        assert {tool.approval for tool in source.tools()} == {Approval.EXPLICIT}
    finally:
        source.close()


def test_a_server_that_dies_mid_call_gives_an_error_result_naming_it():
    warnings = Warnings()
    source = McpServerSource(toy(), warnings)
    try:
        died = call(source, "toy__crash")
        assert died.is_error
        assert "MCP server toy stopped during the call" in died.content
        assert "crashing now" in died.content  # its last stderr line says why
        later = call(source, "toy__echo", text="x")
        assert later.is_error and "MCP server toy is not running" in later.content
        assert any("MCP server toy stopped" in text for text in warnings)
    finally:
        source.close()


def test_a_changed_tool_list_marks_the_server_and_warns(shared_toy):
    source, warnings = shared_toy
    assert call(source, "toy__change").content == "changed"
    deadline = time.monotonic() + 5
    while not source.changed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert source.changed
    assert any("changed its tool list" in text and "approval again" in text for text in warnings)


def test_a_call_that_takes_too_long_times_out_and_cancel_interrupts(shared_toy):
    source, _ = shared_toy
    started = time.monotonic()
    slow = call(source, "toy__slow", seconds=30)
    assert slow.is_error and "did not answer within 1 s" in slow.content
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    interrupted = call(source, "toy__slow", cancel=cancel, seconds=30)
    assert interrupted.is_error and "interrupted" in interrupted.content
    assert time.monotonic() - started < 5
    assert call(source, "toy__echo", text="still here").content == "echo: still here"


def test_a_server_that_hangs_on_initialize_is_a_one_line_error():
    started = time.monotonic()
    with pytest.raises(McpStartError) as caught:
        McpServerSource(raw("hang", startup_timeout=0.5), Warnings())
    assert caught.value.one_line() == "MCP server raw did not answer initialize within 0.5 s"
    assert time.monotonic() - started < 8  # the timeout plus the SDK's bounded shutdown


def test_a_server_that_exits_at_start_says_why():
    with pytest.raises(McpStartError) as caught:
        McpServerSource(raw("exit"), Warnings())
    message = caught.value.one_line()
    assert message.startswith("MCP server raw exited before it finished starting")
    assert "missing configuration" in message


def test_a_missing_command_is_a_one_line_error():
    config = McpServerConfig(name="gone", command="/no/such/mcp-server")
    with pytest.raises(McpStartError) as caught:
        McpServerSource(config, Warnings())
    assert (
        caught.value.one_line()
        == "MCP server gone: cannot run '/no/such/mcp-server': No such file or directory"
    )


def test_malformed_answers_name_the_server():
    with pytest.raises(McpStartError) as caught:
        McpServerSource(raw("bad-list"), Warnings())
    assert caught.value.one_line().startswith("MCP server raw sent a malformed answer while starting: tools")
    source = McpServerSource(raw("malformed"), Warnings())
    try:
        result = call(source, "raw__ask")
        assert result.is_error
        assert result.content.startswith("MCP server raw returned a malformed result for ask: content")
    finally:
        source.close()


def test_sampling_and_elicitation_are_refused_and_not_offered():
    source = McpServerSource(raw("ask"), Warnings())
    try:
        answers = json.loads(call(source, "raw__ask").content)
    finally:
        source.close()
    assert "error" in answers["sampling"] and "result" not in answers["sampling"]
    assert "error" in answers["elicitation"] and "result" not in answers["elicitation"]
    assert "sampling" not in answers["capabilities"]
    assert "elicitation" not in answers["capabilities"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the HTTP toy server did not start")


def test_a_streamable_http_server_with_headers():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, TOY, "http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process)
        config = McpServerConfig(
            name="web", url=f"http://127.0.0.1:{port}/mcp", headers={"Authorization": "Bearer tok-123"}
        )
        source = McpServerSource(config, Warnings())
        try:
            assert call(source, "web__echo", text="over http").content == "echo: over http"
            assert call(source, "web__authorization").content == "Bearer tok-123"
        finally:
            source.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_banner_on_stdout_is_one_warning_not_a_traceback(capfd):
    warnings = Warnings()
    source = McpServerSource(raw("noisy"), warnings)
    try:
        assert [tool.name for tool in source.tools()] == ["raw__ask", "raw__read_file", "raw__delete_file"]
    finally:
        source.close()
    assert warnings == ["MCP: Failed to parse JSONRPC message from server"]
    assert "Traceback" not in capfd.readouterr().err


def test_an_unreachable_http_server_is_a_one_line_error():
    config = McpServerConfig(name="web", url=f"http://127.0.0.1:{_free_port()}/mcp", startup_timeout=5)
    with pytest.raises(McpStartError) as caught:
        McpServerSource(config, Warnings())
    assert caught.value.one_line().startswith("MCP server web failed to start: ")
    assert "\n" not in caught.value.one_line()


def test_headers_over_plain_http_to_another_machine_are_warned_about():
    warnings = Warnings()
    config = McpServerConfig(
        name="far", url="http://192.0.2.1:9/mcp", headers={"Authorization": "x"}, startup_timeout=0.3
    )
    with pytest.raises(McpStartError):
        McpServerSource(config, warnings)
    assert warnings == [
        "MCP server far: http://192.0.2.1:9/mcp is plain http to another machine: its headers travel unencrypted"
    ]


def test_start_servers_stops_those_still_starting_and_loses_no_error(caplog, tmp_path):
    import gc

    from claudecli.tools.mcp_source import start_servers

    events = tmp_path / "events"
    late = toy("late", env={"TOY_EVENTS": str(events), "TOY_START_AFTER": "never"})
    started: list = []
    with pytest.raises(McpStartError) as caught:
        start_servers([raw("exit"), late], Warnings(), started)
    assert caught.value.one_line().startswith("MCP server raw exited before it finished starting")
    assert [source.name for source in started] == ["raw", "late"]  # the caller can close both
    for source in started:
        source.close()
    gc.collect()
    assert "never retrieved" not in caplog.text  # a cancelled start's error is not reported as lost
