"""What a ``.env`` in the current directory may set, and where the credentials it touches may go.

A ``.env`` comes with whatever directory you stand in (a cloned repository, say), so it is untrusted input unless
the user trusted that exact file (``claudecli config trust-env``, see :mod:`claudecli.core.dotenv_trust`). For an
untrusted ``.env`` every setting has a policy in ``DOTENV_POLICY``; a setting missing from the table (any that a
later version adds: tools, MCP servers, roles, approvals, beta headers, a fallback model, ...) is TRUSTED_ONLY.
That default is the point: a new feature cannot become steerable by a stranger's ``.env`` by forgetting a line.

Where credentials go (``base_url``) is checked when a credential is about to be sent, because only then is it
known which credential that is (``ask`` sends the API key, ``cost report --org`` the admin key): a destination
from an untrusted ``.env`` may only receive a credential from that same ``.env``. Anything else is refused
(exit 2) with the ``.env`` line and the way to trust it.

Proxy variables (``HTTPS_PROXY``, ``ALL_PROXY``, ...) and the SDK's own variables (``ANTHROPIC_CUSTOM_HEADERS``,
``ANTHROPIC_LOG``) in a ``.env`` have no effect at all: claudecli reads a ``.env`` into its own settings and never
copies it into the process environment, which is the only place the SDK and its HTTP client look.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudecli.core.errors import ConfigError, UsageError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, read_capped, size_text
from claudecli.core.paths import Paths


class Policy(enum.Enum):
    ALLOW = "allow"  # shapes requests and output only: any value
    CREDENTIAL = "credential"  # a key or token of the .env's own; it never unlocks one of yours
    DESTINATION = "destination"  # decides where credentials go: only with a credential from the same .env
    TIGHTEN = "tighten"  # a limit: may only be made stricter (a lower number, a switch turned off)
    TRUSTED_ONLY = "trusted only"  # runs programs or widens what claudecli does: only from a trusted .env


DOTENV_POLICY: dict[str, Policy] = {
    "model": Policy.ALLOW,
    "max_tokens": Policy.ALLOW,
    "system": Policy.ALLOW,
    "cache": Policy.ALLOW,
    "cache_ttl": Policy.ALLOW,
    "vi_mode": Policy.ALLOW,
    "api_key": Policy.CREDENTIAL,
    "auth_token": Policy.CREDENTIAL,
    "admin_key": Policy.CREDENTIAL,
    "base_url": Policy.DESTINATION,
    "max_cost_per_call": Policy.TIGHTEN,
    "daily_budget": Policy.TIGHTEN,
    "monthly_budget": Policy.TIGHTEN,
    "log_bodies": Policy.TIGHTEN,  # true stores your prompts and answers: a .env may only turn it off
    "max_retries": Policy.TIGHTEN,
    "timeout": Policy.TIGHTEN,
    "retry_after_cap": Policy.TIGHTEN,
    "max_tool_steps": Policy.TIGHTEN,  # the tool loop's circuit breaker: a .env may only lower it
    "api_key_command": Policy.TRUSTED_ONLY,
    "fallback_model": Policy.TRUSTED_ONLY,  # sends your prompts to a second model: your config's choice
    "betas": Policy.TRUSTED_ONLY,  # beta features change what is sent and what it costs
    "speed": Policy.TRUSTED_ONLY,  # fast mode costs several times the standard price
    "service_tier": Policy.TRUSTED_ONLY,  # priority capacity is billed differently
    "inference_geo": Policy.TRUSTED_ONLY,  # where your prompts are processed, and at what price
}


class DestinationRefused(ConfigError):
    """A credential would go where an untrusted .env pointed (exit 2, like every config error)."""


def policy_for(name: str) -> Policy:
    """A setting's policy for an untrusted .env; TRUSTED_ONLY for any setting the table does not name."""
    return DOTENV_POLICY.get(name, Policy.TRUSTED_ONLY)


@dataclass
class DotenvFile:
    """One ``.env`` as read: its values (variable -> text), where each was set, and whether it is trusted."""

    path: Path
    values: dict[str, str]
    lines: dict[str, int]
    trusted: bool
    environment_headers: bool = False  # ANTHROPIC_CUSTOM_HEADERS is set in the real environment
    applied: dict[str, tuple[str, str]] = field(default_factory=dict)  # setting -> (variable, source label)

    def where(self, variable: str) -> str:
        return f"{self.path}:{self.lines.get(variable, 1)}"

    def source(self, variable: str) -> str:
        return f"{'trusted ' if self.trusted else ''}.env {variable}"

    def trust_hint(self) -> str:
        return f"if you trust this file, run `claudecli config trust-env {self.path}`"

    def in_effect(self, name: str, sources: Mapping[str, str]) -> bool:
        """True when the effective value of ``name`` is the one this .env set (nothing later overrode it)."""
        return name in self.applied and sources.get(name) == self.applied[name][1]

    def refusal(
        self, name: str, value_of: Callable[[], Any], current: Any, current_source: str
    ) -> tuple[Any, str | None]:
        """``(value, None)`` when this .env may set ``name``; ``(None, why not)`` otherwise."""
        policy = Policy.ALLOW if self.trusted else policy_for(name)
        if policy is Policy.TRUSTED_ONLY:
            return None, f"an untrusted .env may not set {name}; {self.trust_hint()}"
        value = value_of()
        if policy is Policy.TIGHTEN and not _tighter_or_equal(value, current):
            limit = (
                "turn it off"
                if isinstance(value, bool)
                else f"lower it (it is {current} from {current_source})"
            )
            return None, f"an untrusted .env may only {limit}; {self.trust_hint()}"
        return value, None


def _tighter_or_equal(value: Any, current: Any) -> bool:
    """Lower is tighter for limits (None means no limit) and False is tighter than True for switches."""
    return current is None or (value is not None and value <= current)


def check_destination(dotenv: DotenvFile | None, sources: Mapping[str, str], credential: str) -> None:
    """Refuse to send ``credential`` where an untrusted .env pointed, unless that .env supplied it too."""
    if dotenv is None or dotenv.trusted:
        return
    for name, policy in DOTENV_POLICY.items():
        if policy is not Policy.DESTINATION or not dotenv.in_effect(name, sources):
            continue
        variable = dotenv.applied[name][0]
        if not dotenv.in_effect(credential, sources):
            raise DestinationRefused(
                f"{dotenv.where(variable)}: refusing to send your {credential} (from "
                f"{sources.get(credential, 'elsewhere')}) to the {name} an untrusted .env sets with {variable}",
                hint=f"remove that line, or {dotenv.trust_hint()}",
            )
        if dotenv.environment_headers:
            raise DestinationRefused(
                f"{dotenv.where(variable)}: refusing to send the environment's ANTHROPIC_CUSTOM_HEADERS to the "
                f"{name} an untrusted .env sets with {variable}",
                hint=f"unset ANTHROPIC_CUSTOM_HEADERS, or {dotenv.trust_hint()}",
            )


def destination_warnings(
    base_url: str | None, sources: Mapping[str, str], dotenv: DotenvFile | None, credential: str | None
) -> list[str]:
    """Say when the key travels in clear text, and when an untrusted .env chose where requests go."""
    if not base_url:
        return []

    found: list[str] = []
    if is_plaintext_remote(base_url):
        found.append(
            f"base_url {redact_url(base_url)} ({sources['base_url']}) is plain http to another machine: "
            "your key and prompts travel unencrypted"
        )
    chosen_by_dotenv = dotenv is not None and not dotenv.trusted and dotenv.in_effect("base_url", sources)
    if dotenv and chosen_by_dotenv and credential and dotenv.in_effect(credential, sources):
        variable = dotenv.applied["base_url"][0]
        found.append(
            f"requests go to {redact_url(base_url)}, set by {dotenv.where(variable)} {variable} with the "
            f".env's own {credential}; {dotenv.trust_hint()}"
        )
    return found


def is_plaintext_remote(url: str) -> bool:
    """An ``http://`` URL to anything but this machine (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def read_dotenv(
    path: Path, paths: Paths, environ: Mapping[str, str], warnings: list[str]
) -> DotenvFile | None:
    """Read ``path`` if it is a regular file; hash and parse the same bytes, so what was trusted is what is used."""
    if not path.is_file():
        return None
    try:
        data = read_capped(path, TEXT_FILE_LIMIT)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError, UsageError) as exc:
        # Skipping it is safe: without it nothing is steered anywhere, and a stranger's unreadable file
        # should not stop claudecli from working in that directory.
        why: str | None = "not UTF-8 text"
        if isinstance(exc, UsageError):
            why = f"larger than {size_text(TEXT_FILE_LIMIT)}"
        elif isinstance(exc, OSError):
            why = exc.strerror
        warnings.append(f"ignoring {path}: cannot read it ({why})")
        return None
    from claudecli.core.dotenv_trust import fingerprint, trusted_hash

    recorded = trusted_hash(paths, path, warnings)
    trusted = recorded is not None and recorded == fingerprint(data)
    if recorded is not None and not trusted:
        warnings.append(
            f"{path} changed since you trusted it, so it is untrusted again; "
            f"check it, then run `claudecli config trust-env {path}`"
        )
    values, lines = _parse(text, path, warnings)
    if trusted:
        values = _interpolate(values, environ)
    return DotenvFile(
        path=path,
        values=values,
        lines=lines,
        trusted=trusted,
        environment_headers=bool(environ.get("ANTHROPIC_CUSTOM_HEADERS")),
    )


def _parse(text: str, path: Path, warnings: list[str]) -> tuple[dict[str, str], dict[str, int]]:
    """Variables and the line each is set on, taken literally: no ``${VAR}`` expansion.

    Expansion would let an untrusted ``ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY}`` pass your own key off as the
    .env's. Only a trusted .env is expanded (``_interpolate``).
    """
    from dotenv.parser import parse_stream

    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        line = binding.original.line + original[: len(original) - len(original.lstrip())].count("\n")
        if binding.error:
            warnings.append(f"{path}:{line}: cannot parse this line; ignored")
        elif binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
            lines[binding.key] = line
    return values, lines


def _interpolate(values: dict[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """``${VAR}`` / ``${VAR:-default}`` expanded, the .env's earlier lines winning over the environment."""
    from dotenv.variables import parse_variables

    expanded: dict[str, str] = {}
    for name, value in values.items():
        scope: dict[str, str | None] = {**environ, **expanded}
        expanded[name] = "".join(atom.resolve(scope) for atom in parse_variables(value))
    return expanded


def redact_url(url: str) -> str:
    """A URL with any ``user:password@`` part hidden (gateways sometimes carry credentials there)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"********@{host}"))
