"""Chat robustness in-process (real SDK, fake API, real SQLite): nothing the user typed or paid for is lost.

A name two terminals race for, a bug in one turn, user text that looks like rich markup, a stored thinking
budget the current max_tokens cannot hold, Ctrl-C before anything is sent, secrets in an error message.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from claudecli.chat import repl
from claudecli.chat.core import ChatOptions, _open_chat, _read_inputs, list_sessions
from claudecli.core.errors import UsageError
from tests.conftest import TEST_KEY, assert_no_traceback
from tests.fakeapi import Fault
from tests.test_chat_turns import err, out, say, sent
from tests.test_chat_turns import make_chat as chat_fixture

make_chat = chat_fixture  # the fixture, shared with test_chat_turns


def test_two_terminals_starting_the_same_named_session_keep_both_answers(make_chat, fake_api):
    first, second = make_chat(name="work"), make_chat(name="work")  # both found no session 'work'
    repl._evaluate(first, "one [[words:2]]")
    reply = repl._evaluate(second, "two [[words:3]]")  # before: IntegrityError, exit 1, the answer lost
    assert not reply.exit and "w1 w2 w3" in out(second)
    assert "another session is already named 'work'" in err(second) and "saved as 'work-2'" in err(second)
    assert (first.label, second.label) == ("work", "work-2")
    assert [e.answer for e in second.store.exchanges(second.meta.id)] == ["w1 w2 w3"]
    repl._evaluate(second, "three [[words:1]]")
    assert err(second).count("another session") == 1 and len(second.store.exchanges(second.meta.id)) == 2


def test_an_unexpected_error_in_a_turn_is_one_line_and_the_chat_goes_on(make_chat, fake_api, monkeypatch):
    chat = make_chat()

    def broken_summary(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("claudecli.chat.turn.print_summary", broken_summary)  # a bug after the answer arrived
    reply = repl._evaluate(chat, "paid for [[words:2]]")
    assert not reply.exit
    assert "error: unexpected RuntimeError: boom second line (the chat goes on)" in err(chat)
    assert_no_traceback(err(chat))
    assert [e.answer for e in chat.store.exchanges(chat.meta.id)] == ["w1 w2"]  # booked before the bug
    monkeypatch.undo()
    repl._evaluate(chat, "next [[words:1]]")
    assert len(chat.conversation) == 2 and len(sent(fake_api)[-1]["messages"]) == 3


def test_names_and_models_are_shown_as_text_never_as_rich_markup(make_chat, fake_api):
    chat = make_chat()
    say(chat, "hello [[words:1]]")
    say(chat, "/save [draft] x")
    chat.meta.model = "[/x]"  # would raise MarkupError if parsed
    chat.save_settings()
    for command, shown in [("/cost", "[draft] x ("), ("/sessions", "[/x]"), ("/resume [draft] x", "[/x]")]:
        before = len(err(chat))
        say(chat, command)
        assert shown in err(chat)[before:] and "[draft] x" in err(chat)[before:], command
    listing = make_chat()
    assert list_sessions(listing.app_ctx, as_json=False) == 0
    assert "[draft] x" in out(listing) and "[/x]" in out(listing)


@pytest.fixture
def max_tokens(monkeypatch):
    def set_to(value: int) -> None:
        monkeypatch.setenv("CLAUDECLI_MAX_TOKENS", str(value))

    return set_to


def test_a_stored_thinking_budget_too_big_for_max_tokens_is_turned_off_with_advice(
    make_chat, fake_api, max_tokens
):
    max_tokens(32000)
    chat = make_chat(name="deep")
    say(chat, "/thinking 16000")
    say(chat, "think [[words:1]]")
    assert sent(fake_api)[-1]["thinking"] == {"type": "enabled", "budget_tokens": 16000}
    max_tokens(8192)  # the config changed since
    later = make_chat()
    resumed, was_resumed = _open_chat(later.app_ctx, later.store, ChatOptions(session="deep"), None)
    assert was_resumed and resumed.meta.thinking is None
    warning = err(later)
    assert (
        "thinking is off for this session: the thinking budget (16000) must be below max_tokens (8192)"
        in warning
    )
    assert "CLAUDECLI_MAX_TOKENS" in warning and "--max-tokens" not in warning
    reply = say(resumed, "again [[words:1]]")
    assert reply.restore is None and "thinking" not in sent(fake_api)[-1]
    with pytest.raises(UsageError, match=r"below max_tokens \(8192\)") as refused:
        say(resumed, "/thinking 16000")
    assert "--max-tokens" not in refused.value.one_line()
    with pytest.raises(UsageError, match=r"below max_tokens \(8192\)"):
        _read_inputs(later.app_ctx, ChatOptions(thinking="16000"))
    other = make_chat()  # /resume checks too
    stored = other.store.find("deep")
    assert stored is not None
    stored.thinking = "16000"
    other.store.save_meta(stored)
    say(other, "/resume deep")
    assert "thinking is off for this session" in err(other) and other.meta.thinking is None


def test_errors_before_sending_give_the_typed_prompt_back(make_chat, fake_api, max_tokens):
    max_tokens(8192)
    chat = make_chat()
    chat.meta.thinking = "16000"  # an invalid setting that got past every check
    reply = say(chat, "my carefully typed prompt")
    assert reply.restore == "my carefully typed prompt" and sent(fake_api) == []
    assert "below max_tokens (8192)" in err(chat) and "(nothing was sent)" in err(chat)


def test_ctrl_c_while_the_models_list_loads_gives_the_prompt_back(make_chat, fake_api):
    chat = make_chat()
    fake_api.enqueue(Fault.hang(3), path="/v1/models")
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        reply = repl._evaluate(chat, "typed before the Ctrl-C")
    finally:
        timer.cancel()
    assert reply.restore == "typed before the Ctrl-C" and not reply.exit
    assert "interrupted: nothing was sent" in err(chat)
    assert fake_api.requests_to("/v1/messages", "POST") == []


def test_a_ctrl_c_while_a_client_is_built_waits_until_it_is_whole():
    # Cut half-way, the SDK's constructor leaves an HTTP client whose finaliser later prints a traceback
    # ("Exception ignored in ... SyncHttpxClientWrapper.__del__"): the Ctrl-C is delivered once it returns.
    from claudecli.core.interrupt import HeldCtrlC

    steps = []
    with pytest.raises(KeyboardInterrupt), HeldCtrlC():
        signal.raise_signal(signal.SIGINT)
        steps.append("the constructor goes on")
    assert steps == ["the constructor goes on"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_error_lines_are_scrubbed_of_secrets(make_chat, fake_api):
    chat = make_chat()
    fake_api.enqueue(Fault.status(400, "invalid_request_error", f"gateway rejected key {TEST_KEY}"))
    say(chat, "hello")
    assert "gateway rejected key ********" in err(chat) and TEST_KEY not in err(chat)


def test_importing_the_chat_modules_does_not_import_prompt_toolkit(base_env):
    from tests.test_chat_cli import _modules_after

    loaded = _modules_after("import claudecli.chat.repl, claudecli.chat.core, claudecli.chat.slash")
    assert "claudecli" in loaded and "prompt_toolkit" not in loaded


def test_tab_completion_choices_without_prompt_toolkit(make_chat, tmp_path):
    chat = make_chat()
    source = repl.CompletionSource(chat)
    assert source.wanted("hello") is None and source.wanted("/mo\nx") is None
    wanted = source.wanted("/th")
    assert wanted is not None and wanted.word == "/th" and "/thinking" in (wanted.choices or [])
    assert source.wanted("/thinking ad") == repl.Wanted("ad", ["adaptive", "off", "1024", "4096", "16000"])
    assert source.wanted("/attach ~/do") == repl.Wanted("~/do", None)
    assert source.wanted("/system @notes") == repl.Wanted("notes", None)
    completer = repl.make_completer(chat)
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    found = [c.text for c in completer.get_completions(Document("/thinking a"), CompleteEvent())]
    assert found == ["adaptive"]


def test_a_ctrl_c_while_the_exit_hint_prints_counts_as_the_second_one(make_chat, monkeypatch):
    """The race the pty test hit on a loaded machine: Ctrl-C between two prompts escaped the REPL (exit 130)."""
    chat = make_chat()
    prompts: list[str] = []

    class Session:
        def prompt(self, message: str, default: str = "", pre_run=None) -> str:
            prompts.append(message)
            raise KeyboardInterrupt  # Ctrl-C on an empty line

    printed = chat.app_ctx.stderr.print

    def print_then_ctrl_c(*args: object, **kwargs: object) -> None:
        printed(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C lands before the next prompt exists

    monkeypatch.setattr(repl, "make_session", lambda _chat: Session())
    monkeypatch.setattr(chat.app_ctx.stderr, "print", print_then_ctrl_c)
    assert repl.run(chat) == 0
    assert len(prompts) == 1 and "Ctrl-C again or Ctrl-D to leave" in err(chat)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
