"""Where SDK and transport failures become claudecli errors: one line, a documented exit code.

``translate`` maps one exception; ``translate_errors`` re-raises inside a block; ``answered_with_error`` tells an
error status (billed nothing) from a failure that may have been served. The SDK's own exception classes are
looked up only once a failure is in hand, so importing this module never imports the SDK.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from claudecli.core.errors import (
    AuthError,
    BadRequestError,
    BillingError,
    ClaudeCliError,
    ConnectionFailed,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from claudecli.core.proxy_env import proxy_failure, proxy_in_use

_STATUS_ERRORS: dict[int, type[ClaudeCliError]] = {
    400: BadRequestError,
    401: AuthError,
    402: BillingError,
    403: AuthError,
    404: NotFoundError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitedError,
    529: RateLimitedError,
}

# Error types that can arrive in an `event: error` in the middle of a 200 stream.
_STREAM_ERROR_TYPES: dict[str, type[ClaudeCliError]] = {
    "overloaded_error": RateLimitedError,
    "rate_limit_error": RateLimitedError,
    "invalid_request_error": BadRequestError,
    "authentication_error": AuthError,
    "permission_error": AuthError,
    "not_found_error": NotFoundError,
    "billing_error": BillingError,
}


def _describe_status(exc: Any) -> ClaudeCliError:
    status = int(getattr(exc, "status_code", 0) or 0)
    api_type = getattr(exc, "type", None) or ""
    message = getattr(exc, "api_message", None) or api_type or "request failed"
    request_id = getattr(exc, "request_id", None)
    if status == 200 or status == 0:  # an `event: error` inside a stream
        cls = _STREAM_ERROR_TYPES.get(api_type, ServerError)
        return cls(
            f"stream failed: {api_type or 'error'}: {message}",
            request_id=request_id,
            error_type=api_type or None,
        )
    cls = _STATUS_ERRORS.get(status, ServerError if status >= 500 else BadRequestError)
    text = f"{status} {api_type}: {message}" if api_type else f"{status}: {message}"
    if cls is RateLimitedError:
        text += " (gave up after retries)"
    elif cls is ServerError:
        text = f"server error {text}"
    return cls(text, request_id=request_id, error_type=api_type or None)


# How the SDK's stream reports a tool_use input it cannot parse (jiter refuses JSON nested ~255 levels deep):
# a plain ValueError, which quotes the model's JSON.
_UNREADABLE_TOOL_INPUT = "Unable to parse tool parameter JSON from model"


def answered_with_error(exc: BaseException) -> bool:
    """Whether the API answered the request with an HTTP error status (a 4xx or 5xx, the SDK's exception or the
    claudecli error made from it): it generated nothing, so it bills nothing, whatever the model's price. Not a
    dropped connection or a timeout (the request may have been served), nor an error event inside a stream
    (tokens may have been generated before it)."""
    for candidate in (exc, exc.__cause__):
        status = getattr(candidate, "status_code", None)
        if isinstance(status, int) and status >= 400:
            return True
    return False


def translate(exc: BaseException, *, answer_begun: bool = False) -> ClaudeCliError | None:
    """Map an SDK or transport exception to a claudecli error, or None if it is not one of theirs.

    ``answer_begun``: the response had started (a stream was open) when it failed. From anthropic 2.17 on, a
    broken or stalled body read comes wrapped in the SDK's connection or timeout error, like a failure before
    the response, so only the caller can tell the two apart."""
    if isinstance(exc, ClaudeCliError):  # already ours (``no_message``)
        return exc
    if isinstance(exc, ValueError) and str(exc).startswith(_UNREADABLE_TOOL_INPUT):
        return ServerError(
            "the model's tool call could not be read: its input is not JSON the SDK can parse "
            "(nested too deeply, or malformed)",
            hint="try again, or change the prompt",
            error_type="unreadable_tool_input",
        )
    module = type(exc).__module__ or ""
    if not (module.startswith("anthropic") or module.startswith("httpx2") or module.startswith("httpcore")):
        return unreadable_answer(exc) if _raised_reading_answer(exc) else None
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        return _describe_status(exc)
    if isinstance(exc, anthropic.APITimeoutError):
        if answer_begun:
            return _stalled_mid_answer()
        proxy = proxy_in_use(getattr(getattr(exc, "request", None), "url", ""))
        return ConnectionFailed(
            "request timed out" + (f" (through the proxy in {proxy})" if proxy else ""),
            hint="raise `timeout` in config or try again",
            error_type="timeout_error",
        )
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__
        if isinstance(cause, ClaudeCliError):  # raised by claudecli's own HTTP hook (``no_message``)
            return cause
        if answer_begun:  # first: the API (and any proxy) was reached, whatever broke the read
            return lost_mid_answer(type(cause or exc).__name__)
        through_proxy = proxy_failure(getattr(getattr(exc, "request", None), "url", ""), cause)
        if through_proxy is not None:
            return through_proxy
        if cause is None:
            return ConnectionFailed("cannot connect to the API")
        name = type(cause).__name__
        if name.startswith("Connect"):  # refused, unresolved, TLS: the API was never reached
            return ConnectionFailed(f"cannot connect to the API: {name}")
        return ConnectionFailed(f"the connection to the API was lost before its answer ({name})")
    if isinstance(exc, anthropic.CredentialsError):
        return AuthError(f"credentials: {exc}")
    if isinstance(exc, anthropic.AnthropicError):
        return ServerError(f"API client error: {exc}")
    # httpx2 / httpcore: the connection broke while a response was being read (a dropped stream), or it went
    # silent for longer than the read timeout (the SDK raises its own timeout error only before the stream).
    if "Timeout" in type(exc).__name__:
        return _stalled_mid_answer()
    return lost_mid_answer(type(exc).__name__)


# The SDK's modules that read an answer: its JSON, an event stream, and the types built from them, which the SDK
# builds without checking them. Another kind of exception raised in there (a JSONDecodeError, a UnicodeDecodeError,
# an AttributeError on a field of another type) comes from an answer of another shape, not from claudecli.
_READING_MODULES = (
    "anthropic._response",
    "anthropic._streaming",
    "anthropic._decoders",
    "anthropic.lib.streaming",
)


def _raised_reading_answer(exc: BaseException) -> bool:
    if not isinstance(exc, Exception):
        return False
    frame = exc.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(_READING_MODULES):
            return True
        frame = frame.tb_next
    return False


def unreadable_answer(exc: BaseException) -> ServerError:
    """A 200 whose body the SDK could not read as the API's answer (binary or non-UTF-8 bytes, an empty body,
    JSON or stream events of another shape): a server error, exit 7, never an unexpected failure."""
    if isinstance(exc, UnicodeDecodeError):
        what = "not UTF-8 text"
    elif isinstance(exc, json.JSONDecodeError):
        what = "not JSON"
    else:
        what = "JSON of another shape"
    return cannot_read(what)


def cannot_read(what: str) -> ServerError:
    return ServerError(f"the API sent an answer claudecli cannot read ({what})")


def no_message(what: str = "no message came back") -> ConnectionFailed:
    """A 200 that is not the API's answer: a captive portal's page, a gateway's JSON, an empty event stream.
    The request may or may not have reached the API, as when a connection breaks before the answer."""
    return ConnectionFailed(
        f"{what}: the answer was not the API's",
        hint="a proxy or gateway between you and the API (HTTPS_PROXY, ANTHROPIC_BASE_URL) may have answered "
        "in its place",
    )


def _stalled_mid_answer() -> ConnectionFailed:
    return ConnectionFailed(
        "timed out while reading the response: nothing arrived for longer than `timeout`",
        hint="raise `timeout` in config or try again",
        error_type="timeout_error",
    )


def lost_mid_answer(why: str) -> ConnectionFailed:
    return ConnectionFailed(f"connection lost while reading the response ({why})")


@contextlib.contextmanager
def translate_errors(answer_begun: Callable[[], bool] = lambda: False) -> Iterator[None]:
    """Re-raise SDK and transport failures as claudecli errors (one line, a documented exit code).
    ``answer_begun`` is asked when one is raised (see ``translate``)."""
    try:
        yield
    except ClaudeCliError:
        raise
    except Exception as exc:
        mapped = translate(exc, answer_begun=answer_begun())
        if mapped is None:
            raise
        raise mapped from exc
