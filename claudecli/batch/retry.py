"""Retrying one real-time request of ``batch run``: which failures to retry, how long to wait, and a gate.

The SDK's own retries are turned off for ``batch run`` (its client is copied with ``max_retries=0``) so the
runner sees every 429: on one, the :class:`RateGate` holds *all* workers until the server's retry-after (or
the back-off) has passed, instead of each worker hammering the limit on its own schedule. Waits honour
``retry-after-ms`` / ``retry-after`` (capped by ``retry_after_cap``), else back off exponentially with jitter.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from claudecli.core.errors import ConnectionFailed
from claudecli.core.retry_notice import is_retried_status, retry_after_seconds

BASE_DELAY_S = 0.5
MAX_DELAY_S = 8.0
RATE_STATUSES = frozenset({429, 529})
ACCOUNT_STATUSES = frozenset({401, 402})


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _headers(exc: BaseException) -> Any:
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None) or {}


def is_retryable(exc: BaseException) -> bool:
    """429/529/5xx/408/409 (unless the server says ``x-should-retry: false``) and transport failures."""
    should = str(_headers(exc).get("x-should-retry", "")).lower()
    if should in ("true", "false"):
        return should == "true"
    status = status_of(exc)
    if isinstance(exc, ConnectionFailed):  # ``no_message``: a 200 that was not the API's
        return True
    if status is None:
        import anthropic

        module = type(exc).__module__ or ""
        return isinstance(exc, anthropic.APIConnectionError) or module.startswith(("httpx2", "httpcore"))
    return is_retried_status(status)


def is_account_failure(exc: BaseException) -> bool:
    """401 (the key is rejected) or 402 (the account cannot pay): the API's word on the account, not the line.
    Every other line would get it too, and it stops being true once the key or the billing is fixed, so such a
    request gets no result line (a rerun sends it) and the run stops sending."""
    return status_of(exc) in ACCOUNT_STATUSES


def is_rate_limit(exc: BaseException) -> bool:
    return status_of(exc) in RATE_STATUSES


def retry_delay(exc: BaseException, attempt: int, cap: float) -> float:
    """Seconds to wait before retry number ``attempt + 1``."""
    asked = retry_after_seconds(_headers(exc))
    if asked is not None:
        return min(asked, cap)
    backoff = min(BASE_DELAY_S * 2**attempt, MAX_DELAY_S) * (0.75 + random.random() / 4)
    return min(backoff, cap)


class RateGate:
    """A shared pause: after a rate limit, no worker sends until the wait is over."""

    def __init__(self) -> None:
        self._until = 0.0

    def pause(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)

    async def wait(self) -> None:
        while (left := self._until - time.monotonic()) > 0:
            await asyncio.sleep(left)
