"""Tell whoever waits on a call that the SDK is about to retry it (a 429, 529, 5xx before any answer).

The SDK retries inside one ``messages.stream(...)`` call and sleeps between attempts (a server's retry-after, up
to ``retry_after_cap``); nothing outside sees it. The client's middleware calls :func:`report` with each failed
response, and the fallback (call.stream) :func:`report_fallback`; a spinner that registered a listener with
:func:`listening` shows why it is still waiting, and on which model.
"""

from __future__ import annotations

import contextvars
from typing import Protocol


class Listener(Protocol):
    def retrying(self, status: int, seconds: float | None) -> None:
        """A failed attempt with ``status``; the SDK tries again after ``seconds`` (a retry-after, already capped),
        or after a backoff of its own choosing (None)."""

    def falling_back(self, failed_model: str, fallback_model: str) -> None:
        """The call goes to the fallback model now (see call.fallback)."""


_listener: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("retry_listener", default=None)

_RETRIED = frozenset({408, 409, 429})  # and every 5xx: the statuses the SDK retries


def listening(listener: Listener | None) -> contextvars.Token[Listener | None]:
    """Make ``listener`` hear the failed attempts of calls made from now on (None: nobody); give the token back to
    :func:`stop_listening`."""
    return _listener.set(listener)


def stop_listening(token: contextvars.Token[Listener | None]) -> None:
    try:
        _listener.reset(token)
    except ValueError:  # set in another context (never in practice): just forget the listener
        _listener.set(None)


def report(status: int, retry_after: str | None) -> None:
    """A response with ``status`` came back; tell the listener if the SDK retries that status."""
    listener = _listener.get()
    if listener is None or not (status in _RETRIED or status >= 500):
        return
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    listener.retrying(status, seconds)


def report_fallback(failed_model: str, fallback_model: str) -> None:
    listener = _listener.get()
    if listener is not None:
        listener.falling_back(failed_model, fallback_model)


def describe(status: int, seconds: float | None) -> str:
    """'rate limited (429): trying again in 8 s', for a spinner's label."""
    if status == 429:
        why = "rate limited"
    elif status == 529:
        why = "overloaded"
    elif status >= 500:
        why = "server error"
    else:
        why = "request failed"
    when = f" in {seconds:.0f} s" if seconds is not None and seconds >= 1 else ""
    return f"{why} ({status}): trying again{when}…"
