"""An answer cannot drive the terminal: its escapes, CRs and bidi overrides are shown, not obeyed.

The answer echoes a prompt full of what a hostile web page would make the model repeat. On a terminal (a real
pty) none of it arrives raw; piped, stdout is the answer byte for byte; ``--json`` keeps it in the string.
"""

from __future__ import annotations

import json

import pexpect
import pytest

from tests.conftest import subprocess_env
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty

# One paragraph per attack (blank lines between), so a marker is never folded across two rows.
ATTACKS = {
    "title": "\x1b]0;pwned\x07",
    "clipboard": "\x1b]52;c;ZXZpbA==\x07",
    "link": "\x1b]8;;https://evil.example/\x07here\x1b]8;;\x07",
    "clear": "\x1b[2J\x1b[H",
    "overwrite": "abc\rXYZ",
    "reverse": "gnp.\u202eexe",
    "isolate": "a\u2066b\u2069c",
    "c1": "x\x9b31my",
}
PROMPT = "[[echo]]\n\n" + "\n\n".join(f"{name} {attack}" for name, attack in ATTACKS.items())
SHOWN = [
    "title \\x1b]0;pwned\\x07",
    "clipboard \\x1b]52;c;ZXZpbA==\\x07",
    "link \\x1b]8;;https://evil.example/\\x07here\\x1b]8;;\\x07",
    "clear \\x1b[2J\\x1b[H",
    "overwrite abc\\x0dXYZ",
    "reverse gnp.\\u202eexe",
    "isolate a\\u2066b\\u2069c",
    "c1 x\\x9b31my",
]
RAW = ["\x1b]", "\x07", "\x1b[2J", "\x1b[H", "abc\rXYZ", "\u202e", "\u2066", "\u2069", "\x9b"]


def spawn(*args: str, env: dict[str, str | None] | None = None) -> str:
    child = ForkedSpawn(
        [*args],
        env=subprocess_env(env),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before or ""


def assert_shown_not_obeyed(output: str) -> None:
    for raw in RAW:
        assert raw not in output, (raw, output)
    for marker in SHOWN:
        assert marker in output, (marker, output)


@pytest.mark.parametrize(
    "args, env",
    [(("ask",), None), (("ask", "--plain"), None), (("ask",), {"NO_COLOR": "1"})],
    ids=["markdown", "plain", "no-color"],
)
def test_an_answer_on_a_terminal_shows_its_escapes(cli_env, args, env):
    output = spawn(*args, "-q", PROMPT, env=env)
    assert_shown_not_obeyed(output)
    if args == ("ask",) and env is None:
        assert "\x1b[" in output  # still rendered with style: only the answer's own escapes are defused
    else:
        assert "\x1b" not in output  # plain on a terminal: no escape at all


def test_a_piped_answer_is_byte_exact(cli_env, run_cli_forked):
    result = run_cli_forked("ask", "-q", PROMPT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == PROMPT + "\n"  # the answer, and the line end plain output always gives it


def test_json_keeps_the_raw_answer(cli_env, run_cli):
    result = run_cli("ask", "--json", PROMPT)
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout  # JSON escapes them
    assert json.loads(result.stdout)["text"] == PROMPT


def test_a_resumed_chat_shows_the_stored_turn_escaped(cli_env, run_cli):
    stored = run_cli("ask", "-q", "--session", "evil", PROMPT)
    assert stored.exit_code == 0, stored.stderr
    child = ForkedSpawn(
        ["chat", "--session", "evil"],
        env=subprocess_env({"PROMPT_TOOLKIT_NO_CPR": "1"}),
        dimensions=(40, 100),
        encoding="utf-8",
        timeout=20,
    )
    child.expect("›")
    shown = child.before or ""
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert "resumed session" in shown
    assert_shown_not_obeyed(shown)
    assert shown.count("title \\x1b]0;pwned") == 2  # the prompt ("you: …") and the answer


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_batch_run_results_on_a_terminal_show_their_escapes(cli_env, run_cli, tmp_path, fmt):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": PROMPT}) + "\n", encoding="utf-8")
    output = spawn("batch", "run", "-q", "--format", fmt, str(jobs))
    assert_shown_not_obeyed(output.replace("\r\n", "\n").replace('""', '"'))
    piped = run_cli("batch", "run", "-q", "--format", "text", str(jobs))
    assert PROMPT in piped.stdout  # a pipe gets the answers as they are
