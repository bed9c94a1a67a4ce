"""Time ranges for reports and budgets. Days and months are UTC, like the ledger and Anthropic's console.

``--since`` / ``--until`` accept ``today``, ``yesterday``, a relative age (``36h``, ``7d``, ``2w``), a date
(``2026-11-01``), a month (``2026-11``) or an ISO-8601 time (``2026-11-01T09:30``, UTC unless it has an
offset). A date or month given to ``--until`` includes that whole day or month.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from claudecli.core.errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of ``moment``'s day (the daily budget's window starts here)."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(moment: datetime) -> datetime:
    """The first of ``moment``'s month, midnight UTC (the monthly budget's window starts here)."""
    return day_start(moment).replace(day=1)


def next_month(moment: datetime) -> datetime:
    start = month_start(moment)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def parse_moment(text: str, option: str, *, now: datetime | None = None, end: bool = False) -> datetime:
    """One bound of a range. ``end``: a day or month names its end (the bound is exclusive)."""
    try:
        moment = _moment(text, option, now or now_utc(), end)
    except (OverflowError, ValueError):  # past 9999 or before year 1: "--until 9999-12"
        raise _bad(text, option) from None
    if moment > _LATEST:  # a report rounds its bounds to whole days: leave it a day of calendar
        raise _bad(text, option)
    return moment


def _moment(text: str, option: str, now: datetime, end: bool) -> datetime:
    value = text.strip().lower()
    if value in ("today", "yesterday"):
        start = day_start(now) - (timedelta(days=1) if value == "yesterday" else timedelta(0))
        return start + timedelta(days=1) if end else start
    if value == "now":
        return now
    relative = _RELATIVE.match(value)
    if relative:
        return now - int(relative[1]) * _UNITS[relative[2]]  # "99999999d" overflows: refused above
    month = _MONTH.match(value)
    if month:
        try:
            start = datetime(int(month[1]), int(month[2]), 1, tzinfo=UTC)
        except ValueError:
            raise _bad(text, option) from None
        return next_month(start) if end else start
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _bad(text, option) from None
    date_only = len(text.strip()) == 10
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment + timedelta(days=1) if end and date_only else moment.astimezone(UTC)


def _bad(text: str, option: str) -> UsageError:
    return UsageError(
        f"{option}: cannot read '{text}' as a time",
        hint="use today, yesterday, 36h, 7d, 2w, 2026-11-01, 2026-11 or 2026-11-01T09:30",
    )


def parse_range(
    since: str | None, until: str | None, *, default_since: datetime, now: datetime | None = None
) -> tuple[datetime, datetime | None]:
    """``(since, until)``; until None means "up to now, and anything later"."""
    now = now or now_utc()
    start = parse_moment(since, "--since", now=now) if since else default_since
    stop = parse_moment(until, "--until", now=now, end=True) if until else None
    if stop is not None and stop <= start:
        raise UsageError(
            f"--until ({stop:%Y-%m-%d %H:%M}) is not after --since ({start:%Y-%m-%d %H:%M}) (UTC)"
        )
    return start, stop
