"""Writing a batch's results to the usage ledger: one row per succeeded result, at batch prices, never twice.

Only batches in the journal (submitted by claudecli) are booked. Rows are written in chunks as results
stream past (memory stays flat), each carrying the batch id and custom_id, stamped with the batch's
``ended_at`` (when the money was spent). Before booking, the ledger is asked which custom_ids of this batch it
already holds at that timestamp, so a download interrupted half-way and repeated books only the rest; the
journal's ``booked_at`` then short-cuts the question for good. Callers hold the batch lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from claudecli.ledger.store import CallRecord

if TYPE_CHECKING:
    from claudecli.batch.output import ResultLine
    from claudecli.core.context import AppContext

CHUNK = 2_000
COMMAND = "batch"


def _millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def already_booked(app_ctx: AppContext, batch_id: str, ts: datetime) -> set[str]:
    since = _millis(ts)
    calls = app_ctx.ledger.iter_calls(since=since, until=since + timedelta(milliseconds=1))
    return {call.custom_id or "" for call in calls if call.batch_id == batch_id}


class Booker:
    """Collects ledger rows for one batch and writes them ``CHUNK`` at a time."""

    def __init__(self, app_ctx: AppContext, batch_id: str, ts: datetime) -> None:
        self.app_ctx = app_ctx
        self.batch_id = batch_id
        self.ts = ts
        self.skip = already_booked(app_ctx, batch_id, ts)
        self.pending: list[CallRecord] = []
        self.booked = 0

    def add(self, line: ResultLine, list_cost: Decimal | None) -> None:
        if line.status != "succeeded" or line.custom_id in self.skip or line.usage is None:
            return
        self.skip.add(line.custom_id)  # a line the stream repeats (a replaying proxy) is one request, one row
        self.pending.append(
            CallRecord(
                command=COMMAND,
                model=line.model or "unknown",
                usage=line.usage,
                cost_usd=line.cost_usd,
                list_cost_usd=list_cost,
                profile=self.app_ctx.settings.profile,
                is_batch=True,
                stop_reason=line.stop_reason,
                batch_id=self.batch_id,
                custom_id=line.custom_id,
                answer_text=line.text,
                mode=line.mode,
                ts=self.ts,
            )
        )
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.app_ctx.ledger.record_many(self.pending)
            self.booked += len(self.pending)
            self.pending = []
