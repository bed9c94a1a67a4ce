"""Creating one part's Message Batch, and never creating it twice.

The SDK retries failed requests on its own; for a create call whose response was lost (the connection
dropped after the API had made the batch) that would make a second batch. So the call is made with the SDK's
retries off, and each failure is handled by what it means:

* a refusal (400, 401, 402, 403, 404): nothing was created → the part goes back to ``new``, the error is raised;
* 429 / 529: nothing was created → wait (``retry-after``, capped) and try again;
* an ambiguous failure (connection dropped, timeout, 5xx): the batch may exist, or may still appear if the
  API is slow → one look at the remote list (``reconcile``): batches that could be it are recorded as
  unverified candidates, and one is taken only if its results already prove it ours. Otherwise the part
  stays ``creating`` and the error is raised (its exit code): the next run reconciles it. It is never
  created again in the same run.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from claudecli.batch import remote
from claudecli.batch.reconcile import Reconciled, reconcile_part
from claudecli.batch.retry import retry_delay
from claudecli.call.request import platform_params, request_betas
from claudecli.core.errors import (
    AuthError,
    BadRequestError,
    BillingError,
    ConnectionFailed,
    NotFoundError,
    RateLimitedError,
    ServerError,
)

if TYPE_CHECKING:
    from claudecli.batch.journal import Journal
    from claudecli.batch.journal_rows import Part
    from claudecli.batch.spool import SpoolBody
    from claudecli.core.context import AppContext

REFUSED = (BadRequestError, AuthError, NotFoundError, BillingError)


def create_part(app_ctx: AppContext, journal: Journal, part: Part, body: SpoolBody) -> str:
    """Create the batch of ``part`` from ``body``; journal and return its id."""
    client = app_ctx.client.with_options(max_retries=0)
    attempts = app_ctx.settings.max_retries
    cap = app_ctx.settings.retry_after_cap
    betas = request_betas(app_ctx.settings, platform_params(app_ctx.settings))
    for attempt in range(attempts + 1):
        journal.mark_creating(part.id)  # committed before the call: the trace a killed run leaves
        try:
            batch = remote.create(client, body, betas)
        except REFUSED:
            journal.reset_part(part.id)
            raise
        except RateLimitedError as exc:
            journal.reset_part(part.id)
            if attempt >= attempts:
                raise
            time.sleep(retry_delay(exc.__cause__ or exc, attempt, cap))
            continue
        except (ServerError, ConnectionFailed) as exc:
            try:
                outcome = reconcile_part(app_ctx, journal, journal.part(part.id))
            except (ServerError, ConnectionFailed, RateLimitedError):
                outcome = Reconciled()  # the list call failed too: the next run looks again
            if outcome.batch_id is not None:
                return outcome.batch_id
            exc.hint = (
                "the batch may still have been created: the next run reconciles it (never re-sent blindly)"
            )
            if outcome.waiting:
                exc.hint += (
                    f"; {', '.join(outcome.waiting)} could be it: unverified until its results show whose"
                )
            raise
        journal.mark_submitted(part.id, batch.id, batch.created_at.isoformat())
        app_ctx.note(f"submitted {batch.id} ({part.request_count:,} requests)")
        return batch.id
    raise AssertionError("unreachable")  # pragma: no cover
