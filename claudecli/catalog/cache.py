"""The models list, fetched from ``GET /v1/models`` (every page, every lifecycle) and cached for 24 hours.

The cache is one JSON file (``Paths.models_cache_file``), written atomically. It remembers which API
(``base_url``) it came from, so a profile pointing at another gateway does not reuse another list. Prices are
not kept here: the price book (``claudecli.money.price_book``) keeps them, for every command alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.core.fsutil import atomic_write_text
from claudecli.core.sdk_errors import cannot_read, translate_errors

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

CACHE_VERSION = 1
CACHE_TTL = timedelta(hours=24)
PAGE_SIZE = 100
ALL_LIFECYCLES = ["active", "deprecated", "retired"]
QUICK_TIMEOUT_S = 10.0  # fetching on the way to a call: never hang a call on the models list

# The ModelInfo fields the catalogue keeps (capabilities are left out: large, and unused so far).
KEPT_FIELDS = (
    "id",
    "display_name",
    "created_at",
    "lifecycle",
    "deprecated_at",
    "retires_at",
    "line",
    "max_input_tokens",
    "max_tokens",
)
_COUNTS = ("max_input_tokens", "max_tokens")


@dataclass
class CachedModels:
    models: list[dict[str, Any]]
    fetched_at: datetime
    base_url: str | None

    def fresh(self, now: datetime | None = None) -> bool:
        age = (now or datetime.now(UTC)) - self.fetched_at
        return timedelta(0) <= age < CACHE_TTL


def read_cache(path: Path, base_url: str | None) -> CachedModels | None:
    """The cached list, or None when there is none, it is unreadable, or it came from another API."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != CACHE_VERSION or document.get("base_url") != endpoint_key(base_url):
            return None
        entries = document["models"]
        models = (
            [_kept(entry) for entry in entries if isinstance(entry, dict)]
            if isinstance(entries, list)
            else []
        )
        models = [entry for entry in models if entry["id"]]
        fetched_at = datetime.fromisoformat(document["fetched_at"].replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not models:  # a damaged file, not a list: fetch again rather than know no model for a day
        return None
    return CachedModels(models=models, fetched_at=fetched_at.astimezone(UTC), base_url=base_url)


def write_cache(path: Path, cached: CachedModels) -> None:
    document = {
        "version": CACHE_VERSION,
        "fetched_at": cached.fetched_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "base_url": endpoint_key(cached.base_url),
        "models": cached.models,
    }
    atomic_write_text(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def fetch_models(app_ctx: AppContext, *, quick: bool = False) -> list[dict[str, Any]]:
    """Every model the API lists, in every lifecycle (the SDK hides retired ones unless asked), newest first.

    ``quick`` (on the way to a call): no retries and a short timeout, since the built-in list will do.
    """

    with translate_errors():
        client = app_ctx.client
        if quick:
            client = client.with_options(
                max_retries=0, timeout=min(app_ctx.settings.timeout, QUICK_TIMEOUT_S)
            )
        page = client.models.list(lifecycle=ALL_LIFECYCLES, limit=PAGE_SIZE)  # type: ignore[arg-type]
        # warnings=False: a field of the wrong type is dropped by _kept, not reported as a Python warning
        # An entry that is not an object (a gateway's `"data": "..."`) has no model in it
        models = [_kept(m.model_dump(mode="json", warnings=False)) for m in page if hasattr(m, "model_dump")]
    listed = [model for model in models if model.get("id")]
    if not listed:  # a gateway's JSON of another shape: never cached in place of a real list
        raise cannot_read("a models list without a model")
    return listed


def _kept(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields the catalogue keeps, each of its type or None: the list comes from a server (maybe a
    gateway) or a file, and a ``"max_tokens": "abc"`` must not crash every later ``models``."""
    return {name: _typed(name, entry.get(name)) for name in KEPT_FIELDS}


def _typed(name: str, value: Any) -> Any:
    if name in _COUNTS:
        whole = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return value if whole else None
    return value if isinstance(value, str) else None


def refresh(app_ctx: AppContext, *, quick: bool = False) -> CachedModels:
    """Fetch the list and write the cache; raises the ClaudeCliError of a failed fetch."""
    cached = CachedModels(
        models=fetch_models(app_ctx, quick=quick),
        fetched_at=datetime.now(UTC),
        base_url=app_ctx.settings.base_url,
    )
    with contextlib.suppress(OSError):  # a read-only cache dir costs a refetch next time, nothing more
        write_cache(app_ctx.settings.paths.models_cache_file, cached)
    return cached


# --- a failed fetch, remembered on disk ------------------------------------------------------------------
# Every process resolving a model with a stale cache would otherwise try the network again (and wait up to
# QUICK_TIMEOUT_S each time): a cron job firing every minute on a dead network, a script looping over `ask`.

FAILURE_MEMORY = timedelta(minutes=5)


def failure_file(cache_file: Path) -> Path:
    return cache_file.with_name(f"{cache_file.stem}.failed.json")


def remember_failure(
    cache_file: Path, base_url: str | None, reason: str, now: datetime | None = None
) -> None:
    """Record that fetching the list from ``base_url`` failed just now (``reason`` must be scrubbed)."""
    path = failure_file(cache_file)
    failures = _failures(path)
    failures[str(endpoint_key(base_url))] = {
        "failed_at": (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "reason": reason,
    }
    with contextlib.suppress(OSError):  # a read-only cache dir: the next process tries again, nothing worse
        document = {"version": CACHE_VERSION, "failures": failures}
        atomic_write_text(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n", private=True)


def recent_failure(cache_file: Path, base_url: str | None, now: datetime | None = None) -> str | None:
    """Why the last fetch from ``base_url`` failed, if that was less than FAILURE_MEMORY ago; else None."""
    entry = _failures(failure_file(cache_file)).get(str(endpoint_key(base_url)))
    if entry is None:
        return None
    try:
        failed_at = datetime.fromisoformat(str(entry.get("failed_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
    failed_at = failed_at if failed_at.tzinfo else failed_at.replace(tzinfo=UTC)
    age = (now or datetime.now(UTC)) - failed_at
    if not timedelta(0) <= age < FAILURE_MEMORY:  # a clock set back must not silence fetching for good
        return None
    return str(entry.get("reason") or "the last attempt failed")


def forget_failure(cache_file: Path, base_url: str | None) -> None:
    path = failure_file(cache_file)
    failures = _failures(path)
    if failures.pop(str(endpoint_key(base_url)), None) is None:
        return
    with contextlib.suppress(OSError):
        if failures:
            document = {"version": CACHE_VERSION, "failures": failures}
            atomic_write_text(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n", private=True)
        else:
            path.unlink()


def _failures(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("version") != CACHE_VERSION:
        return {}
    failures = document.get("failures")
    return (
        {str(k): v for k, v in failures.items() if isinstance(v, dict)} if isinstance(failures, dict) else {}
    )


def endpoint_key(base_url: str | None) -> str | None:
    """What the cache records of the API it came from: a hash, since a gateway URL may embed credentials."""
    return None if base_url is None else hashlib.sha256(base_url.encode()).hexdigest()[:16]
