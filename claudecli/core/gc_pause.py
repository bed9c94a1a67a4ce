"""The start-up garbage-collector pause: the one module that turns the collector off and on again.

Loading modules allocates hundreds of thousands of objects (classes, functions, pydantic models) that live as
long as the process and almost never form garbage. The cyclic collector cannot know that: it walks the young
objects every 700 allocations and, as they age, the whole growing heap again and again. Measured here, that is
about 15 % of the SDK's import, some 0.18 s of every ``claudecli ask``.

So the console entry point (and nothing else: importing claudecli as a library never arms it) calls
:func:`arm`, which pauses collection while Typer and claudecli load. The pause has one explicit end,
:func:`end_startup`, called once the chosen command's module is loaded (``cli.registry``). A heavy import
that comes later, when a command first needs it (the SDK), runs inside :func:`heavy_import`, paused again
only in an armed process. Each end first *freezes* what is loaded (``gc.freeze``: a permanent generation the
collector never scans), so the first collection afterwards does not walk it all at once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_armed = False  # set by the console entry point only
_paused = False  # True while a pause of ours is on


def arm() -> None:
    """Called first thing by the console entry point: pause collection while the program loads."""
    global _armed
    _armed = True
    _pause()


def end_startup() -> None:
    """Start-up is over: freeze what is loaded and collect automatically again (no-op if not paused by us)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


@contextmanager
def heavy_import() -> Iterator[None]:
    """Pause collection for one large import, in an armed process only; the collector is left as it was."""
    if not _armed or _paused or not gc.isenabled():
        yield
        return
    _pause()
    try:
        yield
    finally:
        end_startup()


def _pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def freeze_long_lived() -> None:
    """Everything alive now outlives what comes next (a long ``batch run``): collect once, then freeze it,
    so the cyclic collector does not re-walk it mid-run (a full collection stalls an event loop ~50 ms)."""
    gc.collect()
    gc.freeze()
