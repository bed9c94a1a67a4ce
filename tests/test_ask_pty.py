"""`ask` in a real pseudo-terminal: Markdown rendering, never waiting on a terminal stdin, Ctrl-C."""

from __future__ import annotations

import re

import pexpect
import pytest

from tests.conftest import subprocess_env
from tests.fakeapi import Fault
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty


def spawn(*args: str, env: dict[str, str | None] | None = None) -> ForkedSpawn:
    return ForkedSpawn(
        args,
        env=subprocess_env(env),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=20,
    )


def finish(child: ForkedSpawn) -> str:
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


SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or a text style


@pytest.mark.parametrize("where", ["global", "command"])
def test_plain_means_no_colour_on_stderr_either(cli_env, where):
    """The spinner, the summary and warnings were still coloured with --plain."""
    args = ["--plain", "ask", "[[words:3]]"] if where == "global" else ["ask", "--plain", "[[words:3]]"]
    child = spawn(*args)
    output = finish(child)
    assert child.exitstatus == 0, output
    assert "w1 w2 w3" in output and "end_turn" in output  # the answer and the summary were shown
    assert not SGR.search(output), output


def test_no_answer_incomplete_mark_when_nothing_arrived(cli_env, fake_api):
    """A 404 or a 529 storm: there is no answer to call incomplete."""
    child = spawn("ask", "-m", "claude-nosuch-1", "hello")
    output = finish(child)
    assert child.exitstatus == 4, output
    assert "not_found_error" in output and "[answer incomplete]" not in output
    # retry-after 1, cut to 0.2 s by cli_env's CLAUDECLI_RETRY_AFTER_CAP: no ~1.5 s of exponential back-off
    overloaded = Fault.status(529, "overloaded_error", "Overloaded", headers={"retry-after": "1"})
    for _ in range(3):
        fake_api.enqueue(overloaded)
    child = spawn("ask", "hello", env={"CLAUDECLI_MAX_RETRIES": "2"})
    output = finish(child)
    assert child.exitstatus == 6, output
    assert "overloaded" in output and "[answer incomplete]" not in output


def test_answer_incomplete_mark_when_part_of_the_answer_arrived(cli_env, fake_api):
    fake_api.enqueue(Fault.drop_after(3))
    child = spawn("ask", "[[words:20]]")
    output = finish(child)
    assert child.exitstatus == 8, output
    assert "w3" in output and "[answer incomplete]" in output


@pytest.mark.parametrize("colour", [{"NO_COLOR": "1"}, {}])
def test_thinking_flows_as_it_streams_without_line_breaks_of_its_own(cli_env, colour):
    """Each thinking chunk was wrapped on its own as if it began a line: a chunk wider than the screen got a line
    break in the middle (a long key in it so folded went by the masking in two halves), and the lines came out
    ragged. The terminal wraps the text, as it does the answer's."""
    child = ForkedSpawn(
        ("ask", "-q", "--thinking", "adaptive", "--show-thinking", "hi"),
        env=subprocess_env({**colour, "COLUMNS": "4"}),
        dimensions=(40, 4),  # narrower than "think": a chunk that does not fit
        encoding="utf-8",
        timeout=20,
    )
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", finish(child))
    assert child.exitstatus == 0, output
    assert "Let me think about this." in output, repr(output)
