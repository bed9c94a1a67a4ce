"""The smallest prompt prefix the API will cache, per model: one table, overridable in config.

Below its model's minimum a ``cache_control`` breakpoint is ignored by the API, at no cost: the prefix is
billed as plain input, with no cache write and no cache read. claudecli keeps placing breakpoints from
``core.tokens.CACHE_MIN_TOKENS`` on (harmless where the minimum is higher), but never promises a cached
price below the minimum (``cost estimate``).

Figures: Anthropic's prompt-caching documentation as quoted by gateway and library docs in late 2026 (the
minimum changed between model generations: older tutorials say 2,048 for Haiku, later docs 4,096 for Haiku
4.5 and Opus 4.5/4.6, 512 for Opus 5). A model not named here takes its family's figure, else ``DEFAULT_MIN_TOKENS``. The config
table ``[cache_min_tokens]``, keyed by model id or family (``opus``, ``sonnet``, ``haiku``), wins over
this one; an entry for an id also covers its dated snapshots (``claude-haiku-4-5-20251001``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DEFAULT_MIN_TOKENS = 1_024

# Model id or family -> minimum cacheable prefix in tokens. Ids not listed use their family's entry.
BUILTIN_MIN_TOKENS: dict[str, int] = {
    "claude-opus-5": 512,
    "claude-opus-4-6": 4_096,
    "claude-opus-4-5": 4_096,
    "claude-haiku-4-5": 4_096,
    "claude-3-5-haiku": 2_048,
    "claude-3-haiku": 2_048,
    "haiku": 4_096,  # the newest documented Haiku (4.5); unlisted newer ones are assumed no lower
    "opus": DEFAULT_MIN_TOKENS,
    "sonnet": DEFAULT_MIN_TOKENS,
}

_SNAPSHOT = re.compile(r"-(?:\d{8}|latest)$")
_FAMILY = re.compile(r"(?:^|-)(opus|sonnet|haiku)(?:-|$)")


def family_from_id(model: str) -> str | None:
    """A best guess at the family when the models list does not give it (its ``line``): opus, sonnet, haiku."""
    found = _FAMILY.search(model)
    return found[1] if found else None


def cache_min_tokens(
    model: str, *, family: str | None = None, overrides: Mapping[str, int] | None = None
) -> int:
    """The minimum cacheable prefix of ``model``: config by id, then by family; this table likewise."""
    undated = _SNAPSHOT.sub("", model)
    keys = (model, undated, family or family_from_id(model))
    for table in (overrides or {}, BUILTIN_MIN_TOKENS):
        for key in keys:
            if key is not None and key in table:
                return int(table[key])
    return DEFAULT_MIN_TOKENS
