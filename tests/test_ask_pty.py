"""`ask` in a real pseudo-terminal: Markdown rendering, never waiting on a terminal stdin, Ctrl-C."""

from __future__ import annotations

import sys

import pexpect
import pytest

from tests.conftest import subprocess_env

pytestmark = pytest.mark.pty


def spawn(*args: str, env: dict[str, str | None] | None = None) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "claudecli", *args],
        env=subprocess_env(env),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=20,
    )


def finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    return child.before or ""


def test_terminal_stdin_without_prompt_is_a_usage_error_not_a_wait(cli_env):
    child = spawn("ask")
    output = finish(child)
    assert child.exitstatus == 2
    assert "no prompt given" in output


def test_markdown_is_rendered_on_a_terminal(cli_env):
    child = spawn("ask", "[[markdown]]")
    output = finish(child)
    assert child.exitstatus == 0, output
    assert "\x1b[" in output  # styled
    assert "# " not in output.replace("\x1b", "")  # the heading marker is rendered, not printed


def test_no_color_on_a_terminal_means_plain_text(cli_env):
    child = spawn("ask", "-q", "[[markdown]]", env={"NO_COLOR": "1"})
    output = finish(child)
    assert child.exitstatus == 0
    assert "\x1b" not in output
    assert "# " in output


def test_ctrl_c_stops_the_stream_exits_130_and_books_the_call(cli_env, fake_api, ledger_rows):
    fake_api.token_delay = 0.05
    child = spawn("ask", "--plain", "[[words:400]]")
    child.expect("w5 ")
    child.sendintr()
    output = finish(child)
    assert child.exitstatus == 130, output
    assert "interrupted" in output
    assert "Traceback" not in output
    rows = ledger_rows()
    assert len(rows) == 1 and rows[0]["status"] == "interrupted"
