"""The built-in models list: what claudecli knows about the models when it has never fetched ``GET /v1/models``.

It is used only on an offline first run (``lookup.load_catalog``): lifecycle facts, never prices (those come
from genai-prices). It follows the installed SDK, which tests check (``tests/test_catalog_builtin.py``):

* every id of the SDK's ``anthropic.types.Model`` literal is listed, and nothing else that is callable, except
  **dated snapshot ids** (``claude-haiku-4-5-20251001``): they are aliases of the undated id listed here;
* a model is ``deprecated`` exactly when the SDK's deprecation table names it (with its end-of-life date as
  ``retires_at``);
* **retired** models are kept here although the SDK no longer names them, so that an offline lookup refuses
  them with their retirement date and replacement instead of sending a request the API will refuse.

Facts that are not known without the API (a release date, a context window) are left empty rather than
guessed: the API's list fills them in on the first run that can reach it.
"""

from __future__ import annotations

from typing import Any


def _entry(
    model_id: str,
    name: str,
    line: str,
    released: str | None = None,
    lifecycle: str = "active",
    *,
    context: int | None = None,
    output: int | None = None,
    retires_at: str | None = None,
) -> dict[str, Any]:
    """One entry shaped like the API's ``ModelInfo``, so the cache and this list share one parser."""
    return {
        "id": model_id,
        "display_name": name,
        "created_at": f"{released}T00:00:00Z" if released else None,
        "lifecycle": lifecycle,
        "line": line,
        "max_input_tokens": context,
        "max_tokens": output,
        "deprecated_at": None,
        "retires_at": f"{retires_at}T00:00:00Z" if retires_at else None,
    }


_K200, _K64 = 200_000, 64_000

# Newest first, in the order the SDK's Model literal lists them (the retired ones last).
FALLBACK_MODELS: tuple[dict[str, Any], ...] = (
    _entry("claude-fable-5-2", "Claude Fable 5.2", "fable"),
    _entry("claude-mythos-5-2", "Claude Mythos 5.2", "mythos"),
    _entry("claude-haiku-5-5", "Claude Haiku 5.5", "haiku", "2026-08-20", context=_K200, output=_K64),
    _entry("claude-sonnet-5-5", "Claude Sonnet 5.5", "sonnet", "2026-09-15", context=1_000_000, output=_K64),
    _entry("claude-fable-5-1", "Claude Fable 5.1", "fable"),
    _entry("claude-opus-5-5", "Claude Opus 5.5", "opus", "2026-09-15", context=_K200, output=_K64),
    _entry("claude-mythos-5-1", "Claude Mythos 5.1", "mythos"),
    _entry("claude-sonnet-5", "Claude Sonnet 5", "sonnet", "2026-03-10", context=_K200, output=_K64),
    _entry("claude-fable-5", "Claude Fable 5", "fable"),
    _entry("claude-mythos-5", "Claude Mythos 5", "mythos"),
    _entry("claude-opus-5", "Claude Opus 5", "opus", "2026-03-10", context=_K200, output=_K64),
    _entry("claude-opus-4-8", "Claude Opus 4.8", "opus", "2025-12-01", context=_K200, output=32_000),
    _entry("claude-opus-4-7", "Claude Opus 4.7", "opus"),
    _entry(
        "claude-mythos-preview",
        "Claude Mythos Preview",
        "mythos",
        None,
        "deprecated",
        retires_at="2026-06-30",
    ),
    _entry("claude-opus-4-6", "Claude Opus 4.6", "opus"),
    _entry("claude-sonnet-4-6", "Claude Sonnet 4.6", "sonnet", "2025-10-15", context=_K200, output=_K64),
    _entry("claude-haiku-4-5", "Claude Haiku 4.5", "haiku", "2025-10-01", context=_K200, output=_K64),
    _entry("claude-opus-4-5", "Claude Opus 4.5", "opus", "2025-11-01", "deprecated", retires_at="2027-01-22"),
    _entry(
        "claude-sonnet-4-5", "Claude Sonnet 4.5", "sonnet", "2025-09-29", "retired", retires_at="2026-11-30"
    ),
)
