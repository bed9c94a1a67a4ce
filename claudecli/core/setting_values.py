"""What each setting may hold: the converters that turn a raw value (TOML, the environment, a .env, a flag) into a
setting's typed value, and :data:`SCALARS`, every scalar setting with its converter and default.

A converter raises ValueError with the rule the value broke; the loader (``core.config``) names where it came from.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any


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


def model_name(value: Any) -> str:
    """A model id or alias: printable, no spaces (a NUL or a newline would reach the API's path or body as is)."""
    text = _text(value)
    if not text or any(not char.isprintable() or char.isspace() for char in text):
        raise ValueError("must be a model id or alias, without spaces or control characters")
    return text


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
    "model": (model_name, "sonnet"),
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
    "fallback_model": (model_name, None),  # asked once when `model` is overloaded (529) after retries
    "betas": (_beta_names, ()),  # anthropic-beta headers; the calls then go through the SDK's beta resource
    "speed": (_choice("standard", "fast"), None),
    "service_tier": (_choice("auto", "standard_only"), None),
    "inference_geo": (_region, None),
    "max_tool_steps": (_positive_int, 10),  # most API calls in one tool loop (--max-steps)
}
