"""One asyncio event loop on a background thread, for the process's MCP clients.

The tool loop is synchronous and the MCP SDK is asynchronous. Rather than an event loop per call (a server's
connection must outlive a call) or making the tool loop async, every MCP connection lives on this one loop, on a
daemon thread started the first time a server is enabled. The synchronous side submits a coroutine and waits for
it with a deadline, checking the ``cancel`` event (Ctrl-C) while it waits; either cancels the coroutine on the
loop, where the SDK turns that into a cancelled request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.05  # how often a waiting caller looks at its cancel event


class Cancelled(Exception):
    """The caller's cancel event was set (Ctrl-C) while it waited."""


class DeadlineExceeded(Exception):
    """The coroutine did not finish in time (it has been cancelled on the loop)."""


class BackgroundLoop:
    """An event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="claudecli-mcp", daemon=True)
        self._thread.start()

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        timeout: float | None,
        cancel: threading.Event | None = None,
    ) -> T:
        """Run ``coro`` on the loop and return its result (or raise its exception) within ``timeout`` seconds.

        Raises DeadlineExceeded on timeout and Cancelled when ``cancel`` is set; a KeyboardInterrupt while waiting
        cancels the coroutine and is raised again.
        """
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                wait = POLL_SECONDS if deadline is None else min(POLL_SECONDS, deadline - time.monotonic())
                done, _ = concurrent.futures.wait([future], timeout=max(wait, 0))
                if done:
                    return future.result()
                if cancel is not None and cancel.is_set():
                    future.cancel()
                    raise Cancelled()
                if deadline is not None and time.monotonic() >= deadline:
                    future.cancel()
                    raise DeadlineExceeded()
        except KeyboardInterrupt:
            future.cancel()
            raise

    def call_soon(self, callback: Any, *args: Any) -> None:
        """Run a plain callback on the loop's thread (to set an asyncio.Event from this one)."""
        self.loop.call_soon_threadsafe(callback, *args)


_shared: BackgroundLoop | None = None
_shared_lock = threading.Lock()


def background_loop() -> BackgroundLoop:
    """The process's one loop, started on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BackgroundLoop()
        return _shared
