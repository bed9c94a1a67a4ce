"""The one config loader: every command gets its settings from ``load_settings``.

Precedence, lowest first: built-in defaults < ``config.toml`` (top level, then the chosen
``[profiles.NAME]`` table) < ``.env`` in the current directory < the environment < command-line flags.
Every value remembers where it came from, so ``claudecli config show`` can say so.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudecli.core.errors import ConfigError
from claudecli.core.paths import Paths, resolve_paths

SECRET_KEYS = frozenset({"api_key", "auth_token", "admin_key"})


def _positive_int(value: Any) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be zero or more")
    return number


def _non_negative_float(value: Any) -> float:
    number = float(value)
    if number < 0:
        raise ValueError("must be zero or more")
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
    return value


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


def _table(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("must be a table")
    return dict(value)


# Every scalar setting: name -> (converter, default). The environment spells them CLAUDECLI_<NAME>.
SCALARS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "api_key": (_text, None),
    "auth_token": (_text, None),
    "api_key_command": (_command, None),
    "admin_key": (_text, None),
    "base_url": (_text, None),
    "model": (_text, "sonnet"),
    "fallback_model": (_text, None),  # asked once when `model` is overloaded (529) after retries
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
}
TABLES = ("aliases", "prices")
FILE_ONLY_KEYS = frozenset({"profiles", "default_profile"})

# Variables other tools already use win over nothing but are spelled the ecosystem's way.
ECOSYSTEM_ENV = {
    "ANTHROPIC_API_KEY": "api_key",
    "ANTHROPIC_AUTH_TOKEN": "auth_token",
    "ANTHROPIC_BASE_URL": "base_url",
    "ANTHROPIC_ADMIN_KEY": "admin_key",
}


@dataclass
class Settings:
    """Effective settings plus, for each, where the value came from."""

    values: dict[str, Any]
    sources: dict[str, str]
    profile: str | None
    paths: Paths
    warnings: list[str] = field(default_factory=list)
    _resolved_key: str | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def aliases(self) -> dict[str, str]:
        return dict(self.values.get("aliases") or {})

    @property
    def prices(self) -> dict[str, dict[str, float]]:
        return dict(self.values.get("prices") or {})

    def override(self, source: str, **changes: Any) -> None:
        """Apply command-line flags (the highest precedence); ``None`` means the flag was not given."""
        for name, value in changes.items():
            if value is None:
                continue
            converter = SCALARS[name][0]
            try:
                self.values[name] = converter(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{source}: {exc}") from None
            self.sources[name] = source

    def credential(self) -> tuple[str, str]:
        """Return ``(kind, secret)``, kind being "api_key" or "auth_token"; runs api_key_command at most once."""
        if self.values.get("api_key"):
            return "api_key", self.values["api_key"]
        if self.values.get("auth_token"):
            return "auth_token", self.values["auth_token"]
        if self.values.get("api_key_command"):
            if self._resolved_key is None:
                self._resolved_key = run_key_command(self.values["api_key_command"])
            return "api_key", self._resolved_key
        from claudecli.core.errors import AuthError

        raise AuthError(
            "no API key",
            hint="set ANTHROPIC_API_KEY, or api_key / api_key_command in config.toml (see `claudecli config path`)",
        )

    def secrets(self) -> list[str]:
        """Every secret value known, so output can be scrubbed of them."""
        found = [self.values[name] for name in SECRET_KEYS if self.values.get(name)]
        if self._resolved_key:
            found.append(self._resolved_key)
        return found


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


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes one line naming file, line and column."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message is "Reason (at line L, column C)"; newer versions also set lineno/colno.
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = getattr(exc, "lineno", None) or (found and found[1])
        column = getattr(exc, "colno", None) or (found and found[2])
        reason = getattr(exc, "msg", None) or str(exc).split(" (at line")[0]
        where = f"{path}:{line}:{column}" if line else str(path)
        raise ConfigError(f"{where}: invalid TOML: {reason}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


class _Layers:
    """Accumulates values from successive sources, converting and validating as it goes."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {name: default for name, (_, default) in SCALARS.items()}
        self.values.update({name: {} for name in TABLES})
        self.sources: dict[str, str] = {name: "default" for name in self.values}
        self.warnings: list[str] = []

    def set(self, name: str, raw: Any, source: str) -> None:
        try:
            value = _table(raw) if name in TABLES else SCALARS[name][0](raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: {name}: {exc}") from None
        if name in TABLES:
            value = {**self.values[name], **value}
        self.values[name] = value
        self.sources[name] = source

    def apply_table(self, table: Mapping[str, Any], source: str) -> None:
        for key, raw in table.items():
            if key in SCALARS or key in TABLES:
                self.set(key, raw, source)
            elif key not in FILE_ONLY_KEYS:
                self.warnings.append(f"unknown config key '{key}' in {source}")


def _env_layer(environ: Mapping[str, str], layers: _Layers, source_label: str) -> None:
    for variable, name in ECOSYSTEM_ENV.items():
        if environ.get(variable):
            layers.set(name, environ[variable], f"{source_label} {variable}")
    for name in SCALARS:
        variable = f"CLAUDECLI_{name.upper()}"
        if environ.get(variable) not in (None, ""):
            layers.set(name, environ[variable], f"{source_label} {variable}")


# A .env comes with whatever directory you stand in (a cloned repository, say), so it is trusted less than
# your own config: it may not make claudecli run a program, nor send a key it did not supply elsewhere.
DOTENV_NEVER = frozenset({"CLAUDECLI_API_KEY_COMMAND"})
DOTENV_KEYS = frozenset(
    {"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDECLI_API_KEY", "CLAUDECLI_AUTH_TOKEN"}
)
DOTENV_REDIRECTS = frozenset({"ANTHROPIC_BASE_URL", "CLAUDECLI_BASE_URL"})


def _trusted_dotenv(dotenv: dict[str, str], warnings: list[str]) -> dict[str, str]:
    """Drop what a .env may not set: api_key_command always; a base URL unless the .env brings its own key."""
    kept = dict(dotenv)
    for name in sorted(DOTENV_NEVER & kept.keys()):
        del kept[name]
        warnings.append(f"ignoring {name} from .env: set it in config.toml or the environment")
    brings_key = any(kept.get(name) for name in DOTENV_KEYS)
    if not brings_key:
        for name in sorted(DOTENV_REDIRECTS & kept.keys()):
            del kept[name]
            warnings.append(f"ignoring {name} from .env: a .env may only redirect a key it sets itself")
    return kept


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def _check_prices(layers: _Layers) -> None:
    """A broken ``[prices."model"]`` table is a config error now, not a crash at the first priced call."""
    prices = layers.values["prices"]
    if not prices:
        return
    source = layers.sources["prices"]
    for model_id, table in prices.items():
        if not isinstance(table, Mapping):
            raise ConfigError(f'{source}: prices."{model_id}" must be a table')
    from claudecli.money.pricing import override_problems

    problems = override_problems(prices)
    if problems:
        raise ConfigError(f"{source}: {problems[0]}")


def load_settings(
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    paths: Paths | None = None,
) -> Settings:
    """Build the effective settings from every source (flags are applied later with ``Settings.override``)."""
    env = dict(os.environ if environ is None else environ)
    paths = paths or resolve_paths(env)
    dotenv = _read_dotenv((cwd or Path.cwd()) / ".env")
    file_data = read_toml(paths.config_file)
    chosen = (
        profile
        or env.get("CLAUDECLI_PROFILE")
        or dotenv.get("CLAUDECLI_PROFILE")
        or file_data.get("default_profile")
        or None
    )
    layers = _Layers()
    layers.apply_table(file_data, str(paths.config_file))
    if chosen:
        profiles = file_data.get("profiles", {})
        if not isinstance(profiles, Mapping) or chosen not in profiles:
            raise ConfigError(f"profile '{chosen}' is not defined in {paths.config_file}")
        layers.apply_table(profiles[chosen], f"{paths.config_file} [profiles.{chosen}]")
    _env_layer(_trusted_dotenv(dotenv, layers.warnings), layers, ".env")
    _env_layer(env, layers, "env")
    _check_prices(layers)
    return Settings(
        values=layers.values, sources=layers.sources, profile=chosen, paths=paths, warnings=layers.warnings
    )


def redacted(settings: Settings) -> dict[str, Any]:
    """Settings for display: secrets replaced by a marker that says only whether they are set."""
    shown: dict[str, Any] = {}
    for name, value in settings.values.items():
        if name in SECRET_KEYS and value:
            shown[name] = "******** (set)"
        elif name == "api_key_command" and value:
            shown[name] = " ".join(shlex.quote(part) for part in value)
        elif name == "base_url" and value:
            shown[name] = redact_url(value)
        else:
            shown[name] = value
    return shown


def redact_url(url: str) -> str:
    """A URL with any ``user:password@`` part hidden (gateways sometimes carry credentials there)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"********@{host}"))
