"""Each attempt of a streamed call that may have reached the API keeps a ledger row, the SDK's retries included.

The SDK retries inside one ``messages.stream(...)`` call: after an error status (429, 529, 5xx: an answer, never
billed) and after an attempt that got no answer at all (it timed out, or its connection broke). That one may have
reached the API and been paid for, and the SDK says nothing of it; the client's middleware does
(``core.retry_notice``). The call's write-ahead row stands for its attempt under way. When an attempt was lost
and another is about to leave, the lost one's row is completed as that failure and the next gets a write-ahead
row of its own, as ``batch run`` does for the retries it makes itself. A retry after an error status goes on in
the same row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

BookAhead = Callable[[], "int | None"]
BookLost = Callable[["int | None", BaseException, int], None]  # (its row, why, how long it took in ms)


class AttemptRows:
    """The row of the attempt under way (``call_id``), renewed when an attempt before it was lost. Rows are
    written ``held``: with Ctrl-C held back, so that one cannot land between a row written and its id kept."""

    def __init__(
        self, book_ahead: BookAhead, book_lost: BookLost, *, held: Callable[[], AbstractContextManager[None]]
    ) -> None:
        self._book_ahead = book_ahead
        self._book_lost = book_lost
        self._held = held
        self.call_id: int | None = None
        self._lost: tuple[BaseException, float] | None = None  # and when it was seen lost
        self._started = time.monotonic()

    def first(self) -> None:
        """The first attempt's write-ahead row, before anything is sent."""
        with self._held():
            self.call_id = self._book_ahead()
        self._started = time.monotonic()

    def starting(self, retries_taken: int) -> None:
        lost, self._lost = self._lost, None
        if retries_taken == 0 or lost is None:
            return
        exc, ended = lost
        with self._held():  # the time it took, not the SDK's wait before this retry
            self._book_lost(self.call_id, exc, int((ended - self._started) * 1000))
            self.call_id = self._book_ahead()
        self._started = time.monotonic()

    def lost(self, exc: BaseException) -> None:
        self._lost = (exc, time.monotonic())
