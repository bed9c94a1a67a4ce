"""The terminal's echo while claudecli draws a live area (claudecli.render.terminal): holds nest, threads cannot
race them into leaving the echo off, and a turn's hold, once closed, cannot be taken again."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator

import pytest

from claudecli.render.terminal import EchoHold, hide_typed_echo

termios = pytest.importorskip("termios")


@pytest.fixture
def tty(monkeypatch) -> Iterator[int]:
    """A pseudo-terminal as stdin; yields its descriptor (to read its settings)."""
    master, slave = os.openpty()
    with open(slave, closefd=True) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        yield slave
    os.close(master)


def echoing(fd: int) -> bool:
    return bool(termios.tcgetattr(fd)[3] & termios.ECHO)


def test_echo_holds_nest_in_any_order_and_the_echo_returns_with_the_last(tty):
    """The chat hands the hidden echo from the warm-up's spinner to the turn and on to the call's spinner: a key
    typed at any moment in between must not be echoed into a live area (it wrapped the spinner's row)."""
    assert echoing(tty)
    turn = hide_typed_echo()
    warmup_spinner = hide_typed_echo()
    warmup_spinner()
    assert not echoing(tty)  # between the two spinners
    call_spinner = hide_typed_echo()
    turn()
    turn()  # given back twice: counts once
    assert not echoing(tty)
    call_spinner()
    assert echoing(tty)


def test_echo_holds_taken_and_given_back_from_several_threads_leave_the_echo_on(tty):
    """Tool events (which take and give back holds) come from the tool threads: a give-back racing a take saved
    the echo-off settings as the ones to restore, and the echo stayed off after the chat."""

    def hold_and_give_back() -> None:
        for _ in range(2000):
            hide_typed_echo()()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows every run
    try:
        threads = [threading.Thread(target=hold_and_give_back) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert echoing(tty)


def test_a_closed_hold_cannot_be_taken_again(tty):
    """A tool thread still running after its turn ended (a second Ctrl-C) shows a line and takes the turn's
    hold again: the echo then stayed off for every later question."""
    turn = EchoHold()
    turn.take()
    turn.give_back()  # an approval question
    turn.take()  # the tool it allowed starts
    assert not echoing(tty)
    turn.close()  # the turn is over
    assert echoing(tty)
    turn.take()  # the late tool thread
    assert echoing(tty)
