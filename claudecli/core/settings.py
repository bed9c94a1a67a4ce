"""The effective settings, typed: one frozen dataclass with a field per setting (mypy sees every read).

:func:`claudecli.core.config.load_settings` builds them from every source; command-line flags are applied by
:meth:`Settings.with_flags`, which returns new settings, so no caller mixes ``flag or setting`` by hand.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from claudecli.core.controls import is_tty
from claudecli.core.dotenv_policy import DotenvFile, check_destination
from claudecli.core.errors import AuthError, ConfigError
from claudecli.core.paths import Paths
from claudecli.core.proxy_env import PROXY_VARIABLES, as_url
from claudecli.core.setting_values import SCALARS

if TYPE_CHECKING:
    from claudecli.core.mcp_config import McpServerConfig
    from claudecli.core.roles import Role
    from claudecli.core.tool_config import ConfiguredTool

SECRET_KEYS = frozenset({"api_key", "auth_token", "admin_key"})
CREDENTIAL_ORDER = ("api_key", "auth_token", "api_key_command")


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
    mcp: Mapping[str, McpServerConfig] = field(default_factory=dict)  # [mcp.NAME]: config.toml only
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

    def key_command_pending(self) -> bool:
        """True when the credential comes from ``api_key_command`` and the command has not run yet."""
        return self.credential_setting() == "api_key_command" and self._key_cache.key is None

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
        found = list(self._configured_secrets)
        if self._key_cache.key:
            found.append(self._key_cache.key)
        return found

    @functools.cached_property
    def _configured_secrets(self) -> tuple[str, ...]:
        """The secrets written in the settings themselves: fixed for these (frozen) settings, so worked out once
        rather than on every scrub (``batch run`` scrubs a dozen texts per request)."""
        found = [str(getattr(self, name)) for name in sorted(SECRET_KEYS) if getattr(self, name)]
        if self.base_url:
            found += url_credentials(self.base_url)
        for server in self.mcp.values():  # an MCP server's token must not be echoed back either
            found += server.secrets()
        return tuple(found + proxy_credentials(os.environ))


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


def proxy_credentials(environ: Mapping[str, str]) -> list[str]:
    """The passwords in the proxy variables (any case; a value without a scheme read as ``http://``). Tools'
    children inherit these variables, so a tool that prints its environment must not show them either."""
    found: list[str] = []
    for name, value in environ.items():
        if name.lower() in PROXY_VARIABLES and value:
            with contextlib.suppress(ValueError):  # a malformed URL is refused elsewhere (core.proxy_env)
                found += url_credentials(as_url(value))
    return found


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
            stdin=None if is_tty(sys.stdin) else subprocess.DEVNULL,
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
