"""Tell whoever waits on a call that the SDK is about to retry it (a 429, 529, 5xx before any answer), and
whoever books it that an attempt left or was lost; and the two facts every retry in claudecli reads alike: which
statuses are retried, and how long a server asks to wait.

The SDK retries inside one ``messages.stream(...)`` call and sleeps between attempts (a server's retry-after, up
to ``retry_after_cap``); nothing outside sees it. The client's middleware calls :func:`report` with each failed
response, and the fallback (call.stream) :func:`report_fallback`; a spinner that registered a listener with
:func:`listening` shows why it is still waiting, and on which model. The middleware also calls
:func:`attempt_starting` before each attempt and :func:`attempt_lost` when one got no answer, for the call's
:class:`AttemptBooker` (``call.attempts``: each attempt that may have been paid for has a ledger row).
``batch run`` and ``batch submit`` retry by themselves (``batch.retry``), with the same
:func:`is_retried_status` and :func:`retry_after_seconds`.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Iterator, Mapping
from datetime import UTC
from typing import Protocol


class Listener(Protocol):
    def retrying(self, status: int, seconds: float | None) -> None:
        """A failed attempt with ``status``; the SDK tries again after ``seconds`` (a retry-after, already capped),
        or after a backoff of its own choosing (None)."""

    def falling_back(self, failed_model: str, fallback_model: str) -> None:
        """The call goes to the fallback model now (see call.fallback)."""

    def no_answer(self, timed_out: bool) -> None:
        """An attempt got no answer (it timed out, or its connection broke); the SDK may try again."""


class AttemptBooker(Protocol):
    def starting(self, retries_taken: int) -> None:
        """An attempt is about to leave (``retries_taken``: how many went before it)."""

    def lost(self, exc: BaseException) -> None:
        """The attempt under way got no answer: it timed out, or its connection broke."""


_listener: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("retry_listener", default=None)
_booker: contextvars.ContextVar[AttemptBooker | None] = contextvars.ContextVar("attempt_booker", default=None)

RETRIED_STATUSES = frozenset({408, 409, 429})  # and every 5xx: the statuses the SDK retries


def is_retried_status(status: int) -> bool:
    return status in RETRIED_STATUSES or status >= 500


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """How long a failed response asks to wait, read as the SDK reads it: ``retry-after-ms``, else
    ``retry-after`` in seconds or as an HTTP date. None when it names no wait that can be read (a server's
    header is untrusted: garbage, NaN or a date that does not parse is no wait, never an error); never negative.
    """
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds: float | None = float(value) * scale
        except ValueError:
            seconds = _until(value) if scale == 1.0 else None
        if seconds is not None and not math.isnan(seconds):
            return max(0.0, seconds)
    return None


def _until(http_date: str) -> float | None:
    import email.utils  # lazy: 12 ms that `models` and every local command importing the client would pay

    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # an HTTP date is GMT
    return moment.timestamp() - time.time()


def listening(listener: Listener | None) -> contextvars.Token[Listener | None]:
    """Make ``listener`` hear the failed attempts of calls made from now on (None: nobody); give the token back to
    :func:`stop_listening`."""
    return _listener.set(listener)


def stop_listening(token: contextvars.Token[Listener | None]) -> None:
    try:
        _listener.reset(token)
    except ValueError:  # set in another context (never in practice): just forget the listener
        _listener.set(None)


@contextlib.contextmanager
def booking_attempts(booker: AttemptBooker) -> Iterator[None]:
    """Calls made in the block tell ``booker`` of their attempts."""
    token = _booker.set(booker)
    try:
        yield
    finally:
        _booker.reset(token)


def attempt_starting(retries_taken: int) -> None:
    booker = _booker.get()
    if booker is not None:
        booker.starting(retries_taken)


def attempt_lost(exc: BaseException) -> None:
    booker = _booker.get()
    if booker is not None:
        booker.lost(exc)
    listener = _listener.get()
    if listener is not None:
        listener.no_answer("Timeout" in type(exc).__name__)


def report(status: int, headers: Mapping[str, str]) -> None:
    """A response with ``status`` came back; tell the listener if the SDK retries that status."""
    listener = _listener.get()
    if listener is not None and is_retried_status(status):
        listener.retrying(status, retry_after_seconds(headers))


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
