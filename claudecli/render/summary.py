"""What stderr shows around a call: the waiting spinner, then the summary line (model, tokens, cost, latency)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from claudecli.call.outcome import CallOutcome
from claudecli.core import retry_notice
from claudecli.core.controls import visible
from claudecli.money.pricing import format_usd as fmt
from claudecli.render.terminal import hide_typed_echo

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


def _seconds(ms: int | None) -> str:
    return "?" if ms is None else f"{ms / 1000:.2f} s"


def format_usd(value: object) -> str:

    return fmt(value)  # type: ignore[arg-type]


def summary_text(outcome: CallOutcome, *, session_total: object = None) -> str:
    """One line, e.g. ``claude-sonnet-5-5 · in 1,234 · out 56 · cache write 0 · cache read 1,024 · $0.0042 · ...``."""
    usage = outcome.usage
    model = outcome.model
    if outcome.fallback_from is not None:
        model += f" (fallback for {outcome.fallback_from.model})"
    if label := outcome.mode.label():
        model += f" [{label}]"
    parts = [
        model,
        f"in {usage.input_tokens:,}",
        f"out {usage.output_tokens:,}",
        f"cache write {usage.cache_write_tokens:,}",
        f"cache read {usage.cache_read_tokens:,}",
    ]
    if usage.thinking_tokens:
        parts.append(f"thinking {usage.thinking_tokens:,}")
    cost = format_usd(outcome.cost_usd)
    if outcome.cost_usd is None and not outcome.mode.standard:
        cost = f"price unknown for {outcome.mode.label()} (see [price_multipliers])"
    parts.append(cost + (" (batch)" if outcome.is_batch else ""))
    if session_total is not None:
        parts.append(f"session {format_usd(session_total)}")
    timing = _seconds(outcome.latency_ms)
    if outcome.ttft_ms is not None:
        timing += f" (first token {_seconds(outcome.ttft_ms)})"
    parts.append(timing)
    parts.append(outcome.stop_reason or outcome.status)
    return visible(" · ".join(parts))  # the model's name and the stop reason are the server's text


def print_summary(
    console: Console, outcome: CallOutcome, *, quiet: bool = False, session_total: object = None
) -> None:
    """Print the summary (unless quiet) and, always, a warning when the answer was cut off."""
    if not quiet:
        console.print(Text(summary_text(outcome, session_total=session_total), style="dim"))
    if outcome.stop_reason == "max_tokens":
        limit = f" ({outcome.max_tokens:,})" if outcome.max_tokens else ""
        console.print(
            Text.assemble(
                ("warning: ", "yellow"), f"the answer was cut off at max_tokens{limit}; raise --max-tokens"
            )
        )
    elif outcome.stop_reason == "refusal":
        console.print(
            Text.assemble(("warning: ", "yellow"), "the model declined to answer (stop reason: refusal)")
        )


class Waiting:
    """A spinner on stderr until the first token; only on a terminal, never with --quiet or --json.

    While the SDK waits to retry a failed attempt (a 429's retry-after, a 529's backoff, an attempt that got no
    answer) the label says so: 'asking …' alone for a minute looks like a hang."""

    def __init__(self, app_ctx: AppContext, label: str, enabled: bool) -> None:
        self.status = app_ctx.stderr.status(Text(label), spinner="dots") if enabled else None
        self._label = label
        self._restore_echo: Callable[[], None] | None = None
        self._retries: contextvars.Token[retry_notice.Listener | None] | None = None
        if self.status is not None:
            self._restore_echo = hide_typed_echo()  # a key typed now would break the spinner's redraw
            self._retries = retry_notice.listening(self)
            self.status.start()

    def retrying(self, status: int, seconds: float | None) -> None:
        if self.status is not None:
            self.status.update(Text(f"{self._label} {retry_notice.describe(status, seconds)}"))

    def no_answer(self, timed_out: bool) -> None:
        if self.status is not None:
            why = "timed out" if timed_out else "connection lost"
            self.status.update(Text(f"{self._label} no answer ({why}): trying again…"))

    def falling_back(self, failed_model: str, fallback_model: str) -> None:
        self._label = self._label.replace(failed_model, fallback_model)
        if self.status is not None:
            self.status.update(Text(self._label))

    def stop(self) -> None:
        retries, self._retries = self._retries, None
        if retries is not None:
            retry_notice.stop_listening(retries)
        if self.status is not None:
            self.status.stop()
            self.status = None
        restore, self._restore_echo = self._restore_echo, None
        if restore is not None:
            restore()
