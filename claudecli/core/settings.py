"""The effective settings, typed: one frozen dataclass with a field per setting (mypy sees every read).

:func:`claudecli.core.config.load_settings` builds them from every source; command-line flags are applied by
:meth:`Settings.with_flags`, which returns new settings, so no caller mixes ``flag or setting`` by hand.
"""

from __future__ import annotations

import dataclasses
import math
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from claudecli.core.dotenv_policy import DotenvFile, check_destination
from claudecli.core.errors import AuthError, ConfigError
from claudecli.core.paths import Paths
from claudecli.core.roles import Role
from claudecli.core.tool_config import ConfiguredTool

SECRET_KEYS = frozenset({"api_key", "auth_token", "admin_key"})
CREDENTIAL_ORDER = ("api_key", "auth_token", "api_key_command")


def _whole_number(value: Any, rule: str) -> int:
    """An integer from TOML, the environment or a .env; anything else fails with ``rule`` (never int()'s own text)."""
    if isinstance(value, bool):  # `max_tokens = true` is not 1
        raise ValueError(rule)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    raise ValueError(rule)


def _positive_int(value: Any) -> int:
    rule = "must be a positive whole number"
    number = _whole_number(value, rule)
    if number <= 0:
        raise ValueError(rule)
    return number


def _non_negative_int(value: Any) -> int:
    rule = "must be a whole number, zero or more"
    number = _whole_number(value, rule)
    if number < 0:
        raise ValueError(rule)
    return number


def _non_negative_float(value: Any) -> float:
    rule = "must be a number, zero or more"
    if isinstance(value, bool):
        raise ValueError(rule)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(rule) from None
    if not math.isfinite(number):  # nan compares false with everything; inf would wait or spend forever
        raise ValueError("must be a finite number")
    if number < 0:
        raise ValueError(rule)
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # an environment variable holding bytes that are not UTF-8
        raise ValueError("must be UTF-8 text") from None
    return value


def _base_url(value: Any) -> str | None:
    """``http(s)://host[:port][/path]``; anything else fails here with one line, not deep in the HTTP client."""
    from urllib.parse import urlsplit

    text = _text(value).strip()
    if not text:
        return None
    problem = "must be an http:// or https:// URL with a host, like https://api.anthropic.com"
    if any(char.isspace() or not char.isprintable() for char in text):
        raise ValueError(problem)
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        raise ValueError(f"{problem} (the port is not valid)") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(problem)
    return text


def _command(value: Any) -> list[str]:
    """``api_key_command`` as an argv list: a TOML array, or a string split like a shell would (no shell runs)."""
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return list(value)
    if isinstance(value, str):
        return shlex.split(value)
    raise ValueError("must be a string or a list of strings")


def _cache_ttl(value: Any) -> str:
    if value not in {"5m", "1h"}:
        raise ValueError('must be "5m" or "1h"')
    return str(value)


def _choice(*allowed: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value).strip()
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return text

    return convert


_BETA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_REGION = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def _beta_names(value: Any) -> tuple[str, ...]:
    """``betas``: a TOML array, or a comma-separated string (the environment); each a beta header name."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(part, str) for part in value):
        parts = list(value)
    else:
        raise ValueError("must be a list of beta names or a comma-separated string")
    names = tuple(dict.fromkeys(part.strip() for part in parts if part.strip()))
    for name in names:
        if not _BETA_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a beta name (letters, digits, '.', '_', '-')")
    return names


def _region(value: Any) -> str | None:
    """``inference_geo``: a region name such as ``us`` or ``global`` (the API says which it serves)."""
    text = _text(value).strip().lower()
    if not text:
        return None
    if not _REGION.fullmatch(text):
        raise ValueError("must be a region name such as us or global")
    return text


def price_multipliers(table: Mapping[str, Any]) -> dict[str, float]:
    """``[price_multipliers]``: ``fast``, ``priority`` and ``geo = {REGION = N}`` as flat keys (``geo.us``)."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if key == "geo" and isinstance(value, Mapping):
            flat.update({f"geo.{_region(region)}": factor for region, factor in value.items()})
        elif key in ("fast", "priority"):
            flat[key] = value
        else:
            raise ValueError(f'unknown key "{key}" (expected fast, priority or geo)')
    result = {}
    for key, value in flat.items():
        number = _non_negative_float(value) if not isinstance(value, Mapping) else -1.0
        if number <= 0:
            raise ValueError(f'"{key}" must be a number above zero')
        result[key] = number
    return result


def table_value(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("must be a table")
    return dict(value)


def token_counts(table: Mapping[str, Any]) -> dict[str, int]:
    """A table of model id or family -> token count (``[cache_min_tokens]``); ValueError names a bad entry."""
    counts = {}
    for key, value in table.items():
        try:
            counts[str(key)] = _positive_int(value)
        except ValueError as exc:
            raise ValueError(f'"{key}" {exc}') from None
    return counts


# Every scalar setting: name -> (converter, default). The environment spells them CLAUDECLI_<NAME>.
SCALARS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "api_key": (_text, None),
    "auth_token": (_text, None),
    "api_key_command": (_command, None),
    "admin_key": (_text, None),
    "base_url": (_base_url, None),
    "model": (_text, "sonnet"),
    "max_tokens": (_positive_int, 8192),
    "system": (_text, None),
    "max_retries": (_non_negative_int, 2),
    "timeout": (_non_negative_float, 600.0),
    "retry_after_cap": (_non_negative_float, 60.0),
    "cache": (_boolean, True),
    "cache_ttl": (_cache_ttl, "5m"),
    "log_bodies": (_boolean, False),
    "vi_mode": (_boolean, False),
    "max_cost_per_call": (_non_negative_float, None),
    "daily_budget": (_non_negative_float, None),
    "monthly_budget": (_non_negative_float, None),
    "fallback_model": (_text, None),  # asked once when `model` is overloaded (529) after retries
    "betas": (_beta_names, ()),  # anthropic-beta headers; the calls then go through the SDK's beta resource
    "speed": (_choice("standard", "fast"), None),
    "service_tier": (_choice("auto", "standard_only"), None),
    "inference_geo": (_region, None),
    "max_tool_steps": (_positive_int, 10),  # most API calls in one tool loop (--max-steps)
}


@dataclass
class _KeyCache:
    """The output of api_key_command, run at most once per process (frozen settings share this holder)."""

    key: str | None = None


@dataclass(frozen=True)
class Settings:
    """Effective settings plus, for each, where the value came from (``sources``)."""

    paths: Paths
    profile: str | None = None
    api_key: str | None = None
    auth_token: str | None = None
    api_key_command: list[str] | None = None
    admin_key: str | None = None
    base_url: str | None = None
    model: str = "sonnet"
    max_tokens: int = 8192
    system: str | None = None
    max_retries: int = 2
    timeout: float = 600.0
    retry_after_cap: float = 60.0
    cache: bool = True
    cache_ttl: str = "5m"
    log_bodies: bool = False
    vi_mode: bool = False
    max_cost_per_call: float | None = None
    daily_budget: float | None = None
    monthly_budget: float | None = None
    fallback_model: str | None = None
    betas: tuple[str, ...] = ()
    speed: str | None = None
    service_tier: str | None = None
    inference_geo: str | None = None
    max_tool_steps: int = 10
    aliases: Mapping[str, str] = field(default_factory=dict)
    prices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    cache_min_tokens: Mapping[str, int] = field(default_factory=dict)  # model id or family -> tokens
    price_multipliers: Mapping[str, float] = field(default_factory=dict)  # "fast", "priority", "geo.us"
    roles: Mapping[str, Role] = field(default_factory=dict)  # [roles.NAME] from config.toml (see core.roles)
    tools: Mapping[str, ConfiguredTool] = field(default_factory=dict)  # [tools.NAME]: config.toml only
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    file_warnings: list[str] = field(default_factory=list)  # about config.toml's content (unknown keys)
    dotenv: DotenvFile | None = field(default=None, repr=False)
    _key_cache: _KeyCache = field(default_factory=_KeyCache, repr=False, compare=False)

    @property
    def values(self) -> dict[str, Any]:
        """Every setting by name (for ``config show`` and the .env policy)."""
        return {name: getattr(self, name) for name in SETTING_NAMES}

    def with_flags(self, **flags: Any) -> Settings:
        """These settings with command-line flags applied (the highest precedence); None: not given."""
        changes: dict[str, Any] = {}
        sources = dict(self.sources)
        for name, value in flags.items():
            if value is None:
                continue
            source = f"--{name.replace('_', '-')}"
            try:
                changes[name] = SCALARS[name][0](value)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ConfigError(f"{source}: {exc}") from None
            sources[name] = source
        if not changes:
            return self
        return dataclasses.replace(self, sources=sources, _key_cache=self._key_cache, **changes)

    def with_role(self, role: Role) -> Settings:
        """These settings with a role's model, max_tokens and system prompt (flags, applied after, still win)."""
        changes: dict[str, Any] = {}
        sources = dict(self.sources)
        for name, value in (
            ("model", role.model),
            ("max_tokens", role.max_tokens),
            ("system", role.system_text()),
        ):
            if value is not None:
                changes[name] = value
                sources[name] = f"role {role.name}"
        return dataclasses.replace(self, sources=sources, _key_cache=self._key_cache, **changes)

    def credential_setting(self) -> str | None:
        """The setting the API credential will come from: the first set of api_key, auth_token, api_key_command."""
        return next((name for name in CREDENTIAL_ORDER if getattr(self, name)), None)

    def credential(self) -> tuple[str, str]:
        """Return ``(kind, secret)``, kind being "api_key" or "auth_token"; runs api_key_command at most once.

        Refuses (ConfigError) before anything runs or is sent when an untrusted .env chose the destination and
        the credential is not that .env's own.
        """
        name = self.credential_setting()
        if name is None:
            raise AuthError(
                "no API key",
                hint="set ANTHROPIC_API_KEY, or api_key / api_key_command in config.toml (see `claudecli config path`)",
            )
        check_destination(self.dotenv, self.sources, name)
        if name == "api_key":
            return name, str(self.api_key)
        if name == "auth_token":
            return name, str(self.auth_token)
        if self._key_cache.key is None:
            self._key_cache.key = run_key_command(self.api_key_command or [])
        return "api_key", self._key_cache.key

    def admin_credential(self) -> str:
        """The admin key, under the same destination rule as ``credential``."""
        if not self.admin_key:
            raise AuthError("no admin key", hint="set ANTHROPIC_ADMIN_KEY or admin_key in config.toml")
        check_destination(self.dotenv, self.sources, "admin_key")
        return self.admin_key

    def secrets(self) -> list[str]:
        """Every secret value known (keys, the key command's output, a base URL's password), for scrubbing."""
        found = [str(getattr(self, name)) for name in sorted(SECRET_KEYS) if getattr(self, name)]
        if self._key_cache.key:
            found.append(self._key_cache.key)
        if self.base_url:
            found += url_credentials(self.base_url)
        return found


def url_credentials(url: str) -> list[str]:
    """The secret of a URL's ``user:password@`` part: the password, or the user when it stands alone (a token).

    Both as written and percent-decoded (Basic auth sends the decoded form).
    """
    from urllib.parse import unquote, urlsplit

    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return []
    user, _, password = netloc.rsplit("@", 1)[0].partition(":")
    secret = password or user
    return [secret, unquote(secret)] if secret else []


SETTING_NAMES: tuple[str, ...] = (*SCALARS, "aliases", "prices", "cache_min_tokens", "price_multipliers")


def run_key_command(argv: list[str]) -> str:
    """Run ``api_key_command`` without a shell (password managers) and return its first output line."""
    if not argv:
        raise ConfigError("api_key_command is empty")
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=60,
            check=False,
            # A password manager may need the terminal; a script's stdin is not the key command's to read.
            stdin=None if sys.stdin is not None and sys.stdin.isatty() else subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ConfigError(f"api_key_command: program not found: {argv[0]}") from None
    except OSError as exc:
        raise ConfigError(f"api_key_command: cannot run {argv[0]}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise ConfigError("api_key_command: timed out after 60 s") from None
    if done.returncode != 0:
        raise ConfigError(f"api_key_command failed with exit code {done.returncode}")
    try:
        output = done.stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError("api_key_command printed something that is not UTF-8 text") from None
    key = output.splitlines()[0].strip() if output else ""
    if not key:
        raise ConfigError("api_key_command printed nothing")
    return key
