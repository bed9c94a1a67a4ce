"""The proxy variables the SDK's HTTP library (httpx2) honours, checked before an API client is built.

httpx2 takes its proxies from ``urllib.request.getproxies()``: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY in any case
(a lowercase one wins), a value without ``://`` read as ``http://…``; ``NO_PROXY=*`` turns them all off, and
other NO_PROXY entries only bypass them for their hosts. A malformed proxy URL fails late and obscurely there: a
port that is not a number when the client is built ("connection lost … (InvalidURL)"), a port out of range only
at the first request. Checked up front, each is one line naming the variable, never its value: a proxy URL may
hold the proxy's password. The check is the same whatever host NO_PROXY names, since httpx2 itself refuses most
malformed values at start-up whether or not they would be used.

When a connection fails and a proxy applied to the API's URL (by httpx2's own rules: the scheme's variable,
``ALL_PROXY``, ``NO_PROXY``), :func:`proxy_failure` says so, naming the variable and why in fixed words
("connection refused"), never the proxy's URL.
"""

from __future__ import annotations

import os

from claudecli.core.errors import ConnectionFailed

_SCHEMES = ("http", "https", "all")  # the proxies httpx2 mounts (get_environment_proxies)
PROXY_VARIABLES = frozenset(f"{scheme}_proxy" for scheme in _SCHEMES)  # lowercase; read in any case
_PORT = "its port is not a number from 1 to 65535"


def as_url(value: str) -> str:
    """A proxy variable's value as the URL it is read as: without ``://``, an ``http://`` one."""
    return value if "://" in value else f"http://{value}"


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

    text = as_url(value)
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
    """The proxy variable in use whose value starts with one of ``starts`` and none of ``unless`` (for
    messages), read as :func:`check_proxy_environment` reads them."""
    from urllib.request import getproxies

    for scheme, value in getproxies().items():
        text = str(value).lower()
        if scheme in _SCHEMES and text.startswith(starts) and not text.startswith(unless):
            return _variable_of(scheme, str(value))
    return "the environment"


def proxy_failure(url: object, cause: BaseException | None) -> ConnectionFailed | None:
    """The error for a connection to ``url`` that failed with ``cause``, when a proxy was in the way; else None."""
    variable = proxy_in_use(url)
    if variable is None:
        return None
    return ConnectionFailed(
        f"cannot connect to the API through the proxy in {variable}: {failure_reason(cause)}",
        hint=f"check that the proxy is running and reachable, or unset {variable}",
    )


def proxy_in_use(url: object) -> str | None:
    """The variable whose proxy a request for ``url`` goes through, or None when none applies: the URL's scheme's
    variable, else ALL_PROXY, unless NO_PROXY names its host (the standard library's reading of these, which
    httpx2 follows; used only to word a failure, never to route a request)."""
    from urllib.parse import urlsplit
    from urllib.request import getproxies

    try:
        parts = urlsplit(str(url))
        host = parts.hostname
    except ValueError:
        return None
    proxies = getproxies()
    if not host or _bypassed(host, proxies.get("no", "")):
        return None
    for scheme in (parts.scheme, "all"):
        if proxies.get(scheme):
            return _variable_of(scheme, str(proxies[scheme]))
    return None


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY's reading: ``*``, or an entry that is the host or a domain it is in (``example.com``,
    ``.example.com``; an entry's port, if any, is not compared)."""
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        name = entry.split("://", 1)[-1].rsplit(":", 1)[0].lstrip(".") if entry != "*" else entry
        if entry == "*" or (name and (host.lower() == name or host.lower().endswith("." + name))):
            return True
    return False


def failure_reason(cause: BaseException | None) -> str:
    """Why a connection failed, in words of our own (an exception's text may quote the proxy's URL)."""
    import socket  # lazy: every command that may build a client imports this module; few fail

    seen: set[int] = set()
    error = cause
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, socket.gaierror):
            return "its host name cannot be resolved"
        if isinstance(error, OSError) and isinstance(error.errno, int) and error.errno > 0:
            return os.strerror(error.errno).lower()
        error = error.__cause__ or error.__context__
    text = str(cause).lower() if cause is not None else ""
    for words in ("connection refused", "timed out", "network is unreachable", "connection reset"):
        if words in text:
            return words
    return type(cause).__name__ if cause is not None else "the connection failed"
