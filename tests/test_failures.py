"""Every failure kind: its documented exit code, a one-line message, no traceback, partial output kept,
and a ledger row with the error status."""

from __future__ import annotations

import gc
import importlib.util
import json
import socket

import hypothesis.internal.conjecture.optimiser  # noqa: F401 (see below)
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import assert_no_traceback, assert_secret_free
from tests.fakeapi import Fault

EXAMPLES = settings().max_examples  # the loaded profile's (tests/conftest.py)
# Imported now, not lazily by Hypothesis in the middle of the proxy property below: pytest rewrites Hypothesis's
# modules as it imports them, and on CPython 3.11.7 that compile, run after an in-process CLI run, failed with
# "SystemError: AST constructor recursion depth mismatch" (a CPython 3.11 bug, not the CLI's).


def check_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result
    assert_no_traceback(result.stderr)
    assert_secret_free(result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("claudecli: error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def test_401_is_an_auth_error(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.valid_keys = {"sk-ant-some-other-key"}
    result = run_cli("ask", "hi")
    check_one_line_error(result, 3, "401", "authentication_error", "request id req_")
    assert ledger_rows()[0]["status"] == "authentication_error"


def test_unknown_model_is_not_found(cli_env, run_cli, fake_api):
    result = run_cli("ask", "-m", "claude-nonexistent-1", "hi")
    check_one_line_error(result, 4, "404", "claude-nonexistent-1")


def test_400_is_a_bad_request(cli_env, run_cli, fake_api):
    fake_api.enqueue(Fault.status(400, "invalid_request_error", "messages: too many images"))
    result = run_cli("ask", "hi")
    check_one_line_error(result, 5, "400", "too many images")


@pytest.mark.parametrize("param", ["temperature=0.2", "temperature=0", "top_p=0.9", "top_k=5"])
def test_sampling_parameters_get_the_apis_400_as_one_line(cli_env, run_cli, fake_api, ledger_rows, param):
    """API 2026-10-21 refuses sampling parameters at any value; `-o` sends them and reports the refusal."""
    result = run_cli("ask", "-o", param, "hi")
    name = param.split("=")[0]
    check_one_line_error(result, 5, "400", f"{name}: Extra inputs are not permitted", "request id req_")
    assert result.stdout == ""
    assert len(fake_api.requests_to("/v1/messages", method="POST")) == 1  # a 400 is not retried
    assert ledger_rows()[0]["status"] == "invalid_request_error"


def test_429_then_success_retries(cli_env, run_cli, fake_api):
    fake_api.enqueue(Fault.status(429, "rate_limit_error", "slow down", headers={"retry-after": "3600"}))
    result = run_cli("ask", "[[words:2]]")
    assert result.exit_code == 0, result
    assert result.stdout == "w1 w2\n"
    attempts = fake_api.requests_to("/v1/messages", method="POST")
    assert len(attempts) == 2  # retry-after 3600 was capped (CLAUDECLI_RETRY_AFTER_CAP=0.2 in tests)
    assert attempts[1].headers.get("x-stainless-retry-count") == "1"


@pytest.mark.parametrize("value", ["soon", "Wed, 21 Oct 2015 07:28:00 GMT", "nan", "-3"])
def test_a_retry_after_that_names_no_usable_wait_is_retried_all_the_same(cli_env, run_cli, fake_api, value):
    """A server's (or a gateway's) retry-after is untrusted: an unreadable one ("soon" was an "unexpected
    ValueError", exit 1), a date in the past, NaN or a negative number are no wait, and the call is retried."""
    fake_api.enqueue(Fault.status(429, "rate_limit_error", "slow down", headers={"retry-after": value}))
    result = run_cli("ask", "[[words:2]]", env={"CLAUDECLI_MAX_RETRIES": "1"})
    assert (result.exit_code, result.stdout) == (0, "w1 w2\n"), result
    assert len(fake_api.requests_to("/v1/messages", method="POST")) == 2


def test_529_after_retries_is_rate_limited(cli_env, run_cli, fake_api, ledger_rows):
    for _ in range(3):  # retry-after 1 is capped to 0.2 s; the SDK would back off 0.5 s then 1 s on "0"
        fake_api.enqueue(Fault.status(529, "overloaded_error", "Overloaded", headers={"retry-after": "1"}))
    result = run_cli("ask", "hi")
    check_one_line_error(result, 6, "529", "overloaded_error")
    assert len(fake_api.requests_to("/v1/messages", method="POST")) == 3
    assert ledger_rows()[0]["status"] == "overloaded_error"


def test_500_after_retries_is_a_server_error(cli_env, run_cli, fake_api):
    for _ in range(3):
        fake_api.enqueue(
            Fault.status(500, "api_error", "Internal server error", headers={"retry-after": "1"})
        )
    check_one_line_error(run_cli("ask", "hi"), 7, "500", "api_error")


def test_dropped_stream_keeps_partial_output(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.enqueue(Fault.drop_after(3))
    result = run_cli("ask", "[[words:50]]")
    # not "lost before its answer": part of it came (anthropic >= 2.17 wraps this in APIConnectionError)
    check_one_line_error(result, 8, "connection lost while reading the response")
    assert result.stdout.startswith("w1 w2 w3")
    assert "partial" in result.stderr
    row = ledger_rows()[0]
    assert row["status"] == "connection_error"
    assert row["input_tokens"] > 0
    assert row["output_tokens"] > 1  # estimated from the streamed text, not the 1 of message_start


def test_sse_error_mid_stream_keeps_partial_output(cli_env, run_cli, fake_api, ledger_rows):
    fake_api.enqueue(Fault.sse_error_after(4, "overloaded_error", "Overloaded"))
    result = run_cli("ask", "[[words:50]]")
    check_one_line_error(result, 6, "stream failed", "overloaded_error")
    assert result.stdout.startswith("w1 w2 w3 w4")
    assert ledger_rows()[0]["status"] == "overloaded_error"


def test_sse_api_error_mid_stream_is_a_server_error(cli_env, run_cli, fake_api):
    fake_api.enqueue(Fault.sse_error_after(1, "api_error", "boom"))
    check_one_line_error(run_cli("ask", "[[words:20]]"), 7, "stream failed", "api_error")


def test_partial_answer_in_json_mode_is_marked(cli_env, run_cli, fake_api):
    fake_api.enqueue(Fault.drop_after(2))
    result = run_cli("ask", "--json", "[[words:30]]")
    assert result.exit_code == 8
    document = json.loads(result.stdout)
    assert document["status"] == "connection_error"
    assert document["text"] == "w1 w2"
    assert "error" in document


def test_hang_times_out(cli_env, run_cli, fake_api):
    fake_api.enqueue(Fault.hang(5))
    result = run_cli("ask", "hi", env={"CLAUDECLI_TIMEOUT": "0.5", "CLAUDECLI_MAX_RETRIES": "0"})
    check_one_line_error(result, 8, "timed out")


def test_a_stream_that_stalls_past_the_timeout_says_it_timed_out(cli_env, run_cli, fake_api, ledger_rows):
    """The answer starts, then no byte comes for longer than `timeout`: httpx's ReadTimeout mid-stream. The line
    says it timed out and how to wait longer (it said 'connection lost', which sends you to the network)."""
    fake_api.token_delay = 2.0
    env = {"CLAUDECLI_TIMEOUT": "0.5", "CLAUDECLI_MAX_RETRIES": "0"}
    result = run_cli("ask", "--json", "[[words:5]]", env=env)
    check_one_line_error(result, 8, "timed out", "raise `timeout`")
    assert "connection lost" not in result.stderr, result.stderr
    assert json.loads(result.stdout)["status"] == "timeout_error"
    assert ledger_rows()[0]["status"] == "timeout_error"


def test_cannot_connect(cli_env, run_cli):
    result = run_cli(
        "ask", "hi", env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "CLAUDECLI_MAX_RETRIES": "0"}
    )
    check_one_line_error(result, 8, "cannot connect")


@pytest.mark.parametrize(
    ("status", "error_type", "code"), [(402, "billing_error", 10), (403, "permission_error", 3)]
)
def test_other_statuses(cli_env, run_cli, fake_api, status, error_type, code):
    fake_api.enqueue(Fault.status(status, error_type, "nope"))
    check_one_line_error(run_cli("ask", "hi"), code, str(status))


def test_debug_shows_the_traceback_of_an_unexpected_error_only(cli_env, run_cli, fake_api, monkeypatch):
    """--debug is for bugs (exit 1); a usage, API or network error is told fully by its one line."""

    def broken(**_: object) -> None:
        raise RuntimeError("a bug")

    fake_api.enqueue(Fault.status(400, "invalid_request_error", "bad"))
    check_one_line_error(run_cli("--debug", "ask", "hi"), 5, "400")
    check_one_line_error(run_cli("--debug", "ask", "--max-tokens", "0", "hi"), 2, "max-tokens")
    check_one_line_error(run_cli("--debug", "ask", "-a", "/nonexistent.png", "hi"), 2, "not found")
    check_one_line_error(
        run_cli(
            "--debug",
            "ask",
            "hi",
            env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "CLAUDECLI_MAX_RETRIES": "0"},
        ),
        8,
        "cannot connect",
    )
    monkeypatch.setattr("claudecli.core.config.load_settings", broken)
    result = run_cli("--debug", "ask", "hi")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "RuntimeError: a bug" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("socksio") is not None, reason="socksio is installed here")
@pytest.mark.parametrize("variable", ["ALL_PROXY", "https_proxy"])
def test_a_socks_proxy_without_socksio_is_one_line_and_no_finaliser_noise(variable, cli_env, run_cli_forked):
    # The SDK's HTTP client fails half-built; collected later, its __del__ used to print a traceback too.
    for args in (("ask", "--no-stdin", "hi"), ("ask", "--json", "--no-stdin", "hi")):
        result = run_cli_forked(*args, env={variable: "socks5://127.0.0.1:1"})
        assert result.exit_code == 8, result
        assert_no_traceback(result.stderr)
        assert "Exception ignored" not in result.stderr
        assert f"SOCKS proxy in {variable}" in (result.stdout + result.stderr)
        assert "pipx inject claudecli socksio" in (result.stdout + result.stderr)


def test_a_proxy_of_an_unsupported_scheme_is_one_line_without_its_url(cli_env, run_cli_forked):
    result = run_cli_forked(
        "ask", "--no-stdin", "hi", env={"HTTPS_PROXY": "socks4://user:pr0xy-pass@127.0.0.1:1"}
    )
    check_one_line_error(result, 8, "the proxy in HTTPS_PROXY", "scheme is not supported")
    assert "pr0xy-pass" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("HTTPS_PROXY", "http://user:pr0xy-pass@proxy.example:99999", "port"),
        ("https_proxy", "http://user:pr0xy-pass@proxy.example:abc", "port"),
        ("HTTP_PROXY", "http://user:pr0xy-pass@127.0.0.1:0", "port"),
        ("all_proxy", "user:pr0xy-pass@proxy.example:65536", "port"),  # no scheme: http:// is assumed
        ("ALL_PROXY", "http://user:pr0xy-pass@[::1", "not a valid URL"),
        ("HTTPS_PROXY", "http://user:pr0xy-pass@:8080", "no host"),
    ],
)
def test_a_malformed_proxy_url_is_one_line_naming_its_variable_without_the_url(
    variable, value, problem, cli_env, run_cli_forked, fake_api
):
    for args in (("ask", "--no-stdin", "hi"), ("models", "--refresh")):
        result = run_cli_forked(*args, env={variable: value})
        check_one_line_error(result, 8, f"the proxy in {variable}", problem)
        assert "pr0xy-pass" not in result.stderr + result.stdout and "proxy.example" not in result.stderr
        assert "Exception ignored" not in result.stderr
    assert fake_api.requests == []


def test_a_malformed_proxy_url_fails_batch_run_before_any_line(cli_env, run_cli, fake_api, tmp_path):
    jobs = tmp_path / "q.txt"
    jobs.write_text("one\ntwo\n")
    result = run_cli(
        "batch", "run", "--text", str(jobs), env={"HTTPS_PROXY": "http://u:pr0xy-pass@p.example:99999"}
    )
    check_one_line_error(result, 8, "the proxy in HTTPS_PROXY")
    assert "pr0xy-pass" not in result.stderr and fake_api.requests_to("/v1/messages") == []


def test_no_proxy_star_still_turns_every_proxy_off(cli_env, run_cli, fake_api):
    """NO_PROXY=* makes the HTTP library ignore the proxy variables, a malformed one included."""
    result = run_cli(
        "ask", "--no-stdin", "hi", env={"ALL_PROXY": "http://proxy.example:99999", "NO_PROXY": "*"}
    )
    assert result.exit_code == 0, result


PROXY_SECRET = "Pr0xyS3cret"
URLISH = st.text(alphabet=st.sampled_from(list("abc019:/@[].%-_ ?#")), max_size=24)


# An unsupported scheme fails inside the SDK client's constructor, whose half-built HTTP client complains when
# collected; the real process silences that (client.quiet_half_built_clients, tested above), pytest does not.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    variable=st.sampled_from(["HTTPS_PROXY", "https_proxy"]),
    scheme=st.sampled_from(["", "http://", "https://", "socks5://", "ftp://", "http:/"]),
    before=URLISH,
    after=URLISH,
)
def test_any_proxy_string_gives_a_documented_exit_and_never_echoes_it(
    cli_env, run_cli, fake_api, variable, scheme, before, after
):
    """Random proxy strings (HTTPS_PROXY does not apply to the fake's http:// URL, so a well-formed one is simply
    not used and the call goes through: no name lookups): 0 or 8, one line, the value never printed."""
    value = f"{scheme}{before}{PROXY_SECRET}{after}"
    result = run_cli("ask", "--no-stdin", "[[echo]] hi", env={variable: value, "CLAUDECLI_MAX_RETRIES": "0"})
    gc.collect()  # the half-built client goes now, under this test's filter, not in a later test
    assert result.exit_code in (0, 8), result
    assert_no_traceback(result.stderr)
    assert PROXY_SECRET not in result.stdout + result.stderr
    if result.exit_code == 8:
        check_one_line_error(result, 8, variable)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_dead_proxy_is_named_as_the_reason_without_its_url(variable, cli_env, run_cli, fake_api):
    port = closed_port()
    env = {variable: f"http://user:pr0xy-pass@127.0.0.1:{port}", "CLAUDECLI_MAX_RETRIES": "0"}
    for args in (("ask", "--no-stdin", "hi"), ("ask", "--json", "--no-stdin", "hi")):
        result = run_cli(*args, env=env)
        check_one_line_error(
            result, 8, f"cannot connect to the API through the proxy in {variable}: connection refused"
        )
        shown = result.stdout + result.stderr
        assert "pr0xy-pass" not in shown and f":{port}" not in shown and "ConnectError" not in shown
    assert fake_api.requests == []


def test_a_proxy_no_proxy_bypasses_is_not_blamed(cli_env, run_cli, fake_api):
    """NO_PROXY=127.0.0.1 takes the API's host off the dead proxy: the call goes through directly."""
    dead = f"http://127.0.0.1:{closed_port()}"
    result = run_cli("ask", "--no-stdin", "hi", env={"HTTP_PROXY": dead, "NO_PROXY": "127.0.0.1"})
    assert result.exit_code == 0, result
    api_down = run_cli(
        "ask",
        "--no-stdin",
        "hi",
        env={"ANTHROPIC_BASE_URL": dead, "HTTPS_PROXY": dead, "CLAUDECLI_MAX_RETRIES": "0"},
    )  # HTTPS_PROXY does not apply to an http:// API: the API itself is what cannot be reached
    check_one_line_error(api_down, 8, "cannot connect to the API: ConnectError")
    assert "proxy" not in api_down.stderr


def test_a_connection_dropped_before_the_answer_is_not_called_a_failure_to_connect(
    cli_env, run_cli, fake_api
):
    """The API took the request and closed the connection without answering: it was reached, so "cannot
    connect" would send the person looking at their network settings."""
    fake_api.enqueue(Fault.drop_after(0), path="/v1/files")
    result = run_cli("files", "list", env={"CLAUDECLI_MAX_RETRIES": "0"})
    check_one_line_error(result, 8, "the connection to the API was lost before its answer")
    assert "cannot connect" not in result.stderr


def test_a_proxy_that_never_answers_is_named_in_the_timeout(cli_env, run_cli, fake_api):
    """A proxy that takes the connection and says nothing: the timeout names it (never its URL)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        env = {
            "HTTP_PROXY": f"http://user:pr0xy-pass@127.0.0.1:{port}",
            "CLAUDECLI_MAX_RETRIES": "0",
            "CLAUDECLI_TIMEOUT": "0.5",
        }
        result = run_cli("ask", "--no-stdin", "hi", env=env)
    check_one_line_error(result, 8, "request timed out (through the proxy in HTTP_PROXY)")
    assert "pr0xy-pass" not in result.stdout + result.stderr and f":{port}" not in result.stderr
    assert fake_api.requests == []


def test_a_call_the_api_refuses_costs_nothing_even_for_a_model_without_a_price(cli_env, run_cli, ledger_rows):
    """An HTTP error status generates (and bills) nothing; for a model no price source knows, the refused call
    was booked at an unknown cost, and `cost report` showed its totals as unknown ("+?")."""
    refused = run_cli("ask", "-m", "claude-nope-9", "hi")
    assert refused.exit_code == 4, refused
    [row] = ledger_rows()
    assert row["status"] == "not_found_error" and row["cost_usd"] == 0
    report = run_cli("cost", "report", "--json")
    assert report.exit_code == 0, report
    assert json.loads(report.stdout)["total"]["unknown_cost_calls"] == 0


def test_a_stream_dropped_mid_answer_through_a_proxy_is_not_blamed_on_the_proxy(
    cli_env, run_cli, fake_api, ledger_rows
):
    """anthropic 2.17 wraps a broken body read in APIConnectionError: through a proxy (here the fake itself,
    which takes absolute-form requests), part of the answer came, so the proxy did connect."""
    fake_api.enqueue(Fault.drop_after(3))
    env = {"HTTP_PROXY": fake_api.base_url, "NO_PROXY": "", "no_proxy": ""}
    result = run_cli("ask", "[[words:50]]", env=env)
    check_one_line_error(result, 8, "connection lost while reading the response")
    assert "proxy" not in result.stderr
    assert result.stdout.startswith("w1 w2 w3")
    assert ledger_rows()[0]["status"] == "connection_error"


NOT_A_MESSAGE = {
    "an HTML page": (b"<html><body>Sign in to the network</body></html>", "text/html"),
    "some JSON": (b'{"ok": true}', "application/json"),
    "an empty stream": (b"", "text/event-stream"),
    "an event that is not JSON": (b"data: {not json}\n\n", "text/event-stream"),
    "only pings": (b'event: ping\ndata: {"type": "ping"}\n\n', "text/event-stream"),
}


@pytest.mark.parametrize("body", NOT_A_MESSAGE.values(), ids=list(NOT_A_MESSAGE))
def test_a_200_that_is_not_a_message_stream_is_a_connection_failure(
    cli_env, run_cli, fake_api, ledger_rows, body
):
    """A captive portal, a gateway or a proxy answering 200 in the API's place: one line and exit 8 (it was
    "unexpected AssertionError", exit 1, from inside the SDK), and the call's row says connection_error."""
    raw, content_type = body
    fake_api.enqueue(Fault.body(raw, 200, content_type))
    result = run_cli("ask", "--json", "hi", env={"CLAUDECLI_MAX_RETRIES": "0"})
    check_one_line_error(result, 8, "came back: the answer was not the API's")
    assert "may have answered in its place" in result.stderr
    assert json.loads(result.stdout)["status"] == "connection_error"
    assert [row["status"] for row in ledger_rows()] == ["connection_error"]


def test_a_stream_that_ends_cleanly_before_message_stop_keeps_the_partial_answer(
    cli_env, run_cli, fake_api, ledger_rows
):
    """The chunked body ends properly, but the message never did: the answer so far is kept and marked, as when
    the connection drops, instead of passing for a whole answer."""
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-5-5",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 3, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "half an answer"},
            },
        ),
    ]
    raw = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()
    fake_api.enqueue(Fault.body(raw, 200, "text/event-stream"))
    result = run_cli("ask", "hi", env={"CLAUDECLI_MAX_RETRIES": "0"})
    check_one_line_error(result, 8, "connection lost while reading the response")
    assert result.stdout.startswith("half an answer")
    (row,) = ledger_rows()
    assert row["status"] == "connection_error" and row["output_tokens"] >= 3


WEB_PAGE = Fault.body(b"<!doctype html><html><body>Sign in to the network</body></html>", 200, "text/html")


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("models", "--refresh"), "/v1/models"),
        (("cost", "estimate", "-m", "claude-haiku-5-5", "hello"), "/v1/messages/count_tokens"),
        (("files", "list", "--json"), "/v1/files"),
    ],
    ids=["models --refresh", "cost estimate", "files list --json"],
)
def test_a_web_page_under_a_200_is_one_line_and_exit_8_for_every_command(
    cli_env, run_cli, fake_api, args, path
):
    """A captive portal or a gateway's error page answering 200 in the API's place (it was "unexpected
    AttributeError", exit 1, from inside the SDK)."""
    for _ in range(3):
        fake_api.enqueue(WEB_PAGE, path=path)
    result = run_cli(*args, env={"CLAUDECLI_MAX_RETRIES": "0"})
    check_one_line_error(result, 8, "a web page came back", "may have answered in its place")
    if "--json" in args:
        assert "a web page came back" in json.dumps(json.loads(result.stdout))


def test_a_models_list_of_another_shape_is_never_cached(cli_env, run_cli, fake_api, home):
    assert run_cli("models", "--refresh").exit_code == 0
    cache = next((home / "cache").rglob("models*.json"))
    before = cache.read_text(encoding="utf-8")
    fake_api.enqueue(Fault.body(b'{"ok": true}', 200, "application/json"), path="/v1/models")
    result = run_cli("models", "--refresh", env={"CLAUDECLI_MAX_RETRIES": "0"})
    check_one_line_error(result, 7, "cannot read", "without a model")
    assert cache.read_text(encoding="utf-8") == before
    assert "claude-sonnet-5-5" in run_cli("models").stdout
