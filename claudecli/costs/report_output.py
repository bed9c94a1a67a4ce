"""A cost report as a table (terminal or plain text), one JSON document, or CSV (one row per group)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claudecli.core.controls import visible
from claudecli.core.usage import TokenUsage
from claudecli.costs.report_data import Report, ReportRow
from claudecli.money.pricing import format_usd
from claudecli.render.emit import emit, iso_or_none
from claudecli.render.table import Column, print_table

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

TOKEN_FIELDS = tuple(TokenUsage().as_dict())
CSV_MONEY = ("cost_usd", "list_cost_usd", "saved_usd", "saved_caching_usd", "saved_batch_usd")


def _usd(value: Decimal | None) -> str:

    return format_usd(value)


def _key(key: str | None) -> str:
    return "(none)" if key is None else key


def _plain_decimal(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# --- table -------------------------------------------------------------------------------------------


def _money(value: Decimal, row: ReportRow) -> str:
    """A sum over the calls with a known price: "unknown" when none had one, "+?" when some did not.

    ``$0.00`` for calls nobody could price would read as "free".
    """
    if row.unknown_cost_calls and row.unknown_cost_calls >= row.calls:
        return "unknown"
    return _usd(value) + ("+?" if row.unknown_cost_calls else "")


def _table_row(row: ReportRow, key: str) -> list[str]:
    usage = row.usage
    return [
        key,
        f"{row.calls:,}",
        f"{usage.input_tokens:,}",
        f"{usage.cache_write_tokens:,}",
        f"{usage.cache_read_tokens:,}",
        f"{usage.output_tokens:,}",
        _money(row.cost_usd, row),
        _money(row.list_cost_usd, row),
        _money(row.saved_usd, row),
    ]


# Groups named by the user's free text (a tag, a profile name), cut with "…" on a narrow screen before any
# column is dropped; a model id, a day or a loop id is never cut.
FREE_TEXT_KEYS = {"tag": 16, "profile": 16}


def print_report(app_ctx: AppContext, report: Report) -> None:
    columns = [
        Column(report.by, truncate_to=FREE_TEXT_KEYS.get(report.by)),
        Column("calls", numeric=True, drop_order=4),
        Column("input", numeric=True),
        Column("cache write", numeric=True, drop_order=2),
        Column("cache read", numeric=True, drop_order=3),
        Column("output", numeric=True),
        Column("cost", numeric=True),
        Column("list price", numeric=True, drop_order=1),  # cost + saved
        Column("saved", numeric=True),
    ]
    rows = [_table_row(row, _key(row.key)) for row in report.rows]
    total = report.total
    print_table(app_ctx, columns, rows, title=_title(report), footer=_table_row(total, "total"))
    for line in _asides(report, total):
        if app_ctx.markdown:
            app_ctx.stdout.print(line, style="dim", markup=False, highlight=False)
        else:
            app_ctx.note(line)


def _title(report: Report) -> str:
    until = "now" if report.until is None else f"{report.until:%Y-%m-%d %H:%M}"
    where = "organisation (Admin API)" if report.source == "org" else "this machine's ledger"
    return f"Spend by {report.by}, {report.since:%Y-%m-%d %H:%M} to {until} UTC, from {where}"


def _asides(report: Report, total: ReportRow) -> list[str]:
    if not report.rows:
        return ["no calls in this range"]
    lines = []
    if total.saved_caching_usd is not None and total.saved_batch_usd is not None:
        lines.append(
            f"saved {_usd(total.saved_usd)} vs list price: {_usd(total.saved_caching_usd)} by prompt caching "
            f"on standard calls, {_usd(total.saved_batch_usd)} on batch calls (batch discount and caching)"
        )
    elif report.source == "org":
        lines.append(f"saved {_usd(total.saved_usd)} vs list price (the Admin API's list amount minus cost)")
    unpriced = total.unknown_cost_calls - len(report.unsettled)
    if unpriced:
        lines.append(f"{unpriced:,} call(s) had no known price: counted in calls and tokens, not in cost")
    lines += _unsettled_asides(report)
    if total.unknown_cost_calls:
        lines.append("a sum that leaves some calls out ends in +?")
    if report.refreshed_at is not None:
        lines.append(f"Admin API data refreshed at {report.refreshed_at:%Y-%m-%d %H:%M} UTC")
    return lines


_UNSETTLED_WORDS = {
    "unknown": "of unknown outcome (the process making it died mid-call)",
    "in_flight": "still in flight",
}


def _unsettled_asides(report: Report) -> list[str]:
    """One line per kind of call whose cost the ledger does not know: how many, and the most they could cost."""
    lines = []
    for status, words in _UNSETTLED_WORDS.items():
        calls, worst, unpriced = report.unsettled_totals(status)
        if calls:
            unknown = f" ({unpriced:,} with no known price)" if unpriced else ""
            lines.append(f"{calls:,} call(s) {words}: not in cost, worst case {_usd(worst)}{unknown}")
    return lines


def _unsettled_document(report: Report) -> dict[str, Any]:
    document = {}
    for status in _UNSETTLED_WORDS:
        calls, worst, unpriced = report.unsettled_totals(status)
        document[status] = {"calls": calls, "worst_case_usd": _number(worst), "unpriced_calls": unpriced}
    return document


# --- JSON and CSV ----------------------------------------------------------------------------------------


def _row_document(row: ReportRow) -> dict[str, Any]:
    return {
        "calls": row.calls,
        "usage": row.usage.as_dict(),
        "cost_usd": _number(row.cost_usd),
        "list_cost_usd": _number(row.list_cost_usd),
        "saved_usd": _number(row.saved_usd),
        "saved_caching_usd": _number(row.saved_caching_usd),
        "saved_batch_usd": _number(row.saved_batch_usd),
        "unknown_cost_calls": row.unknown_cost_calls,
    }


def report_document(report: Report) -> dict[str, Any]:
    return {
        "source": report.source,
        "by": report.by,
        "since": iso_or_none(report.since),
        "until": iso_or_none(report.until),
        "groups": [{"key": row.key, **_row_document(row)} for row in report.rows],
        "total": _row_document(report.total),
        "unsettled": _unsettled_document(report),
        "ledgers_set_aside": [
            {"path": str(path), "set_aside_at": iso_or_none(moment)} for moment, path in report.set_aside
        ],
    }


def write_json(app_ctx: AppContext, report: Report) -> None:
    emit(app_ctx, report_document(report))


def report_csv(report: Report) -> str:
    """A header line, then one line per group (no total line: sum the rows). Money is exact decimal USD.

    A group's name shows its control characters as escapes, as the table does: a model id comes from the
    server's models list, and a CSV printed on a terminal must not retitle or clear it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([report.by, "calls", *TOKEN_FIELDS, *CSV_MONEY, "unknown_cost_calls"])
    for row in report.rows:
        usage = row.usage.as_dict()
        writer.writerow(
            [
                "" if row.key is None else visible(row.key),
                row.calls,
                *(usage[name] for name in TOKEN_FIELDS),
                *(_plain_decimal(getattr(row, name)) for name in CSV_MONEY),
                row.unknown_cost_calls,
            ]
        )
    return buffer.getvalue()


def write_csv(app_ctx: AppContext, report: Report) -> None:
    app_ctx.stdout.file.write(report_csv(report))
    app_ctx.stdout.file.flush()
