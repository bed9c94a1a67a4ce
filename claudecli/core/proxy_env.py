"""The proxy variables the SDK's HTTP library (httpx2) honours, checked before an API client is built.

httpx2 takes its proxies from ``urllib.request.getproxies()``: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY in any case
(a lowercase one wins), a value without ``://`` read as ``http://…``; ``NO_PROXY=*`` turns them all off, and
other NO_PROXY entries only bypass them for their hosts. A malformed proxy URL fails late and obscurely there: a
port that is not a number when the client is built ("connection lost … (InvalidURL)"), a port out of range only
at the first request. Checked up front, each is one line naming the variable, never its value: a proxy URL may
hold the proxy's password. The check is the same whatever host NO_PROXY names, since httpx2 itself refuses most
malformed values at start-up whether or not they would be used.
"""

from __future__ import annotations

import os

from claudecli.core.errors import ConnectionFailed

_SCHEMES = ("http", "https", "all")  # the proxies httpx2 mounts (get_environment_proxies)
_PORT = "its port is not a number from 1 to 65535"


def check_proxy_environment() -> None:
    """Refuse (ConnectionFailed, exit 8, as for an unsupported proxy scheme) a proxy variable that is no URL."""
    from urllib.request import getproxies

    proxies = getproxies()
    if any(host.strip() == "*" for host in proxies.get("no", "").split(",")):
        return  # NO_PROXY=*: httpx2 reads no proxy variable at all
    for scheme in _SCHEMES:
        value = proxies.get(scheme)
        problem = _problem(value) if value else None
        if problem is not None:
            raise ConnectionFailed(
                f"cannot connect to the API through the proxy in {_variable_of(scheme, str(value))}: {problem}",
                hint="a proxy URL is http://HOST:PORT (or https://, socks5://), "
                "optionally with USER:PASSWORD@ before the host",
            )


def _problem(value: str) -> str | None:
    """What is wrong with the proxy URL ``value`` (in words that do not quote it), or None."""
    from urllib.parse import urlsplit

    import httpx2

    text = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return _PORT if "port" in str(exc).lower() else "it is not a valid URL"
    if port == 0:
        return _PORT
    if not parts.hostname:
        return "its URL names no host"
    try:
        parsed = httpx2.URL(text)
    except httpx2.InvalidURL as exc:
        return _PORT if "port" in str(exc).lower() else "it is not a valid URL"
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        return _PORT
    return None


def _variable_of(scheme: str, value: str) -> str:
    """The environment variable ``getproxies`` took ``value`` from (its lowercase spelling wins, as there)."""
    names = [
        name for name, found in os.environ.items() if name.lower() == f"{scheme}_proxy" and found == value
    ]
    if not names:
        return "the system's proxy settings"
    return min(names, key=lambda name: (name != name.lower(), name))


def proxy_variable(starts: tuple[str, ...], unless: tuple[str, ...] = ()) -> str:
    """The proxy variable whose value starts with one of ``starts`` and none of ``unless`` (for messages)."""
    names = ("ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY")
    for name in (*names, *(name.lower() for name in names)):
        value = os.environ.get(name, "").lower()
        if value and value.startswith(starts) and not value.startswith(unless):
            return name
    return "the environment"
