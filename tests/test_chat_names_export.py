"""Holes found by an outside trial of chat's names and /export: a session name is shown on the terminal and
stored, so it must carry no escape sequence and no secret; /export replaces only what the user asked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claudecli.chat.repl import _evaluate
from claudecli.core.errors import ClaudeCliError
from tests import test_chat_turns
from tests.conftest import TEST_KEY
from tests.test_chat_turns import err, say

make_chat = test_chat_turns.make_chat  # the fixture, shared

KEY_TAIL = TEST_KEY.rsplit("-", 1)[-1]  # what a lower-cased slug of the key would still carry


def test_a_name_from_a_prompt_that_quotes_the_key_carries_no_part_of_it(make_chat, fake_api):
    chat = make_chat()
    say(chat, f"key {TEST_KEY} [[words:1]]")
    assert KEY_TAIL not in chat.meta.name
    assert KEY_TAIL not in chat.store.find(chat.meta.id).name


@pytest.mark.parametrize("name", ["\x1b[31mred\x1b]0;title\x07", "a\u202eb", TEST_KEY, "x" * 101])
def test_save_refuses_a_name_with_controls_a_secret_or_too_long(make_chat, fake_api, name):
    chat = make_chat()
    say(chat, "hello [[words:1]]")
    with pytest.raises(ClaudeCliError, match="session name"):
        say(chat, f"/save {name}")
    assert "\x1b" not in err(chat) and TEST_KEY not in err(chat)
    assert chat.meta.name == "hello-words-1"


def test_a_new_session_name_with_an_escape_is_refused(make_chat):
    with pytest.raises(ClaudeCliError, match="session name"):
        make_chat(name="\x1b]0;title\x07x")


def test_export_does_not_replace_a_dangling_symlink_without_force(make_chat, fake_api, tmp_path: Path):
    chat = make_chat()
    say(chat, "hello [[words:1]]")
    link = tmp_path / "notes.md"
    link.symlink_to(tmp_path / "elsewhere.md")
    with pytest.raises(ClaudeCliError, match="already exists"):
        say(chat, f"/export {link}")
    assert link.is_symlink()


def test_export_force_never_replaces_what_is_not_a_regular_file(make_chat, fake_api, tmp_path: Path):
    chat = make_chat()
    say(chat, "hello [[words:1]]")
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(ClaudeCliError, match="not a regular file"):
        say(chat, f"/export {fifo} --force")
    assert fifo.exists() and not fifo.is_file()


@pytest.mark.parametrize(
    "line",
    [
        "/resume \x1b]0;title\x07zz",
        "/attach \x1b[31mq.png",
        "/system @\x1b[31mq",
        "/thinking \x1b[31m",
        "/export ./no\x1b[31m/x.md",
        "/frob\x1b]0;title\x07",
    ],
)
def test_an_escape_typed_in_a_command_is_shown_not_sent_to_the_terminal(make_chat, fake_api, line):
    chat = make_chat()
    _evaluate(chat, line)  # the REPL's own boundary: it prints the error line
    assert "\x1b" not in err(chat) and "\\x1b" in err(chat)
