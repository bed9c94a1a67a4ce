"""The warm-up: load, in a background thread, what a command's first API call will need, while the person
types at the chat prompt or the input is still arriving.

Two small parts, used together:

* :class:`Lazy` holds one expensive value (the SDK client, the price book): built at most once, by whichever
  thread asks first, under a lock. A thread that asks while another is building waits for that build instead
  of starting a second one. When a *background* build fails (:meth:`Lazy.prime`), the exception is kept and
  raised by the next :meth:`Lazy.get` - in the main thread, where the value is needed - exactly once, so the
  user sees the same one-line error at the same moment as without a warm-up; the ``get`` after that builds
  afresh (a chat turn after a failed one tries again, as it always did).
* :class:`Warmup` runs a command's steps one after another on a daemon thread. It prints nothing and raises
  nothing: a step that fails leaves its failure in a :class:`Lazy`, or leaves the work undone for the main
  thread, which then meets the failure itself. ``wait`` is how a first call joins it.

Which steps a command warms is the command's business (``claudecli.call.warm``, ``claudecli.chat.warm``);
the collector pause a background import runs under is :mod:`claudecli.core.gc_pause`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

Step = Callable[[], object]

# A wait wakes this often: a Ctrl-C the kernel delivers to another thread (the warm-up, a spinner's) only sets
# a flag, which the main thread reads when it runs again; a wait that never wakes would hold the Ctrl-C back
# until the warm-up ends.
WAKE_EVERY_S = 0.05


def acquire(lock: threading.Lock) -> None:
    """Take ``lock``, waiting as long as it takes, yet at once interruptible by Ctrl-C (see WAKE_EVERY_S)."""
    while not lock.acquire(timeout=WAKE_EVERY_S):
        pass


class Lazy(Generic[T]):
    """One value built on first use, exactly once, whichever thread asks first (see the module doc)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: T | None = None
        self._failure: Exception | None = None

    @property
    def value(self) -> T | None:
        """The value if it has been built; never builds and never waits."""
        return self._value

    def get(self) -> T:
        """The value, built now if need be (or waited for, if another thread is building it).

        Raises the failure a background build kept, once; otherwise whatever building raises.
        """
        value = self._value
        if value is not None:
            return value
        acquire(self._lock)
        try:
            if self._value is None:
                failure, self._failure = self._failure, None
                if failure is not None:
                    raise failure
                self._value = self._build()
            return self._value
        finally:
            self._lock.release()

    def prime(self) -> None:
        """Build it now (from the warm-up thread); a failure is kept for the next :meth:`get`, not raised."""
        with self._lock:
            if self._value is not None or self._failure is not None:
                return
            try:
                self._value = self._build()
            except Exception as exc:
                self._failure = exc


class Warmup:
    """Runs steps in order on a daemon thread, once; :meth:`wait` joins it."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self._steps = list(steps)
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        self._cancelled = threading.Event()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def start(self) -> Warmup:
        """Start the thread (a second call does nothing). Daemon: leaving never waits for it."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="claudecli-warmup", daemon=True)
            self._thread.start()
        return self

    def wait(self) -> None:
        """Return once every step has run (at once if it was never started). Ctrl-C interrupts the wait only:
        the warm-up goes on, and the next wait joins it again."""
        if self._thread is not None:
            while not self._finished.wait(WAKE_EVERY_S):
                pass

    def cancel(self) -> None:
        """Start no further step (the program is leaving); the step under way finishes on its own."""
        self._cancelled.set()

    def _run(self) -> None:
        try:
            for step in self._steps:
                if self._cancelled.is_set():
                    break
                try:
                    step()
                except Exception:  # the main thread meets this failure where it needs the value
                    continue
        finally:
            self._finished.set()
