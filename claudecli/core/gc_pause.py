"""The start-up garbage-collector pause: the one module that turns the collector off and on again.

Loading modules allocates hundreds of thousands of objects (classes, functions, pydantic models) that live as
long as the process and almost never form garbage. The cyclic collector cannot know that: it walks the young
objects every 700 allocations and, as they age, the whole growing heap again and again. Measured here, that is
about 15 % of the SDK's import, some 0.18 s of every ``claudecli ask``.

So the console entry point (and nothing else: importing claudecli as a library never arms it) calls
:func:`arm`, which pauses collection while Typer and claudecli load. The pause has one explicit end,
:func:`end_startup`, called once the chosen command's module is loaded (``cli.registry``). A heavy load that
comes later, when a command first needs it (the SDK's import, the SDK's first build of its response models),
runs inside :func:`heavy_import`, paused again only in an armed process. Each end first *freezes* what is
loaded (``gc.freeze``: a permanent generation the collector never scans, and an O(1) move), so the first
collection afterwards does not walk it all at once.

Threads (the warm-up, :mod:`claudecli.core.warmup`, imports the SDK in the background while the main thread
keeps serving the prompt): the collector is process-wide, so the pauses are counted under a lock. Collection
is off while at least one pause of ours is on - the start-up one, or a heavy load on any thread - and comes
back, after a freeze, when the last one ends. Every pause ends in a ``finally``, so a background import that
fails cannot leave collection off; and a pause only ever spans a load, never a wait on the network or the user.
The price is small and bounded: garbage the main thread makes during a background load (about a second of
prompt-toolkit key handling) is frozen with the load instead of collected.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_armed = False  # set by the console entry point only
_startup = False  # the start-up pause is still on
_pauses = 0  # pauses of ours in force (start-up, heavy loads on any thread)


def arm() -> None:
    """Called first thing by the console entry point: pause collection while the program loads."""
    global _armed, _startup
    with _lock:
        _armed = True
        if not _startup and _take():
            _startup = True


def end_startup() -> None:
    """Start-up is over: freeze what is loaded and collect automatically again (no-op if not paused by us)."""
    global _startup
    with _lock:
        if _startup:
            _startup = False
            _give_back()


@contextmanager
def heavy_import() -> Iterator[None]:
    """Pause collection for one large import or build, in an armed process only, on any thread."""
    with _lock:
        taken = _armed and _take()
    try:
        yield
    finally:
        if taken:
            with _lock:
                _give_back()


def _take() -> bool:
    """One more pause of ours (the caller holds the lock); False when someone else turned collection off."""
    global _pauses
    if _pauses == 0:
        if not gc.isenabled():
            return False
        gc.disable()
    _pauses += 1
    return True


def _give_back() -> None:
    """One pause of ours fewer (the caller holds the lock); the last one freezes what is loaded and resumes."""
    global _pauses
    _pauses -= 1
    if _pauses == 0:
        gc.freeze()
        gc.enable()


def freeze_long_lived() -> None:
    """Everything alive now outlives what comes next (a long ``batch run``): collect once, then freeze it,
    so the cyclic collector does not re-walk it mid-run (a full collection stalls an event loop ~50 ms)."""
    gc.collect()
    gc.freeze()
