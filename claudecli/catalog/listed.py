"""Is a model id one the API (or gateway) at this base URL lists? The check ``batch`` makes before sending.

A batch is submitted whole and fails late, so an unknown model is refused up front (``FILE:LINE``), but only on
evidence: the models list fetched from the same base URL (a gateway lists its own models). The rules:

- found in the list in use (a cache younger than 24 hours, or a fresh fetch): known, with its facts;
- not found in a fresh cached list: the list is fetched again (a model may be newer than the cache), once per
  run, and not when a fetch just failed (``catalog.cache.FAILURE_MEMORY``);
- not found in a list fetched in this run (now, or read back from the cache this run wrote: resolving the name
  may have fetched it): unknown, refused, with no second fetch;
- no list could be fetched, or the API lists nothing at all: it cannot be told, so the caller warns and the API
  judges the request.

A dated snapshot id (``claude-haiku-4-5-20251001``) and its undated id are the same model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from claudecli.catalog.lookup import load_catalog
from claudecli.core.dotenv_policy import redact_url
from claudecli.core.errors import NotFoundError

if TYPE_CHECKING:
    from claudecli.catalog.lookup import Catalog, ModelFacts
    from claudecli.core.context import AppContext

_DATED = re.compile(r"^(?P<base>.+)-(?P<date>\d{8})$")


def find_listed(catalog: Catalog, model_id: str) -> ModelFacts | None:
    """The listed model ``model_id`` names: the same id, or its dated or undated twin."""
    facts = catalog.get(model_id)
    if facts is not None:
        return facts
    dated = _DATED.match(model_id)
    if dated:
        return catalog.get(dated["base"])
    return next((m for m in catalog.models if (d := _DATED.match(m.id)) and d["base"] == model_id), None)


@dataclass
class ListedModels:
    """Per-run memory of the check: the list fetched for it, and why none could be, if so."""

    app_ctx: AppContext
    fetched: Catalog | None = None
    unavailable: str | None = None  # why no list could be fetched (the caller warns with it)
    _refetched: bool = field(default=False, repr=False)

    def facts(self, model_id: str) -> ModelFacts | None:
        """The model's facts; None when no list can tell; NotFoundError when a fresh list lacks it."""

        catalog = self._catalog()
        found = find_listed(catalog, model_id)
        if found is None and self._cached_earlier(catalog) and not self._refetched:
            self._refetched = True  # a model newer than the cached list: ask the API once
            catalog = load_catalog(self.app_ctx, refresh=True, quick=True, retry_failed=False)
            if catalog.source == "api":
                self.fetched = catalog
            else:
                self.unavailable = catalog.note or "the models list could not be fetched"
            found = find_listed(catalog, model_id)
        if found is not None:
            return found
        if self._from_this_run(catalog) and catalog.models:
            raise NotFoundError(
                f"{model_id} is not in the models list of {self._where()}", hint="see `claudecli models`"
            )
        if self.unavailable is None:  # a fetch that just failed says why; else the API's list is empty
            self.unavailable = catalog.note or "the API lists no models"
        return None

    def _catalog(self) -> Catalog:

        if self.fetched is None:
            catalog = load_catalog(self.app_ctx, quick=True)
            if self._from_this_run(catalog):
                self.fetched = catalog
            return catalog
        return self.fetched

    def _from_this_run(self, catalog: Catalog) -> bool:
        """Fetched by this process: just now, or earlier (``AppContext.models_fetched_at``) and read back from
        the cache it wrote. Fetching again for a model it lacks would get the same list."""
        fetched_at = self.app_ctx.models_fetched_at
        return catalog.source == "api" or (catalog.source == "cache" and catalog.fetched_at == fetched_at)

    def _cached_earlier(self, catalog: Catalog) -> bool:
        """A fresh cache written by an earlier process: a model newer than it is worth one fetch. Not a list
        in use because a fetch just failed (``note``): that failure is remembered, not retried at once."""
        return catalog.source == "cache" and catalog.note is None and not self._from_this_run(catalog)

    def _where(self) -> str:

        base_url = self.app_ctx.settings.base_url
        return "the API" if not base_url else redact_url(base_url)
