"""The one place an Anthropic SDK client is built, and where SDK failures become claudecli errors.

The SDK is imported inside these functions only: importing it costs about a second, which ``--help``,
completions and local commands must not pay.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from claudecli import __version__
from claudecli.core import gc_pause
from claudecli.core.config import Settings
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

if TYPE_CHECKING:
    import anthropic

USER_AGENT_HEADER = {"x-claudecli-version": __version__}


def _capped_seconds(value: str, cap: float) -> str | None:
    """A retry-after value (seconds, or an HTTP date) clamped to ``cap`` seconds; None if unparseable."""
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        seconds = parsed.timestamp() - time.time()
    return f"{max(0.0, min(seconds, cap)):g}"


def clamp_retry_headers(headers: Any, cap: float) -> None:
    """Lower ``retry-after`` / ``retry-after-ms`` in place so the SDK never sleeps longer than ``cap``.

    The SDK honours a server's retry-after with no upper bound; a 429 saying "retry-after: 3600" would stall
    a pipeline or a crontab for an hour. This runs as client middleware, inside the SDK's retry loop.
    """
    if "retry-after-ms" in headers:
        try:
            headers["retry-after-ms"] = f"{min(float(headers['retry-after-ms']), cap * 1000):g}"
        except ValueError:
            del headers["retry-after-ms"]
    if "retry-after" in headers:
        capped = _capped_seconds(headers["retry-after"], cap)
        if capped is None:
            del headers["retry-after"]
        else:
            headers["retry-after"] = capped


def _retry_cap_middleware(cap: float) -> Any:
    class RetryAfterCap(sdk().Middleware):  # type: ignore[misc]
        def handle(self, request: Any, call_next: Any) -> Any:
            response = call_next(request)
            if not response.http_response.is_success:
                clamp_retry_headers(response.http_response.headers, cap)
            return response

        async def handle_async(self, request: Any, call_next: Any) -> Any:
            response = await call_next(request)
            if not response.http_response.is_success:
                clamp_retry_headers(response.http_response.headers, cap)
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


def sdk() -> Any:
    """The ``anthropic`` module, imported on first use (with the start-up collector pause, see
    :mod:`claudecli.core.gc_pause`). Once imported, this is a dictionary look-up."""
    import sys

    module = sys.modules.get("anthropic")
    if module is None:
        with gc_pause.heavy_import():
            import anthropic as module
    return module


def build_client(settings: Settings) -> anthropic.Anthropic:
    """A synchronous client configured from settings (key, base URL, retries, timeout, retry-after cap)."""
    credential = settings.credential()
    with translate_errors():
        return sdk().Anthropic(**_client_kwargs(settings, credential))


def build_async_client(settings: Settings) -> anthropic.AsyncAnthropic:
    credential = settings.credential()
    with translate_errors():
        return sdk().AsyncAnthropic(**_client_kwargs(settings, credential))


def build_admin_client(settings: Settings) -> anthropic.Anthropic:
    """A client authenticated with the organisation admin key (ANTHROPIC_ADMIN_KEY / ``admin_key``)."""
    admin_key = settings.admin_credential()
    with translate_errors():
        return sdk().Anthropic(**_client_kwargs(settings, ("api_key", admin_key)))


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


def translate(exc: BaseException) -> ClaudeCliError | None:
    """Map an SDK or transport exception to a claudecli error, or None if it is not one of theirs."""
    module = type(exc).__module__ or ""
    if not (module.startswith("anthropic") or module.startswith("httpx2") or module.startswith("httpcore")):
        return None
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        return _describe_status(exc)
    if isinstance(exc, anthropic.APITimeoutError):
        return ConnectionFailed(
            "request timed out", hint="raise `timeout` in config or try again", error_type="timeout_error"
        )
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__
        detail = f": {type(cause).__name__}" if cause is not None else ""
        return ConnectionFailed(f"cannot connect to the API{detail}")
    if isinstance(exc, anthropic.CredentialsError):
        return AuthError(f"credentials: {exc}")
    if isinstance(exc, anthropic.AnthropicError):
        return ServerError(f"API client error: {exc}")
    # httpx2 / httpcore: the connection broke while a response was being read (a dropped stream).
    return ConnectionFailed(f"connection lost while reading the response ({type(exc).__name__})")


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise SDK and transport failures as claudecli errors (one line, a documented exit code)."""
    try:
        yield
    except ClaudeCliError:
        raise
    except Exception as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc
