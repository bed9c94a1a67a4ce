"""``[mcp.NAME]`` tables of config.toml: the MCP servers the user may enable with ``--mcp NAME``.

Only the user's own config.toml defines servers (top level, not inside a profile): the environment and a ``.env``
are read for scalar settings only, so neither can define a server, change its command or lower its approval.

    [mcp.github]                      # a server claudecli starts and talks to over stdio
    command = "github-mcp-server"
    args = ["stdio"]
    env = { GITHUB_TOKEN = "ghp_..." }   # added to the SDK's minimal environment; masked in `config show`
    approval = "ask"                  # "auto" | "ask" (default) | "explicit", as for [tools.NAME]
    tools.allow = ["get_*", "search_*"]  # fnmatch patterns on the server's own tool names (default: all)
    tools.deny = ["delete_*"]         # wins over allow
    startup_timeout = 10              # seconds for the server to start and answer initialize (default 10)
    timeout = 60                      # seconds for one tool call (default 60)

    [mcp.docs]                        # a remote server over streamable HTTP
    url = "https://example.com/mcp"
    headers = { Authorization = "Bearer ..." }   # masked in `config show`
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudecli.core.errors import ConfigError

APPROVALS = ("auto", "ask", "explicit")
DEFAULT_STARTUP_TIMEOUT = 10.0
DEFAULT_CALL_TIMEOUT = 60.0
MASKED = "******** (set)"
_KEYS = frozenset(
    {"command", "args", "env", "url", "headers", "approval", "tools", "startup_timeout", "timeout"}
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(frozen=True)
class McpServerConfig:
    """One ``[mcp.NAME]`` table, checked: either ``command`` (stdio) or ``url`` (streamable HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    approval: str = "ask"
    allow: tuple[str, ...] = ()  # empty: every tool the server lists
    deny: tuple[str, ...] = ()
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    timeout: float = DEFAULT_CALL_TIMEOUT
    source: str = ""  # "FILE [mcp.NAME]", for messages

    @property
    def transport(self) -> str:
        return "stdio" if self.command else "http"

    def secrets(self) -> list[str]:
        """The ``env`` and ``headers`` values that may be credentials, and a URL's password: masked wherever
        claudecli writes. Masking every value would turn ``production`` or ``application/json`` into
        ``********`` in piped answers too, so a value counts when its name or its shape says secret."""
        pairs = [*self.env.items(), *self.headers.items()]
        return [value for name, value in pairs if may_be_secret(name, value)] + _url_password(self.url)

    def display(self) -> dict[str, Any]:
        """For ``config show``: ``env`` and ``headers`` values masked, a URL's password hidden."""
        from claudecli.core.dotenv_policy import redact_url

        shown: dict[str, Any] = {"approval": self.approval}
        if self.command:
            shown |= {"command": self.command, "args": masked_argv(self.args)}
        if self.url:
            shown["url"] = _masked_query(redact_url(self.url))
        if self.env:
            shown["env"] = dict.fromkeys(sorted(self.env), MASKED)
        if self.headers:
            shown["headers"] = dict.fromkeys(sorted(self.headers), MASKED)
        if self.allow or self.deny:
            shown["tools"] = {"allow": list(self.allow), "deny": list(self.deny)}
        return shown


def _url_password(url: str | None) -> list[str]:
    from urllib.parse import unquote, urlsplit

    netloc = urlsplit(url or "").netloc
    if "@" not in netloc:
        return []
    user, _, password = netloc.rsplit("@", 1)[0].partition(":")
    secret = password or user
    return [secret, unquote(secret)] if secret else []


def parse_mcp_servers(table: Any, config_file: Path) -> dict[str, McpServerConfig]:
    """Every ``[mcp.NAME]`` in ``table``; a ConfigError names the first problem with file and table."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{config_file}: mcp must be a table of [mcp.NAME] tables")
    return {str(name): _parse_one(str(name), spec, config_file) for name, spec in table.items()}


def _parse_one(name: str, spec: Any, config_file: Path) -> McpServerConfig:
    where = f"{config_file} [mcp.{name}]"

    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{where}: {problem}")

    if not name or len(name) > 32 or not set(name) <= _NAME_CHARS:
        raise fail("a server name is 1 to 32 letters, digits, '_' or '-' (it prefixes its tools' names)")
    if "__" in name or name.endswith("_"):
        # Otherwise server x's tool 'y__z' and server x__y's tool 'z' would both be x__y__z for the model: the
        # one enabled first keeps the name, so `--approve x__y__z` could approve the other server's tool.
        raise fail(
            "a server name has no '__' and does not end in '_' (SERVER__ must tell one server's tools apart)"
        )
    if not isinstance(spec, Mapping):
        raise fail("must be a table")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise fail(f"unknown key '{unknown[0]}' (known: {', '.join(sorted(_KEYS))})")
    command, url = spec.get("command"), spec.get("url")
    if (command is None) == (url is None):
        raise fail("needs either command (a server started over stdio) or url (streamable HTTP), not both")
    allow, deny = _tool_lists(spec.get("tools", {}), fail)
    return McpServerConfig(
        name=name,
        command=_text(command, "command", fail) if command is not None else None,
        args=_strings(spec.get("args", []), "args", fail),
        env=_string_table(spec.get("env", {}), "env", fail),
        url=_url(url, fail) if url is not None else None,
        headers=_string_table(spec.get("headers", {}), "headers", fail),
        approval=_approval(spec.get("approval", "ask"), fail),
        allow=allow,
        deny=deny,
        startup_timeout=_seconds(
            spec.get("startup_timeout", DEFAULT_STARTUP_TIMEOUT), "startup_timeout", fail
        ),
        timeout=_seconds(spec.get("timeout", DEFAULT_CALL_TIMEOUT), "timeout", fail),
        source=where,
    )


Fail = Callable[[str], ConfigError]


def _text(value: Any, key: str, fail: Fail) -> str:
    if isinstance(value, list):
        raise fail(f'{key} must be a string (the program); put its arguments in args = ["..."]')
    if not isinstance(value, str) or not value.strip():
        raise fail(f"{key} must be a non-empty string")
    return value


def _strings(value: Any, key: str, fail: Fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise fail(f"{key} must be a list of strings")
    return tuple(value)


def _string_table(value: Any, key: str, fail: Fail) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(item, str) for item in value.values()):
        raise fail(f'{key} must be a table of strings, like {key} = {{ NAME = "value" }}')
    return {str(name): item for name, item in value.items()}


def _url(value: Any, fail: Fail) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise fail("url must be an http:// or https:// URL")
    return value


def _tool_lists(value: Any, fail: Fail) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(value, Mapping) or not set(value) <= {"allow", "deny"}:
        raise fail('tools must be a table with allow and/or deny lists, like tools.deny = ["delete_*"]')
    return _strings(value.get("allow", []), "tools.allow", fail), _strings(
        value.get("deny", []), "tools.deny", fail
    )


def _approval(value: Any, fail: Fail) -> str:
    if value not in APPROVALS:
        raise fail(f"approval must be one of {', '.join(repr(a) for a in APPROVALS)}")
    return str(value)


def _seconds(value: Any, key: str, fail: Fail) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"{key} must be a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise fail(f"{key} must be a positive number of seconds")
    return float(value)


_SECRET_NAME = re.compile(
    r"TOKEN|KEY|SECRET|PASS|AUTH|COOKIE|CREDENTIAL|SESSION|SIGNATURE|PAT$|PAT_", re.IGNORECASE
)
_TOKEN_SHAPE = re.compile(r"[^\s]{16,}")


def may_be_secret(name: str, value: str) -> bool:
    """Whether an ``env`` or header value may be a credential: a secret-sounding name (``GITHUB_TOKEN``,
    ``Authorization``, ``X-Api-Key``), or a long unbroken value mixing letters and digits (``ghp_…``, ``sk-…``)."""
    if _SECRET_NAME.search(name):
        return True
    return (
        bool(_TOKEN_SHAPE.fullmatch(value))
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
    )


def masked_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` for ``config show``: the value of a secret-named flag masked (``--token X``, ``--api-key=X``)."""
    shown: list[str] = []
    for word in argv:
        flag, equals, _ = word.partition("=")
        if equals and flag.startswith("-") and _SECRET_NAME.search(flag):
            shown.append(f"{flag}={MASKED}")
        elif shown and shown[-1].startswith("-") and "=" not in shown[-1] and _SECRET_NAME.search(shown[-1]):
            shown.append(MASKED)
        else:
            shown.append(word)
    return shown


def _masked_query(url: str) -> str:
    """``url`` with each query value masked (``?api_key=…`` is a common way to pass a token)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    names = [pair.partition("=")[0] for pair in parts.query.split("&")]
    return urlunsplit(parts._replace(query="&".join(f"{name}=********" for name in names)))
