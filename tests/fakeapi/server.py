"""`FakeAnthropic`: a real local HTTP server that speaks the Anthropic API closely enough for the SDK.

The SDK talks through httpx2, which respx/pytest-httpx cannot intercept, so tests run this server on an
ephemeral port and point `anthropic.Anthropic(base_url=fake.base_url)` at it. Handling of one request:
record it → take the queued fault for its path, if any → auth → route → write the response (faults and
delays act here, between SSE events).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
import traceback
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import admin, batches, files, messages, models
from .caching import MIN_CACHE_TOKENS, PromptCache
from .faults import Fault
from .httpio import Handler, ResponseWriter
from .wire import ApiError, Response, new_request_id

RouteHandler = Callable[["FakeAnthropic", "RecordedRequest", "re.Match[str]"], Response]


class _Server(ThreadingHTTPServer):
    """Python's default listen backlog (5) overflows when 32 clients connect at once (batch run)."""

    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets its keep-alive connection (the SDK does, between retries) is not an error;
        socketserver would print a traceback to sys.stderr, which in-process CLI tests capture as the CLI's."""
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


# The route table: (method, path regex matched in full, handler). Adding a route is one line.
ROUTES: list[tuple[str, str, RouteHandler]] = [
    ("POST", r"/v1/messages", messages.create_message),
    ("POST", r"/v1/messages/count_tokens", messages.count_tokens),
    ("GET", r"/v1/models", models.list_models),
    ("GET", r"/v1/models/(?P<model_id>[^/]+)", models.get_model),
    ("POST", r"/v1/messages/batches", batches.create_batch),
    ("GET", r"/v1/messages/batches", batches.list_batches),
    ("GET", r"/v1/messages/batches/(?P<batch_id>[^/]+)", batches.get_batch),
    ("DELETE", r"/v1/messages/batches/(?P<batch_id>[^/]+)", batches.delete_batch),
    ("POST", r"/v1/messages/batches/(?P<batch_id>[^/]+)/cancel", batches.cancel_batch),
    ("GET", r"/v1/messages/batches/(?P<batch_id>[^/]+)/results", batches.batch_results),
    ("POST", r"/v1/files", files.upload),
    ("GET", r"/v1/files", files.list_files),
    ("GET", r"/v1/files/(?P<file_id>[^/]+)", files.metadata),
    ("GET", r"/v1/files/(?P<file_id>[^/]+)/content", files.content),
    ("DELETE", r"/v1/files/(?P<file_id>[^/]+)", files.delete),
    ("GET", r"/v1/organizations/analytics/usage", admin.usage_report),
    ("GET", r"/v1/organizations/analytics/cost", admin.cost_report),
]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. Repeated query keys are joined with commas."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None when empty or not JSON
    raw: bytes = b""  # the body of a multipart/form-data request (file uploads), not parsed as JSON
    peer_port: int | None = None  # the client's port: requests that share it came on one connection


class FakeAnthropic:
    """A fake Anthropic API server. Use as a context manager or call `start()` / `stop()`."""

    def __init__(
        self, token_delay: float = 0.0, latency: float = 0.0, *, host: str = "127.0.0.1", port: int = 0
    ):
        self.token_delay = token_delay
        self.latency = latency
        self.valid_keys: set[str] | None = None
        self.priority_capacity = False  # True: service_tier "auto" requests are served at priority
        self.models: list[dict[str, Any]] = models.default_models()
        self.min_cache_tokens: dict[str, int] = dict(MIN_CACHE_TOKENS)  # per model id or family
        self.clock_offset = 0.0
        self.batch_mode = "instant"
        self.batches: dict[str, batches.Batch] = {}
        self.batch_creates = 0
        self.files = files.FileStore()
        self.requests: list[RecordedRequest] = []
        self.routes = [(method, re.compile(pattern), handler) for method, pattern, handler in ROUTES]
        self.lock = threading.RLock()
        self.cache = PromptCache(self.now)
        self._faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._url: str | None = None  # see link_base
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[Any] = set()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeAnthropic:
        server = _Server((self._host, self._port), Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._url = f"http://{self._host}:{server.server_port}"
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-anthropic", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections (keep-alive ones and streams still being written)."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self.lock:
            connections = list(self._connections)
        for sock in connections:
            ResponseWriter.abort_socket(sock)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeAnthropic is not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def link_base(self) -> str:
        """The base of the URLs answers carry (a batch's ``results_url``): still known while a request that
        came in just before ``stop`` is answered, where ``base_url`` says the fake is stopped."""
        if self._url is None:
            raise RuntimeError("FakeAnthropic was never started")
        return self._url

    # -- test controls ---------------------------------------------------------------------------

    def now(self) -> float:
        """The clock prompt-cache TTLs use: monotonic seconds plus `clock_offset`."""
        return time.monotonic() + self.clock_offset

    def enqueue(self, fault: Fault, path: str = "/v1/messages", *, model: str | None = None) -> None:
        """Queue `fault` for the next request whose path equals `path` (FIFO per path); with `model`, for
        the next such request whose body names that model."""
        with self.lock:
            self._faults[path].append(fault if model is None else replace(fault, model=model))

    def pending_faults(self, path: str | None = None) -> int:
        with self.lock:
            if path is not None:
                return len(self._faults.get(path, ()))
            return sum(len(q) for q in self._faults.values())

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Requests whose path equals or ends with `path`, optionally only with `method`."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (r.path == path or r.path.endswith(path))
                and (method is None or r.method == method.upper())
            ]

    def last_request(self, path: str | None = None) -> RecordedRequest:
        """The latest request (to `path`, matched as in `requests_to`); LookupError if there is none."""
        found = self.requests_to(path) if path is not None else list(self.requests)
        if not found:
            raise LookupError(f"no request{' to ' + path if path else ''} recorded")
        return found[-1]

    def finish_batch(self, batch_id: str) -> None:
        """End a batch left in_progress by `batch_mode = "manual"`, computing its results."""
        with self.lock:
            batches.end_batch(self, self.batches[batch_id])

    def clear_cache(self) -> None:
        self.cache.clear()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self._faults.clear()
            self.batches.clear()
            self.batch_creates = 0
            self.priority_capacity = False
            self.files.clear()
        self.cache.clear()

    def add_route(self, method: str, pattern: str, handler: RouteHandler) -> None:
        """Add a route to this instance (checked before the built-in ones)."""
        self.routes.insert(0, (method.upper(), re.compile(pattern), handler))

    # -- request handling (called from server threads) -------------------------------------------

    def wait(self, seconds: float) -> None:
        """Sleep that ends early when the server stops, so hung requests do not outlive it."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def track(self, sock: Any, open_: bool) -> None:
        with self.lock:
            (self._connections.add if open_ else self._connections.discard)(sock)

    def serve(self, handler: Handler) -> None:
        """Answer one HTTP request."""
        request, parse_error = _parse_request(handler)
        with self.lock:
            self.requests.append(request)
            fault = self._take_fault(request)
        request_id = new_request_id()
        writer = ResponseWriter(self, handler, request_id)
        if fault is not None and fault.kind == "hang":
            self.wait(fault.seconds)
        if fault is not None and fault.kind == "status":
            message = (
                f"{fault.message}: {presented_credential(request)}"
                if fault.echo_credential
                else fault.message
            )
            err = ApiError(fault.error_type, message, status=fault.code, headers=fault.headers)
            writer.send(Response.error(err, request_id))
            return
        if fault is not None and fault.kind == "body":
            writer.send(Response(status=fault.code, body=fault.raw, content_type=fault.content_type))
            return
        response = self._dispatch(request, parse_error, request_id)
        if fault is not None and fault.kind == "stall_after":
            self.wait(fault.seconds)
        writer.send(response, fault)

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        """The first fault queued for this request's path that applies to it (removed from the queue)."""
        queue = self._faults.get(request.path)
        if queue is None:
            return None
        for fault in queue:
            if fault.applies_to(request.body):
                queue.remove(fault)  # equal faults are interchangeable
                return fault
        return None

    def _dispatch(self, request: RecordedRequest, parse_error: bool, request_id: str) -> Response:
        try:
            self._check_auth(request)
            if parse_error:
                raise ApiError("invalid_request_error", "Request body is not valid JSON")
            for method, pattern, route in self.routes:
                match = pattern.fullmatch(request.path)
                if match is not None and method == request.method:
                    return route(self, request, match)
            raise ApiError("not_found_error", f"Not found: {request.method} {request.path}")
        except ApiError as err:
            return Response.error(err, request_id)
        except Exception as exc:  # a bug in the fake: make it visible to the test, not a hang
            traceback.print_exc()
            return Response.error(ApiError("api_error", f"fake API crashed: {exc!r}"), request_id)

    def _check_auth(self, request: RecordedRequest) -> None:
        auth = request.headers.get("authorization", "")
        token = (
            auth[7:].strip() if auth.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
        )
        if not token:
            raise ApiError("authentication_error", "x-api-key header is required")
        if self.valid_keys is not None and token not in self.valid_keys:
            raise ApiError("authentication_error", "invalid x-api-key")


def presented_credential(request: RecordedRequest) -> str:
    """The credential a request carries: a bearer token, Basic auth's ``user:password``, or x-api-key."""
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        return base64.b64decode(value.strip()).decode("utf-8", "replace")
    return request.headers.get("x-api-key", "")


def _parse_request(handler: Handler) -> tuple[RecordedRequest, bool]:
    """(request, body_was_unparseable)."""
    parts = urlsplit(handler.path)
    query = {key: ",".join(values) for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    headers: dict[str, str] = {}
    for name, value in handler.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raw = handler.read_body()
    port = handler.client_address[1] if isinstance(handler.client_address, tuple) else None
    body, parse_error = None, False
    if headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return RecordedRequest(handler.command.upper(), parts.path, query, headers, None, raw, port), False
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            parse_error = True
    request = RecordedRequest(handler.command.upper(), parts.path, query, headers, body, peer_port=port)
    return request, parse_error
