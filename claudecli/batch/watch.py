"""Polling batches until they end, with a progress bar on stderr when it is a terminal (never otherwise)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from claudecli.batch import remote
from claudecli.core.controls import is_tty
from claudecli.core.errors import ClaudeCliError, ConnectionFailed, RateLimitedError, ServerError

GIVE_UP_AFTER_S = 15 * 60  # a poll failing for this long ends the wait (the batch itself runs on)

if TYPE_CHECKING:
    from claudecli.batch.remote import RemoteBatch
    from claudecli.core.context import AppContext


def progress_wanted(app_ctx: AppContext) -> bool:
    return is_tty(app_ctx.stderr.file) and not app_ctx.quiet


def make_progress(app_ctx: AppContext) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=app_ctx.stderr,
        transient=False,
    )


def _still_polling(
    app_ctx: AppContext, exc: ClaudeCliError, failing_since: float | None, interval: float
) -> float:
    """A poll that failed for a passing reason (5xx, the network, a rate limit) is tried again at the next
    interval: a wait of hours (``submit --wait`` in a cron job) must not end on one blip, the batch runs on
    regardless. Only failures lasting ``GIVE_UP_AFTER_S`` end it. Returns when this streak of failures began."""
    now = time.monotonic()
    if failing_since is None:
        app_ctx.warn(f"cannot read the batch's state ({exc.one_line()}); trying again every {interval:g} s")
        failing_since = now
    elif now - failing_since > GIVE_UP_AFTER_S:
        raise exc
    time.sleep(interval)
    return failing_since


def wait_until_ended(
    app_ctx: AppContext,
    batch_ids: list[str],
    *,
    interval: float,
    on_poll: Callable[[RemoteBatch], None] | None = None,
) -> list[RemoteBatch]:
    """Poll every ``interval`` seconds until all the batches have ended; return their final state."""
    progress = make_progress(app_ctx) if progress_wanted(app_ctx) else None
    tasks: dict[str, Any] = {}
    if progress is not None:
        progress.start()
    failing_since: float | None = None
    try:
        while True:
            try:
                batches = [remote.retrieve(app_ctx.client, batch_id) for batch_id in batch_ids]
            except (ServerError, ConnectionFailed, RateLimitedError) as exc:
                failing_since = _still_polling(app_ctx, exc, failing_since, interval)
                continue
            failing_since = None
            for batch in batches:
                if on_poll is not None:
                    on_poll(batch)
                if progress is not None:
                    if batch.id not in tasks:
                        tasks[batch.id] = progress.add_task(batch.id, total=batch.total)
                    progress.update(tasks[batch.id], completed=batch.done, total=batch.total)
            if all(batch.ended for batch in batches):
                return batches
            time.sleep(interval)
    finally:
        if progress is not None:
            progress.stop()
