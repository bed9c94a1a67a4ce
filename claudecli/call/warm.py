"""Warm-up steps for a Messages call (the mechanism is :mod:`claudecli.core.warmup`).

``ask`` starts :func:`call_steps` as soon as its settings are final, so the SDK loads while stdin, the
attachments or ``api_key_command`` are being read; ``chat`` adds its own steps (``claudecli.chat.warm``).
Every step is silent and safe to run twice; none sends a billable request (``open_connection``, chat's last
step, sends one that bills nothing).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

from claudecli.core import gc_pause, process

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.core.warmup import Step

CONNECTION_WARM_TIMEOUT_S = 10.0


def call_steps(app_ctx: AppContext) -> list[Step]:
    """Import the SDK and build the client, then let the SDK build its response models; then what a call's
    write-ahead ledger row names (this process: its start time from /proc, the host)."""
    settings = app_ctx.settings
    beta = bool(settings.betas) or settings.speed == "fast"  # such calls go through the SDK's beta resource
    return [
        app_ctx.prime_client,
        lambda: rehearse_stream(beta=beta),
        warm_connection_code,
        process.this_process,
    ]


def rehearse_stream(*, beta: bool = False) -> None:
    """Stream a canned reply through the SDK, in-process (see ``core.client.rehearsal_client``).

    Skipped when the SDK's own request logging is on (ANTHROPIC_LOG): a rehearsal must never show up as a call.
    """
    if _sdk_logging():
        return
    from claudecli.call.stream import rehearse
    from claudecli.core.client import rehearsal_client

    with gc_pause.heavy_import():  # the models it builds live as long as the process, like an import
        client = rehearsal_client()
        try:
            rehearse(client, beta=beta)
        finally:
            client.close()
        _load_trace_propagators()


def _load_trace_propagators() -> None:
    """The SDK puts a trace context on every request through OpenTelemetry's ``propagate`` module, which it
    imports on the first real request (~15 ms: the default propagators, their regular expressions). Loaded
    here instead - unless ``OTEL_PROPAGATORS`` names its own, whose failure to load OpenTelemetry reports on
    stderr: that stays with the first call, as before."""
    if "opentelemetry" in sys.modules and not os.environ.get("OTEL_PROPAGATORS"):
        import opentelemetry.propagate  # noqa: F401


def _sdk_logging() -> bool:
    return any(logging.getLogger(name).isEnabledFor(logging.INFO) for name in ("anthropic", "httpx2"))


def paused(step: Step) -> Step:
    """``step`` run under the collector pause: for a step that only loads (imports, caches), never one that may
    wait on the network, so what it loads is frozen with the rest instead of walked by the next collection."""

    def run() -> None:
        with gc_pause.heavy_import():
            step()

    return run


def warm_connection_code() -> None:
    """The codec a connection's first host-name lookup loads (``encodings.idna``, ~10 ms). Nothing is looked up
    here: a step the first call waits for must not wait for the resolver (see ``open_connection``)."""
    "api.anthropic.com".encode("idna")


def open_connection(app_ctx: AppContext, model: str) -> None:
    """Open the HTTP connection (TCP, TLS: most of a first call's extra time against the real API) that the
    first turn will reuse, with a request that bills nothing: the model's entry in the models list.

    On a thread of its own that nothing waits for: offline, or against an API that does not answer, the first
    turn goes ahead on a connection of its own and meets the failure itself, as it always did; whatever this
    request gets is dropped. Skipped when the client is not built yet (an ``api_key_command`` still to run)
    and with the SDK's request logging on (a warm-up must never show up as a request).
    """
    client = app_ctx.built_client
    if client is None or _sdk_logging():
        return
    quiet = client.with_options(max_retries=0, timeout=CONNECTION_WARM_TIMEOUT_S)

    def touch() -> None:
        with contextlib.suppress(Exception):
            quiet.models.retrieve(model)

    threading.Thread(target=touch, name="claudecli-connection", daemon=True).start()


def warm_booking(app_ctx: AppContext, model: str) -> None:
    """What pricing, budgets and the ledger row of a call of ``model`` need: the price book with today's rates
    for it, the budget and token-estimate code, and the ledger, opened - if it is there and sound. A missing
    ledger is created by the first call, as it always was (leaving the chat at once must not leave an empty
    ledger behind); a damaged one, or rows spooled beside it, are dealt with - and reported, exit 11 - by the
    first call too, in the foreground (``core.store.MigratedStore.open_if_sound``)."""
    from claudecli.core import tokens  # noqa: F401  (the context-window estimate)
    from claudecli.money import budget  # noqa: F401  (every turn checks the budgets)

    app_ctx.prices.rates(model)
    app_ctx.ledger.open_if_sound()
