"""Model names and facts: aliases to ids, the (cached) models list, lifecycle checks.

CONTRACT (used by ask, chat, batch, cost):
- ``resolve_model(app_ctx, name) -> str``: id or alias (user ``[aliases]``, built-in opus/sonnet/haiku = newest
  active model of that family in the cached list) to a model id. Warns (``app_ctx.warn``) for a deprecated
  model, naming its replacement; raises ``NotFoundError`` for a retired one, before anything is sent.
- ``model_info(app_ctx, model_id) -> ModelFacts | None``: context window, max output, lifecycle, ... from the
  cached list (None when unknown/offline); never raises for a network failure.

Where the list comes from (``load_catalog``): the cache when it is less than 24 hours old (no network);
otherwise ``GET /v1/models`` (and the cache is rewritten); when that fails, the stale cache, or, when there
has never been one, ``FALLBACK_MODELS`` (``claudecli.catalog.builtin``) — lifecycle facts only, never prices.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from claudecli.catalog.builtin import FALLBACK_MODELS
from claudecli.catalog.cache import forget_failure, read_cache, recent_failure, remember_failure
from claudecli.catalog.cache import refresh as fetch_and_cache
from claudecli.core.dotenv_policy import DestinationRefused
from claudecli.core.errors import ClaudeCliError, NotFoundError, UsageError
from claudecli.core.setting_values import model_name

if TYPE_CHECKING:
    from claudecli.catalog.cache import CachedModels
    from claudecli.core.context import AppContext

FAMILIES = ("opus", "sonnet", "haiku")


@dataclass(frozen=True)
class ModelFacts:
    """What claudecli knows about one model. ``replacement`` is set for models that are not active."""

    id: str
    display_name: str
    lifecycle: str  # active | deprecated | retired
    context_window: int | None
    max_output_tokens: int | None
    created_at: datetime | None
    deprecated_at: datetime | None = None
    retires_at: datetime | None = None
    line: str | None = None  # the family: opus, sonnet, haiku, ... (None: none given)
    replacement: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "lifecycle": self.lifecycle,
            "family": self.line,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "released": _day(self.created_at),
            "deprecated_at": _day(self.deprecated_at),
            "retires_at": _day(self.retires_at),
            "replacement": self.replacement,
        }


def _day(moment: datetime | None) -> str | None:
    return None if moment is None else f"{moment:%Y-%m-%d}"


@dataclass(frozen=True)
class Catalog:
    """The models list in use: where it came from (``api``, ``cache`` or ``builtin``) and why, if not fresh."""

    models: tuple[ModelFacts, ...]
    source: str
    fetched_at: datetime | None = None
    note: str | None = None

    def get(self, model_id: str) -> ModelFacts | None:
        return next((model for model in self.models if model.id == model_id), None)

    def find(self, name: str) -> ModelFacts | None:
        """The model ``name`` names: an id in the list, or an API alias of a dated snapshot in it.

        The API lists dated ids (``claude-haiku-4-5-20251001``) and also accepts their undated alias
        (``claude-haiku-4-5``, or ``…-latest``); ``ask -m`` sends either, so both must find the same facts.
        With several snapshots the newest wins, as it does for the API's alias.
        """
        exact = self.get(name)
        if exact is not None:
            return exact
        base = name.removesuffix("-latest")
        snapshots = [
            model for model in self.models if _DATED.fullmatch(model.id) and _undated(model.id) == base
        ]
        return max(snapshots, key=lambda model: model.id) if snapshots else None

    def newest_active(self, family: str) -> ModelFacts | None:
        candidates = [m for m in self.models if m.line == family and m.lifecycle == "active"]
        # The API lists newest first; a stable sort on the release date keeps that order for ties.
        candidates.sort(key=lambda m: m.created_at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return candidates[0] if candidates else None


_DATED = re.compile(r".+-\d{8}")


def _undated(model_id: str) -> str:
    return model_id[:-9] if _DATED.fullmatch(model_id) else model_id


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None if moment.year <= 1970 else moment  # the API sends the epoch for "unknown"


def _facts(entries: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> tuple[ModelFacts, ...]:
    """ModelFacts for each entry, each model that is not active pointing at its family's newest active one."""
    plain = [
        ModelFacts(
            id=str(entry["id"]),
            display_name=str(entry.get("display_name") or entry["id"]),
            lifecycle=str(entry.get("lifecycle") or "active"),
            context_window=entry.get("max_input_tokens"),
            max_output_tokens=entry.get("max_tokens"),
            created_at=_parse_time(entry.get("created_at")),
            deprecated_at=_parse_time(entry.get("deprecated_at")),
            retires_at=_parse_time(entry.get("retires_at")),
            line=entry.get("line") or None,
        )
        for entry in entries
    ]
    partial = Catalog(models=tuple(plain), source="")
    result = []
    for model in plain:
        newest = partial.newest_active(model.line) if model.line and model.lifecycle != "active" else None
        result.append(replace(model, replacement=newest.id if newest else None))
    return tuple(result)


_fetch_lock = threading.Lock()  # the chat's warm-up and a turn may both find the list due: it is fetched once


def load_catalog(
    app_ctx: AppContext,
    *,
    refresh: bool = False,
    quick: bool = False,
    offline: bool = False,
    retry_failed: bool | None = None,
) -> Catalog:
    """The models list: fresh cache, else fetched (and cached), else stale cache, else the built-in list.

    Never raises for a failed fetch; ``note`` says why an older list is in use. ``quick``: the fetch is on
    the way to a call (no retries, short timeout). ``offline``: never fetch. A failed fetch is remembered on
    disk for a few minutes (``catalog.cache.FAILURE_MEMORY``) and not tried again by any process meanwhile,
    unless ``retry_failed`` (default: ``refresh``, an explicit ``models --refresh``).
    """

    path = app_ctx.settings.paths.models_cache_file
    base_url = app_ctx.settings.base_url
    cached = read_cache(path, base_url)
    if cached is not None and ((cached.fresh() and not refresh) or offline):
        return Catalog(_facts(cached.models), "cache", cached.fetched_at)
    if offline:
        return Catalog(_facts(FALLBACK_MODELS), "builtin")
    retry = refresh if retry_failed is None else retry_failed
    with _fetch_lock:
        if not refresh:
            again = read_cache(path, base_url)
            if again is not None and again.fresh():  # fetched by another thread while this one waited
                return Catalog(_facts(again.models), "cache", again.fetched_at)
        fetched, problem = _fetch(app_ctx, quick=quick, retry_failed=retry)
    if fetched is not None:
        app_ctx.models_fetched_at = fetched.fetched_at
        return Catalog(_facts(fetched.models), "api", fetched.fetched_at)
    if cached is not None:
        note = (
            f"could not refresh the models list ({problem}); using the list cached {_age(cached.fetched_at)}"
        )
        return Catalog(_facts(cached.models), "cache", cached.fetched_at, note)
    note = f"could not fetch the models list ({problem}); using claudecli's built-in list"
    return Catalog(_facts(FALLBACK_MODELS), "builtin", None, note)


def fetch_catalog(app_ctx: AppContext) -> Catalog:
    """The list fetched now (and cached), for ``models --refresh``: a failure raises its ClaudeCliError, since
    the user asked for the API's list and an older one is not what they asked for."""

    fetched = fetch_and_cache(app_ctx)
    forget_failure(app_ctx.settings.paths.models_cache_file, app_ctx.settings.base_url)
    app_ctx.models_fetched_at = fetched.fetched_at
    return Catalog(_facts(fetched.models), "api", fetched.fetched_at)


def _fetch(app_ctx: AppContext, *, quick: bool, retry_failed: bool) -> tuple[CachedModels | None, str]:
    """(the fetched and cached list, "") or (None, why not)."""

    path, base_url = app_ctx.settings.paths.models_cache_file, app_ctx.settings.base_url
    failed = None if retry_failed else recent_failure(path, base_url)
    if failed is not None:
        return None, f"{failed}; not retried for a few minutes"
    try:
        fetched = fetch_and_cache(app_ctx, quick=quick)
    except DestinationRefused:
        raise  # not a failed fetch: a refusal to send a credential, which the user must see and settle
    except ClaudeCliError as exc:
        reason = app_ctx.scrub(exc.one_line())  # a gateway's error text may echo what it was sent
        remember_failure(path, base_url, reason)
        return None, reason
    forget_failure(path, base_url)
    return fetched, ""


def _age(moment: datetime) -> str:
    hours = (datetime.now(UTC) - moment).total_seconds() / 3600
    if hours < 48:
        return f"{max(hours, 0):.0f} h ago"
    return f"{hours / 24:.0f} days ago"


# --- names -------------------------------------------------------------------------------------------


def follow_user_aliases(app_ctx: AppContext, name: str) -> str:
    """Follow ``[aliases]`` (an alias may name another alias); a cycle is a usage error."""
    aliases = app_ctx.settings.aliases
    chain = [name]
    while name in aliases:
        name = str(aliases[name])
        if name in chain:
            raise UsageError(f"[aliases] form a cycle: {' -> '.join([*chain, name])}")
        chain.append(name)
    return name


def lookup(
    app_ctx: AppContext, name: str, catalog: Catalog | None = None, *, offline: bool = False
) -> tuple[str, Catalog | None]:
    """An id or alias to an id, without lifecycle checks; the catalogue is loaded only when needed."""
    name = follow_user_aliases(app_ctx, name.strip())
    if not name:
        raise UsageError("the model name is empty")
    try:  # as the model setting is: a batch line's, chat's /model, and an [aliases] target alike
        model_name(name)
    except ValueError as exc:
        raise UsageError(f"model: {exc}") from None
    if name in FAMILIES:
        catalog = catalog or load_catalog(app_ctx, quick=True, offline=offline)
        newest = catalog.newest_active(name)
        if newest is None:
            raise NotFoundError(f"no active {name} model in the models list", hint="see `claudecli models`")
        return newest.id, catalog
    return name, catalog


def resolve_model(app_ctx: AppContext, name: str, *, offline: bool = False) -> str:
    """An id or alias to a model id: user aliases first, then the built-in family names; lifecycle checked.

    ``offline``: use the cache or the built-in list, never the network.
    """
    model_id, catalog = lookup(app_ctx, name, offline=offline)
    facts = (catalog or load_catalog(app_ctx, quick=True, offline=offline)).find(model_id)
    if facts is None:
        return model_id  # not in the list (a new model, a gateway's own): let the API decide
    named = model_id if facts.id == model_id else f"{model_id} ({facts.id})"
    if facts.lifecycle == "retired":
        when = f" on {_day(facts.retires_at)}" if facts.retires_at else ""
        instead = f"; use {facts.replacement} instead" if facts.replacement else ""
        raise NotFoundError(f"{named} was retired{when} and can no longer be called{instead}")
    if facts.lifecycle == "deprecated":
        when = f", retiring on {_day(facts.retires_at)}" if facts.retires_at else ""
        instead = f"; use {facts.replacement} instead" if facts.replacement else ""
        app_ctx.warn(f"{named} is deprecated{when}{instead}")
    return model_id


def resolve_listed_model(app_ctx: AppContext, name: str) -> str:
    """``resolve_model`` for a choice kept for later (chat's ``/model``): the id must be in this API's list.

    A typo is refused now, not by a 404 at the next turn. A model newer than the cached list is looked for
    in a fetched one first; when the list cannot be fetched the id is accepted with a warning (the API
    decides), as a gateway's or a brand-new model's id must not be refused on a guess.
    """
    model_id = resolve_model(app_ctx, name)
    catalog = load_catalog(app_ctx, quick=True)
    if catalog.find(model_id) is None and catalog.source == "cache" and catalog.note is None:
        catalog = load_catalog(app_ctx, quick=True, refresh=True, retry_failed=False)
    if catalog.find(model_id) is not None:
        return model_id
    if catalog.source == "builtin" or catalog.note:
        why = f" ({catalog.note})" if catalog.note else ""
        app_ctx.warn(
            f"cannot check '{model_id}' against the models list{why}; the API decides at the next turn"
        )
        return model_id
    listed = [model.id for model in catalog.models if model.lifecycle != "retired"]
    close = difflib.get_close_matches(model_id, listed, n=1, cutoff=0.6)
    maybe = f" (did you mean {close[0]}?)" if close else ""
    raise NotFoundError(
        f"unknown model '{model_id}': not in the models list{maybe}", hint="`claudecli models` lists them"
    )


def model_info(app_ctx: AppContext, model_id: str) -> ModelFacts | None:
    """Facts about ``model_id`` from the models list; None when it is not listed. Never raises for the network."""
    return load_catalog(app_ctx, quick=True).find(model_id)


def aliases_of(app_ctx: AppContext, model_id: str, catalog: Catalog) -> list[str]:
    """Every alias (built-in family names and ``[aliases]``) that resolves to ``model_id`` today."""
    found = []
    for family in FAMILIES:
        if family not in app_ctx.settings.aliases:
            newest = catalog.newest_active(family)
            if newest is not None and newest.id == model_id:
                found.append(family)
    for alias in sorted(app_ctx.settings.aliases):
        try:
            target, _ = lookup(app_ctx, alias, catalog)
        except UsageError:
            continue
        if target == model_id:
            found.append(alias)
    return found
