"""The one place an Anthropic SDK client is built (its failures become claudecli errors in ``sdk_errors``).

The SDK is imported inside these functions only: importing it costs about a second, which ``--help``,
completions and local commands must not pay.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from claudecli import __version__
from claudecli.core import gc_pause, retry_notice, warmup
from claudecli.core.config import Settings
from claudecli.core.errors import ConnectionFailed
from claudecli.core.interrupt import HeldCtrlC
from claudecli.core.proxy_env import check_proxy_environment, proxy_variable
from claudecli.core.sdk_errors import no_message, translate_errors

if TYPE_CHECKING:
    import anthropic

USER_AGENT_HEADER = {"x-claudecli-version": __version__}
_Client = TypeVar("_Client")


def clamp_retry_headers(headers: Any, cap: float) -> None:
    """Set the wait a failed response asks for (``retry_notice.retry_after_seconds``) to at most ``cap``
    seconds, in place, so the SDK never sleeps longer; a wait that cannot be read is removed (the SDK backs off
    on its own).

    The SDK honours a server's retry-after with no upper bound; a 429 saying "retry-after: 3600" would stall
    a pipeline or a crontab for an hour. This runs as client middleware, inside the SDK's retry loop.
    """
    if "retry-after-ms" not in headers and "retry-after" not in headers:
        return
    seconds = retry_notice.retry_after_seconds(headers)
    for name in ("retry-after-ms", "retry-after"):
        if name in headers:
            del headers[name]
    if seconds is not None:
        headers["retry-after-ms"] = f"{min(seconds, cap) * 1000:g}"
        headers["retry-after"] = f"{min(seconds, cap):g}"


def _failed_attempt(http_response: Any, cap: float) -> None:
    """Cap the retry-after of a failed response, then tell a waiting spinner (see core.retry_notice)."""
    clamp_retry_headers(http_response.headers, cap)
    retry_notice.report(http_response.status_code, http_response.headers)


def _retry_cap_middleware(cap: float) -> Any:
    """Runs around each HTTP attempt, inside the SDK's retry loop: caps a failed response's retry-after and tells
    the spinner (``_failed_attempt``); a synchronous call's attempts are also told to its booker (``retry_notice``),
    so that one lost without an answer keeps a ledger row. ``batch run``, the asynchronous client, retries by
    itself and books its own attempts."""

    class RetryAfterCap(sdk().Middleware):  # type: ignore[misc]
        def handle(self, request: Any, call_next: Any) -> Any:
            retry_notice.attempt_starting(getattr(request, "retries_taken", 0))
            try:
                response = call_next(request)
            except Exception as exc:
                retry_notice.attempt_lost(exc)
                raise
            if not response.http_response.is_success:
                _failed_attempt(response.http_response, cap)
            return response

        async def handle_async(self, request: Any, call_next: Any) -> Any:
            response = await call_next(request)
            if not response.http_response.is_success:
                _failed_attempt(response.http_response, cap)
            return response

    return RetryAfterCap()


def _client_kwargs(settings: Settings, credential: tuple[str, str]) -> dict[str, Any]:
    kind, secret = credential
    kwargs: dict[str, Any] = {
        kind: secret,
        "max_retries": settings.max_retries,
        "timeout": settings.timeout,
        "default_headers": USER_AGENT_HEADER,
        "middleware": [_retry_cap_middleware(settings.retry_after_cap)],
    }
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    return kwargs


_sdk_lock = threading.Lock()


def sdk() -> Any:
    """The ``anthropic`` module, imported on first use (with the start-up collector pause, see
    :mod:`claudecli.core.gc_pause`). Once imported, this is a dictionary look-up.

    Thread-safe: while the warm-up thread imports it, ``sys.modules`` already holds the half-initialised
    module, so a caller on another thread waits for the import to finish instead of using it half-built.
    """
    module = sys.modules.get("anthropic")
    if module is not None and not _initialising(module):
        return module
    warmup.acquire(_sdk_lock)
    try:
        with gc_pause.heavy_import():
            import anthropic as module
        # The SDK turns a stream's events back into JSON with pydantic's warnings on: an answer of another shape
        # would print Python's warning lines on stderr, beside the one error line claudecli prints for it.
        warnings.filterwarnings("ignore", message="Pydantic serializer warnings", category=UserWarning)
    finally:
        _sdk_lock.release()
    return module


def _initialising(module: Any) -> bool:
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


# How long an idle connection is kept (the HTTP library's default is 5 s). A chat's next turn usually comes
# later than that: each then paid a new TCP and TLS handshake, and so did a first turn typed for more than 5 s
# after the warm-up opened its connection. One the server has closed meanwhile is seen as such and replaced.
IDLE_CONNECTION_KEPT_S = 120.0


def build_client(settings: Settings) -> anthropic.Anthropic:
    """A synchronous client configured from settings (key, base URL, retries, timeout, retry-after cap), whose
    idle connection is kept for the next call (``IDLE_CONNECTION_KEPT_S``)."""
    credential = settings.credential()
    module = sdk()  # the import (and a wait for the warm-up's) stays interruptible

    def construct() -> anthropic.Anthropic:
        import httpx2

        limits = httpx2.Limits(
            max_connections=1000, max_keepalive_connections=100, keepalive_expiry=IDLE_CONNECTION_KEPT_S
        )
        http_client = module.DefaultHttpxClient(limits=limits, event_hooks={"response": [refuse_web_page]})
        return module.Anthropic(**_client_kwargs(settings, credential), http_client=http_client)

    return _constructed(construct)


WEB_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def refuse_web_page(response: Any) -> None:
    """An HTTP hook: a success carrying a web page (a captive portal's sign-in, a gateway's error page) is no
    answer of the API's (``sdk_errors.no_message``), never one the SDK tries to read as its types (it failed
    with an AttributeError deep inside). A file's own content (``/files/{id}/content``) may be HTML."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if (
        response.is_success
        and content_type in WEB_PAGE_TYPES
        and not response.request.url.path.endswith("/content")
    ):
        raise no_message("a web page came back")


def build_async_client(settings: Settings) -> anthropic.AsyncAnthropic:
    credential = settings.credential()
    module = sdk()
    return _constructed(lambda: module.AsyncAnthropic(**_client_kwargs(settings, credential)))


def one_connection_each(client: anthropic.AsyncAnthropic, count: int) -> list[anthropic.AsyncAnthropic]:
    """``count`` copies of ``client`` (same key, options and middleware), each with a connection pool of its
    own holding one connection: for ``count`` workers that each send one request at a time (``batch run``).

    The HTTP library's pool looks at every connection it holds each time a request starts or ends (expiry
    probes of the idle ones, keep-alive accounting): one pool shared by 32 workers is 32 connections looked at
    twice per request, the largest part of ``batch run``'s own time per request; a pool per worker, one.
    """
    import httpx2

    module = sdk()
    verify = httpx2.create_ssl_context()  # once: loading the CA certificates takes ~80 ms
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    return _constructed(
        lambda: [
            client.with_options(http_client=module.DefaultAsyncHttpxClient(verify=verify, limits=limits))
            for _ in range(count)
        ]
    )


def build_admin_client(settings: Settings) -> anthropic.Anthropic:
    """A client authenticated with the organisation admin key (ANTHROPIC_ADMIN_KEY / ``admin_key``)."""
    admin_key = settings.admin_credential()
    module = sdk()
    return _constructed(lambda: module.Anthropic(**_client_kwargs(settings, ("api_key", admin_key))))


def _constructed(construct: Callable[[], _Client]) -> _Client:
    """Run an SDK client's constructor: whole (a Ctrl-C waits for it), and failing as one line.

    The failures seen in the wild come from the proxy variables: a SOCKS proxy (``ALL_PROXY=socks5://…``),
    which the HTTP library can only use with the optional ``socksio`` package installed, an unsupported scheme,
    and a malformed URL (checked first, see ``proxy_env``).
    """
    check_proxy_environment()
    # Cut half-way, the constructor leaves an HTTP client without its state, whose finaliser later prints
    # "Exception ignored in ... __del__" and a traceback: a Ctrl-C waits the few milliseconds it takes.
    with translate_errors(), HeldCtrlC():
        try:
            return construct()
        except ImportError as exc:
            if "socks" not in str(exc).lower():
                raise
            raise ConnectionFailed(
                f"cannot connect to the API through the SOCKS proxy in {proxy_variable(('socks',))}: "
                "the socksio package is not installed",
                hint="pipx inject claudecli socksio (or pip install socksio), or unset that variable",
            ) from None
        except ValueError as exc:
            if "proxy" not in str(exc).lower():
                raise
            variable = proxy_variable(("",), unless=("http://", "https://", "socks5://", "socks5h://"))
            raise ConnectionFailed(  # not the URL itself: it may hold the proxy's password
                f"cannot connect to the API through the proxy in {variable}: its URL's scheme is not supported",
                hint="a proxy URL starts with http://, https://, socks5:// or socks5h://",
            ) from None


def quiet_half_built_clients(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    """``sys.unraisablehook`` without one known noise: the SDK's HTTP client wrapper, collected after its
    constructor failed half-way, trips over its own missing state in ``__del__`` ("Exception ignored in ...
    HttpxClientWrapper.__del__" and a traceback on stderr). Anything else goes to ``previous``."""

    def hook(unraisable: Any) -> None:
        where = getattr(unraisable.object, "__qualname__", "")
        if isinstance(unraisable.exc_value, AttributeError) and where.endswith("HttpxClientWrapper.__del__"):
            return
        previous(unraisable)

    return hook


def _rehearsal_reply() -> bytes:
    """One streamed reply as the API sends it (see the wire notes): a thinking block, a text block, usage.

    Every field a real reply carries is here, even as null: the SDK builds a validator per field type the
    first time it meets one (``speed``'s and ``inference_geo``'s were left to the first real answer)."""
    import json

    cache = {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    usage = {
        "input_tokens": 1,
        "output_tokens": 1,
        **cache,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard",
        "speed": "standard",
        "inference_geo": "global",
    }
    final_usage = {
        "input_tokens": 1,
        "output_tokens": 2,
        **cache,
        "output_tokens_details": {"thinking_tokens": 1},
        "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
    }
    message = {
        "id": "msg_rehearsal",
        "type": "message",
        "role": "assistant",
        "model": "rehearsal",
        "content": [],
    }
    stopped = {"stop_reason": "end_turn", "stop_sequence": None, "stop_details": None}
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                **message,
                "stop_reason": None,
                "stop_sequence": None,
                "stop_details": None,
                "usage": usage,
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": thinking},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "."}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "."}},
        {"type": "content_block_stop", "index": 1},
        {"type": "ping"},
        {"type": "message_delta", "delta": stopped, "usage": final_usage},
        {"type": "message_stop"},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def rehearsal_client() -> anthropic.Anthropic:
    """A client that never leaves the process: every request it makes gets one canned streamed reply, locally.

    The SDK builds its response models (pydantic) the first time it reads a reply: about 0.1 s of the first
    answer, ten times a later answer's own cost. Streaming this canned reply through the code every call uses
    (``claudecli.call.stream.rehearse``), from the warm-up thread, gets that done before the first real call.
    No key, no network, no telemetry span; nothing is booked.
    """
    import inspect

    import httpx2

    module = sdk()
    reply = _rehearsal_reply()

    def answer(request: Any) -> Any:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=reply)

    options: dict[str, Any] = {"open_telemetry": False}  # the SDK's tracing option (not in every 2.x)
    accepted = inspect.signature(module.Anthropic).parameters
    return module.Anthropic(
        api_key="rehearsal",
        base_url="http://rehearsal.invalid",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(answer)),
        **{name: value for name, value in options.items() if name in accepted},
    )
