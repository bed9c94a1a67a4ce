"""Which API a journaled submission belongs to: the profile and base URL it was submitted with.

A batch id means something only to the API (and the key) that created it. So every submission is journaled
with its *scope*, the profile (``""`` when none was chosen) and the base URL (credentials in it redacted, no
trailing slash), and every command sees only the submissions of the current scope: ``collect`` under
profile A never asks A's API about B's batches (and never marks them ``gone``), and submitting a file under
B is not answered with the ids A got for it.

Submissions journaled before scopes were recorded have NULL in both columns and count as matching any
scope; the first time such a batch is found through the current API, the submission is given that scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from claudecli.core.dotenv_policy import redact_url

if TYPE_CHECKING:
    from claudecli.core.config import Settings

DEFAULT_BASE_URL = "https://api.anthropic.com"

# Appended to a query on ``submissions s``; the parameters are ``scope.params``.
SCOPE_SQL = "(s.profile IS NULL OR s.profile = ?) AND (s.base_url IS NULL OR s.base_url = ?)"


@dataclass(frozen=True)
class Scope:
    profile: str  # "" when no profile was chosen
    base_url: str

    @property
    def params(self) -> tuple[str, str]:
        return (self.profile, self.base_url)

    def describe(self) -> str:
        return f"{'profile ' + repr(self.profile) if self.profile else 'no profile'} at {self.base_url}"


def scope_of(settings: Settings) -> Scope:

    base_url = redact_url((settings.base_url or DEFAULT_BASE_URL).rstrip("/"))
    return Scope(profile=settings.profile or "", base_url=base_url)


def describe(profile: str | None, base_url: str | None) -> str:
    """How to name the scope of a journaled submission in a message (NULL: journaled before scopes)."""
    if profile is None or base_url is None:
        return "an unrecorded profile"
    return Scope(profile, base_url).describe()
