"""Model names: aliases to ids. (Extended by the models catalogue: newest active model per family.)"""

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
