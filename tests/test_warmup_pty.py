"""The chat's warm-up in a real pseudo-terminal: it loads while the person sits at the prompt, shows nothing,
and a warm-up that fails (no key, an unreachable API, a corrupted models cache) changes nothing the person sees
until the first turn, which then shows the very error lines it showed without a warm-up.

Each chat runs under a probe that only records, in a file, when the warm-up thread has finished, so a test can
wait for it without typing anything.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pexpect
import pytest

from claudecli.catalog.cache import CachedModels, write_cache
from tests.conftest import subprocess_env
from tests.test_chat_pty import ANSI, PROMPT, chat_requests, text_of
from tests.zygote import ForkedSpawn

pytestmark = pytest.mark.pty

PROBE = """
import os, sys, threading
original_run = threading.Thread.run
def run(self):
    try:
        original_run(self)
    finally:
        if self.name == "claudecli-warmup":
            with open(os.environ["WARMUP_DONE"], "a") as marker:
                marker.write("done\\n")
threading.Thread.run = run
"""
FRESH = """
sys.argv = ["claudecli", *sys.argv[1:]]
from claudecli.cli.startup import main
main()
"""
CONTROL = re.compile(r"[\x00-\x1f]")
NO_KEY = (
    "error: no API key; set ANTHROPIC_API_KEY, or api_key / api_key_command in config.toml "
    "(see `claudecli config path`)"
)
UNREACHABLE = (
    "error: cannot connect to the API: ConnectError (no answer; your prompt is back on the input line)"
)


class WarmChat:
    """`claudecli chat --plain` (under the probe) in a 40x100 pseudo-terminal."""

    def __init__(
        self, tmp_path: Path, env: dict[str, str | None] | None = None, *, cold: bool = False
    ) -> None:
        """``cold``: a fresh interpreter, whose warm-up still has the SDK to import (the tests about waiting for
        it); otherwise forked from the pre-loaded zygote (tests/zygote.py), where the warm-up still builds the
        client, reads the catalogue and opens the ledger, and fails as it would."""
        self.marker = tmp_path / f"warmup-done-{time.monotonic_ns()}"
        env = subprocess_env({"PROMPT_TOOLKIT_NO_CPR": "1", "WARMUP_DONE": str(self.marker), **(env or {})})
        shape = {"dimensions": (40, 100), "encoding": "utf-8", "timeout": 30}
        if cold:
            self.child = pexpect.spawn(
                sys.executable, ["-c", PROBE + FRESH, "chat", "--plain"], env=env, **shape
            )
        else:
            self.child = ForkedSpawn(["chat", "--plain"], env=env, prelude=PROBE, **shape)
        self.child.expect(PROMPT)
        self.greeting = ANSI.sub("", self.child.before or "")

    def idle_until_warm(self) -> str:
        """Type nothing until the warm-up has finished (and a moment more); return what was printed meanwhile."""
        deadline = time.monotonic() + 60
        while not self.marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.marker.exists(), "the warm-up never finished"
        with pytest.raises(pexpect.TIMEOUT):
            self.child.expect("anything at all", timeout=0.5)
        return CONTROL.sub("", ANSI.sub("", self.child.before or "")).strip()

    def send(self, text: str, until: str) -> str:
        self.child.send(text + "\r")
        self.child.expect(until)
        seen = ANSI.sub("", (self.child.before or "") + str(self.child.after or ""))
        self.child.expect(PROMPT)
        return " ".join(seen.replace("\r", "").split())

    def leave(self) -> int:
        self.child.sendintr()  # clears a prompt given back to the line
        time.sleep(0.2)
        self.child.sendeof()
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


def test_the_warm_up_runs_silently_at_the_prompt_and_the_first_turn_answers(
    cli_env, run_cli, fake_api, ledger_rows, tmp_path
):
    run_cli("models")  # a cached models list, as for anyone but a first-time user: no SDK before the prompt
    chat = WarmChat(tmp_path, cold=True)  # the real import runs at the prompt
    assert chat.idle_until_warm() == ""
    assert "w1 w2 w3" in chat.send("hello [[words:3]]", "end_turn")
    assert chat.leave() == 0
    assert len(chat_requests(fake_api)) == 1 and len(ledger_rows()) == 1


def test_the_warm_up_opens_the_connection_the_first_turn_uses(
    cli_env, run_cli, fake_api, ledger_rows, tmp_path
):
    """The first turn opened its own connection (TCP and TLS, against the real API most of a first answer's
    extra time): the warm-up now opens it with a request that bills nothing, the model's models-list entry,
    and an idle connection is kept longer than the 5 s it was (a message takes longer than that to type)."""
    run_cli("models")
    chat = WarmChat(tmp_path)
    assert chat.idle_until_warm() == ""
    deadline = time.monotonic() + 20  # on a thread of its own, which the warm-up does not wait for
    while not (
        touches := [r for r in fake_api.requests if r.method == "GET" and r.path.startswith("/v1/models/")]
    ):
        assert time.monotonic() < deadline, "the connection was never opened"
        time.sleep(0.05)
    assert [r.path for r in touches] == ["/v1/models/claude-sonnet-5-5"]
    time.sleep(6)  # typing takes a while: kept idle longer than the HTTP library's default 5 s
    assert "w1 w2" in chat.send("hello [[words:2]]", "end_turn")
    [turn] = fake_api.requests_to("/v1/messages", "POST")
    assert turn.peer_port == touches[0].peer_port  # the same connection
    assert chat.leave() == 0
    assert len(ledger_rows()) == 1  # only the turn is booked


def test_enter_before_the_warm_up_is_done_waits_for_it(cli_env, run_cli, fake_api, ledger_rows, tmp_path):
    run_cli("models")
    chat = WarmChat(tmp_path, cold=True)
    assert "w1 w2" in chat.send("at once [[words:2]]", "end_turn")  # the warm-up has only just started
    assert chat.leave() == 0
    assert len(chat_requests(fake_api)) == 1 and len(ledger_rows()) == 1
    assert "Traceback" not in chat.greeting


def test_ctrl_c_while_the_turn_waits_for_the_warm_up_sends_nothing(
    cli_env, run_cli, fake_api, ledger_rows, tmp_path
):
    run_cli("models")  # the SDK is then first imported by the warm-up, after the prompt
    chat = WarmChat(tmp_path, cold=True)
    chat.child.send("a question worth keeping\r")
    chat.child.expect("claude-sonnet-5-5…")  # the call's spinner shows while the warm-up finishes
    assert not chat.marker.exists()  # still warming up: the turn is waiting for it
    chat.child.sendintr()
    chat.child.expect("interrupted: nothing was sent")
    chat.child.expect(PROMPT)
    assert "w1" in chat.send(" [[words:1]]", "end_turn")  # the prompt was given back; this appends to it
    assert chat.leave() == 0
    assert [text_of(body["messages"][0]["content"]) for body in chat_requests(fake_api)] == [
        "a question worth keeping [[words:1]]"
    ]
    assert len(ledger_rows()) == 1


def test_no_key_shows_nothing_until_the_first_turn_then_the_usual_error(cli_env, fake_api, tmp_path):
    chat = WarmChat(tmp_path, env={"ANTHROPIC_API_KEY": None})
    assert chat.idle_until_warm() == ""  # the warm-up failed to build a client, silently
    assert NO_KEY in chat.send("hello", "config path`\\)")
    assert NO_KEY in chat.send("again", "config path`\\)")  # and every turn tries again, as before
    assert chat.leave() == 0
    assert chat_requests(fake_api) == []


def test_an_unreachable_api_shows_nothing_until_the_first_turn_then_the_usual_error(
    cli_env, fake_api, home, tmp_path
):
    unreachable = "http://127.0.0.1:9"
    cached = CachedModels(models=fake_api.models, fetched_at=datetime.now(UTC), base_url=unreachable)
    write_cache(home / "cache" / "models.json", cached)  # so the warm-up, not the start, first loads the SDK
    chat = WarmChat(tmp_path, env={"ANTHROPIC_BASE_URL": unreachable, "CLAUDECLI_MAX_RETRIES": "0"})
    assert chat.idle_until_warm() == ""
    assert UNREACHABLE in chat.send("hello", "input line\\)")
    assert chat.leave() == 0


def test_a_corrupted_models_cache_changes_nothing_the_user_sees(cli_env, fake_api, home, tmp_path):
    cache = home / "cache" / "models.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text('{"version": 1, "models": [{"id": ', encoding="utf-8")
    chat = WarmChat(tmp_path)
    assert "claude-sonnet-5-5" in chat.greeting and "error" not in chat.greeting
    assert chat.idle_until_warm() == ""
    assert "w1 w2" in chat.send("hello [[words:2]]", "end_turn")
    assert chat.leave() == 0
    assert len(fake_api.requests_to("/v1/models", "GET")) == 1  # refetched once, not again by the warm-up
    assert json.loads(cache.read_text(encoding="utf-8"))["models"]


def test_the_warm_up_never_runs_api_key_command(cli_env, run_cli, write_config, tmp_path):
    runs = tmp_path / "key-command-runs"
    script = tmp_path / "key.py"
    script.write_text(
        f"open({str(runs)!r}, 'a').write('run\\n')\nprint({cli_env['ANTHROPIC_API_KEY']!r})\n",
        encoding="utf-8",
    )
    write_config(f"api_key_command = [{sys.executable!r}, {str(script)!r}]\n")
    env: dict[str, str | None] = {"ANTHROPIC_API_KEY": None}
    assert run_cli("models", env=env).exit_code == 0  # caches the models list (the command runs once)
    chat = WarmChat(tmp_path, env=env)
    assert chat.idle_until_warm() == ""
    assert (
        runs.read_text().count("run") == 1
    )  # it may need the terminal being typed at: not in the background
    assert "w1" in chat.send("hello [[words:1]]", "end_turn")
    assert runs.read_text().count("run") == 2  # the first turn ran it, in the foreground, as before
    assert chat.leave() == 0


def test_a_damaged_ledger_is_left_alone_by_the_warm_up_then_handled_by_the_first_turn(
    cli_env, fake_api, ledger_rows, home, tmp_path
):
    ledger = home / "data" / "usage.db"
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b"this is not a SQLite database at all\n" * 200)
    chat = WarmChat(tmp_path)
    assert chat.idle_until_warm() == ""  # nothing said, nothing moved, while the person types
    assert ledger.exists() and not list(ledger.parent.glob("usage.db.corrupt-*"))
    seen = chat.send("hello [[words:2]]", "end_turn")
    (aside,) = ledger.parent.glob("usage.db.corrupt-*")
    assert f"kept as {aside.name}" in seen  # the first turn's note, as without a warm-up
    assert chat.leave() == 11  # and the chat ends as a store incident does
    assert len(ledger_rows()) == 1
