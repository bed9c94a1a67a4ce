"""The one config loader: every command gets its settings from ``load_settings``.

Precedence, lowest first: built-in defaults < ``config.toml`` (top level, then the chosen
``[profiles.NAME]`` table) < ``.env`` in the current directory < the environment < command-line flags.
Every value remembers where it came from, so ``claudecli config show`` can say so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudecli.core.dotenv_policy import (
    DotenvFile,
    destination_warnings,
    read_dotenv,
    redact_url,
)
from claudecli.core.errors import ConfigError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, read_capped
from claudecli.core.names import RULE_TEXT, check_name, is_safe_name
from claudecli.core.paths import Paths, resolve_paths
from claudecli.core.setting_values import SCALARS, price_multipliers, table_value, token_counts
from claudecli.core.settings import SECRET_KEYS, Settings

if TYPE_CHECKING:
    from claudecli.core.mcp_config import McpServerConfig
    from claudecli.core.roles import Role
    from claudecli.core.tool_config import ConfiguredTool

TABLES = ("aliases", "prices", "cache_min_tokens", "price_multipliers")
FILE_ONLY_KEYS = frozenset({"profiles", "default_profile", "roles", "tools", "mcp"})

# Variables other tools already use win over nothing but are spelled the ecosystem's way.
ECOSYSTEM_ENV = {
    "ANTHROPIC_API_KEY": "api_key",
    "ANTHROPIC_AUTH_TOKEN": "auth_token",
    "ANTHROPIC_BASE_URL": "base_url",
    "ANTHROPIC_ADMIN_KEY": "admin_key",
}


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes one line naming file, line and column."""
    try:
        data = read_capped(path, TEXT_FILE_LIMIT)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    import tomllib  # lazy: 5 ms that a run without this file (most profiles, most .env-less dirs) never needs

    try:
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's message is "Reason (at line L, column C)"; newer versions also set lineno/colno.
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = getattr(exc, "lineno", None) or (found and found[1])
        column = getattr(exc, "colno", None) or (found and found[2])
        reason = getattr(exc, "msg", None) or str(exc).split(" (at line")[0]
        where = f"{path}:{line}:{column}" if line else str(path)
        raise ConfigError(f"{where}: invalid TOML: {reason}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: not UTF-8 text (invalid byte at offset {exc.start})"
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


class _Layers:
    """Accumulates values from successive sources, converting and validating as it goes."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {name: default for name, (_, default) in SCALARS.items()}
        self.values.update({name: {} for name in TABLES})
        self.sources: dict[str, str] = {name: "default" for name in self.values}
        self.warnings: list[str] = []
        self.file_warnings: list[str] = []  # about the config file's content: shown once per version of it

    def set(self, name: str, raw: Any, source: str) -> None:
        self.put(name, self.convert(name, raw, source), source)

    @staticmethod
    def convert(name: str, raw: Any, source: str) -> Any:
        try:
            if name == "cache_min_tokens":
                return token_counts(table_value(raw))
            if name == "price_multipliers":
                return price_multipliers(table_value(raw))
            return table_value(raw) if name in TABLES else SCALARS[name][0](raw)
        except (TypeError, ValueError, OverflowError) as exc:  # int(1e400) overflows
            raise ConfigError(f"{source}: {name}: {exc}") from None

    def put(self, name: str, value: Any, source: str) -> None:
        if name in TABLES:
            value = {**self.values[name], **value}
        self.values[name] = value
        self.sources[name] = source

    def apply_table(self, table: Mapping[str, Any], source: str) -> None:
        for key, raw in table.items():
            if key in SCALARS or key in TABLES:
                self.set(key, raw, source)
            elif key not in FILE_ONLY_KEYS:
                self.file_warnings.append(f"unknown config key '{key}' in {source}")


def _env_variables() -> list[tuple[str, str]]:
    """Every variable claudecli reads, with its setting, in the order they apply (the later wins)."""
    return [*ECOSYSTEM_ENV.items(), *((f"CLAUDECLI_{name.upper()}", name) for name in SCALARS)]


def _env_layer(environ: Mapping[str, str], layers: _Layers, source_label: str) -> None:
    for variable, name in _env_variables():
        if environ.get(variable) not in (None, ""):
            layers.set(name, environ[variable], f"{source_label} {variable}")


def _dotenv_layer(dotenv: DotenvFile, layers: _Layers) -> None:
    """Apply what the .env may set (see ``dotenv_policy``); warn about each line it may not."""
    for variable, name in _env_variables():
        raw = dotenv.values.get(variable)
        if raw in (None, ""):
            continue
        try:
            value, refusal = dotenv.refusal(
                name,
                lambda: layers.convert(name, raw, dotenv.where(variable)),  # noqa: B023  (called at once)
                layers.values[name],
                layers.sources[name],
            )
        except ConfigError as exc:
            if dotenv.trusted:  # your own file: fix it
                raise
            # A stranger's broken line must not stop claudecli in that directory (nor `config trust-env`).
            layers.warnings.append(f"ignoring {variable}: {exc.message}")
            continue
        if refusal:
            layers.warnings.append(f"ignoring {variable} from {dotenv.where(variable)}: {refusal}")
            continue
        source = dotenv.source(variable)
        layers.put(name, value, source)
        dotenv.applied[name] = (variable, source)


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


def _dotenv_profile(
    dotenv: DotenvFile | None, file_data: Mapping[str, Any], config_file: Path, warnings: list[str]
) -> str | None:
    """The ``.env``'s ``CLAUDECLI_PROFILE``; from an untrusted one, only if it names one of your profiles, and
    then with a warning (a profile may set what that ``.env`` may not).

    A stranger's ``.env`` naming a profile you do not have (or a name that is not one, ``../../x``) is a broken
    line: ignored with a warning naming it, so it cannot stop claudecli in that directory. A trusted ``.env`` is
    your own file and is refused like the environment and ``--profile`` (:func:`_apply_profile`).
    """
    chosen = dotenv.values.get("CLAUDECLI_PROFILE") if dotenv else None
    if not dotenv or not chosen or dotenv.trusted:
        return chosen
    profiles = file_data.get("profiles")
    if not is_safe_name(chosen):
        why = f"profile {chosen!r} cannot be used as a file name: {RULE_TEXT}"
    elif not isinstance(profiles, Mapping) or chosen not in profiles:
        why = f"profile {chosen!r} is not defined in {config_file}"
    else:  # yours, but it may turn on what this .env could not set itself (speed, betas...): said every run
        warnings.append(
            f"using profile {chosen!r} as {dotenv.where('CLAUDECLI_PROFILE')} asks (an untrusted .env; "
            "`claudecli config trust-env` if it is yours)"
        )
        return chosen
    warnings.append(f"ignoring CLAUDECLI_PROFILE from {dotenv.where('CLAUDECLI_PROFILE')}: {why}")
    return None


def _apply_profile(layers: _Layers, file_data: Mapping[str, Any], chosen: Any, config_file: Path) -> None:
    """Apply ``[profiles.NAME]``; a profile that is not a name, or not a table, is a config error."""
    if not isinstance(chosen, str):
        raise ConfigError(f"{config_file}: default_profile must be a string")
    check_name("profile", chosen)  # it names the profile's input history file
    profiles = file_data.get("profiles", {})
    if not isinstance(profiles, Mapping) or chosen not in profiles:
        raise ConfigError(f"profile '{chosen}' is not defined in {config_file}")
    table = profiles[chosen]
    if not isinstance(table, Mapping):
        raise ConfigError(f"{config_file}: [profiles.{chosen}] must be a table")
    layers.apply_table(table, f"{config_file} [profiles.{chosen}]")
    if "tools" in table:
        layers.file_warnings.append(
            f"[profiles.{chosen}] tools in {config_file} is ignored: define [tools.NAME] at the top level"
        )
    if "mcp" in table:
        layers.file_warnings.append(
            f"[profiles.{chosen}] mcp in {config_file} is ignored: define [mcp.NAME] at the top level"
        )


def _roles(file_data: Mapping[str, Any], chosen: str | None, config_file: Path) -> dict[str, Role]:
    """``[roles.NAME]``, then the chosen profile's ``[profiles.P.roles.NAME]`` over them."""
    profile = file_data.get("profiles", {}).get(chosen, {}) if chosen else {}
    if "roles" not in file_data and "roles" not in profile:
        return {}
    from claudecli.core.roles import parse_roles  # lazy, as each table's parser: start-up time

    roles = parse_roles(file_data.get("roles", {}), str(config_file), config_file.parent)
    if chosen:
        where = f"{config_file} [profiles.{chosen}]"
        roles |= {
            name: replace(role, source=role.source.replace("[roles.", f"[profiles.{chosen}.roles."))
            for name, role in parse_roles(profile.get("roles", {}), where, config_file.parent).items()
        }
    return roles


def _tools(file_data: Mapping[str, Any], config_file: Path) -> dict[str, ConfiguredTool]:
    """``[tools.NAME]``: from config.toml alone, never the environment or a .env (see tool_config)."""
    if "tools" not in file_data:
        return {}
    from claudecli.core.tool_config import parse_tools  # lazy, as each table's parser: start-up time

    return parse_tools(file_data["tools"], config_file)


def _mcp_servers(file_data: Mapping[str, Any], config_file: Path) -> dict[str, McpServerConfig]:
    """``[mcp.NAME]``: from config.toml alone, never the environment or a .env (see mcp_config)."""
    if "mcp" not in file_data:
        return {}
    from claudecli.core.mcp_config import parse_mcp_servers  # lazy, as each table's parser: start-up time

    return parse_mcp_servers(file_data["mcp"], config_file)


def load_settings(
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    paths: Paths | None = None,
) -> Settings:
    """Build the effective settings from every source (flags are applied later with ``Settings.with_flags``)."""
    env = dict(os.environ if environ is None else environ)
    paths = paths or resolve_paths(env)
    layers = _Layers()
    # A .env may choose among your own profiles: each pairs your credentials with your destinations.
    dotenv = read_dotenv((cwd or Path.cwd()) / ".env", paths, env, layers.warnings)
    file_data = read_toml(paths.config_file)
    chosen = (
        profile
        or env.get("CLAUDECLI_PROFILE")
        or _dotenv_profile(dotenv, file_data, paths.config_file, layers.warnings)
        or file_data.get("default_profile")
        or None
    )
    layers.apply_table(file_data, str(paths.config_file))
    if chosen:
        _apply_profile(layers, file_data, chosen, paths.config_file)
    if dotenv:
        _dotenv_layer(dotenv, layers)
    _env_layer(env, layers, "env")
    _check_prices(layers)
    settings = Settings(
        paths=paths,
        profile=chosen,
        sources=layers.sources,
        warnings=layers.warnings,
        file_warnings=layers.file_warnings,
        dotenv=dotenv,
        roles=_roles(file_data, chosen, paths.config_file),
        tools=_tools(file_data, paths.config_file),
        mcp=_mcp_servers(file_data, paths.config_file),
        **layers.values,
    )
    settings.warnings.extend(
        destination_warnings(layers.values["base_url"], layers.sources, dotenv, settings.credential_setting())
    )
    return settings


def redacted(settings: Settings) -> dict[str, Any]:
    """Settings for display: secrets replaced by a marker that says only whether they are set."""
    shown: dict[str, Any] = {}
    for name, value in settings.values.items():
        if name in SECRET_KEYS and value:
            shown[name] = "******** (set)"
        elif name == "api_key_command" and value:
            shown[name] = key_command_display(value)
        elif name == "base_url" and value:
            shown[name] = redact_url(value)
        else:
            shown[name] = value
    return shown


def key_command_display(argv: list[str]) -> str:
    """``api_key_command`` for display: the program's name only, since its arguments may hold a secret."""
    program = os.path.basename(argv[0]) if argv else ""
    return f"{program} ******** (set)" if len(argv) > 1 else f"{program} (set)"
