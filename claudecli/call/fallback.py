"""The fallback model: one more try, on another model, for a call the API was too overloaded to answer.

Rules (``fallback_model`` in config, ``--fallback MODEL`` on ask, chat and batch run):

* Only an **overload** (``overloaded_error``: HTTP 529 after the retries, or an overload event in the stream)
  falls back, and only when **no answer text** has arrived: once text is on stdout, the partial answer is kept
  as with any failure. A 429 never falls back: that is your own rate limit, and the answer is to back off.
* The fallback is asked **once**, with the same request (its own retries included), and never to the model that
  just failed. It is budget-checked like any call; a refusal leaves the overload as the failure.
* Both calls are booked in the ledger, each under its own model. A fallback that fails too ends the command with
  exit code 6 (the overload's), naming both failures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claudecli.catalog.lookup import resolve_model
from claudecli.core.errors import BudgetExceeded, ClaudeCliError, RateLimitedError
from claudecli.money.budget import check_budget

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

OVERLOADED = "overloaded_error"


def resolve_fallback(app_ctx: AppContext) -> str | None:
    """The configured fallback model as an id (aliases followed, lifecycle checked), or None when unset.

    Resolved before anything is sent, like the main model: a retired fallback is refused up front.
    """
    name = app_ctx.settings.fallback_model
    if not name or not name.strip():
        return None

    return resolve_model(app_ctx, name)


def falls_back(error: ClaudeCliError, text_so_far: str, model: str, fallback: str | None) -> bool:
    """Whether a failed call to ``model`` goes to ``fallback`` (see the module docstring)."""
    return bool(fallback) and fallback != model and error.error_type == OVERLOADED and not text_so_far


def clear_to_send(
    app_ctx: AppContext, params: dict[str, Any], failed_model: str, *, force: bool, what: str = ""
) -> bool:
    """Budget-check the fallback request ``params`` and say on stderr what happens; False if it may not go."""
    fallback = params["model"]
    subject = f"{what}: " if what else ""
    try:
        check_budget(app_ctx, params, force=force)
    except BudgetExceeded as refused:
        app_ctx.warn(f"{subject}{failed_model} is overloaded; not asking {fallback}: {refused.one_line()}")
        return False
    app_ctx.warn(f"{subject}{failed_model} is overloaded; asking the fallback model {fallback} instead")
    return True


def both_failed(
    failed_model: str, first: ClaudeCliError, fallback: str, second: ClaudeCliError
) -> RateLimitedError:
    """The one error for an overload whose fallback failed too: exit 6, both failures named."""
    return RateLimitedError(
        f"{failed_model}: {first.one_line()}; the fallback {fallback} failed too: {second.one_line()}",
        error_type=second.error_type,
    )
