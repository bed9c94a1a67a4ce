"""Model names and facts: aliases to ids, the (cached) models list, lifecycle checks.

CONTRACT (used by ask, chat, batch, cost):
- ``resolve_model(app_ctx, name) -> str``: id or alias (user ``[aliases]``, built-in opus/sonnet/haiku = newest
  active model of that family in the cached list) to a model id. Warns (``app_ctx.warn``) for a deprecated
  model, naming its replacement; raises ``NotFoundError``-family error for a retired one, before anything is sent.
- ``model_info(app_ctx, model_id) -> ModelFacts | None``: context window, max output, lifecycle, ... from the
  cached list (None when unknown/offline); never raises for a network failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claudecli.context import AppContext

# Used only when no models list has ever been fetched (offline first run).
FALLBACK_FAMILY_MODELS = {
    "opus": "claude-opus-5-5",
    "sonnet": "claude-sonnet-5-5",
    "haiku": "claude-haiku-5-5",
}


def resolve_model(app_ctx: AppContext, name: str) -> str:
    """An id or alias to a model id: user aliases first, then the built-in family names."""
    seen: set[str] = set()
    aliases = app_ctx.settings.aliases
    while name in aliases and name not in seen:
        seen.add(name)
        name = aliases[name]
    return FALLBACK_FAMILY_MODELS.get(name, name)
