"""HTTP plumbing: the request handler class and the writer that applies delays and stream faults."""

from __future__ import annotations

import contextlib
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from .faults import Fault
from .wire import ApiError, Response, SseEvent

if TYPE_CHECKING:
    from .server import FakeAnthropic

_SOCKET_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError)


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every method goes to `FakeAnthropic.serve`."""

    protocol_version = "HTTP/1.1"
    received = 0.0  # time.monotonic() when the request line was read: `latency` counts from here

    def parse_request(self) -> bool:
        self.received = time.monotonic()
        return super().parse_request()

    @property
    def fake(self) -> FakeAnthropic:
        return self.server.fake  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm plus the client's delayed ACK add ~40 ms to every response
        # on a keep-alive connection (headers and body go out in separate writes) and batch SSE events.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake.track(self.connection, False)

    def _serve(self) -> None:
        self.fake.serve(self)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr logging."""


class ResponseWriter:
    """Writes one `Response`, honouring `latency`, `token_delay` and drop / mid-stream-error faults."""

    def __init__(self, fake: FakeAnthropic, handler: Handler, request_id: str) -> None:
        self.fake = fake
        self.handler = handler
        self.request_id = request_id

    @staticmethod
    def abort_socket(sock: Any) -> None:
        """Cut the TCP connection (FIN both ways) without finishing the HTTP message."""
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def abort(self) -> None:
        self.handler.close_connection = True
        self.abort_socket(self.handler.connection)

    def send(self, response: Response, fault: Fault | None = None) -> None:
        try:
            if response.events is None:
                self._send_plain(response, fault)
            else:
                self._send_stream(response, fault)
        except _SOCKET_ERRORS:
            self.handler.close_connection = True  # the client went away (timeout, early close)

    def _start(self, status: int, content_type: str, extra: dict[str, str]) -> None:
        self.handler.send_response(status)
        self.handler.send_header("request-id", self.request_id)
        self.handler.send_header("content-type", content_type)
        for name, value in extra.items():
            self.handler.send_header(name, value)

    def _wait_latency(self) -> None:
        """Hold the response until `latency` after the request arrived, as the API's latency is measured.

        Counting from arrival, not from when the fake has built its reply, keeps the fake's own work (and
        its threads queueing for the GIL when 32 requests land at once) out of the latency a client sees.
        """
        self.fake.wait(self.handler.received + self.fake.latency - time.monotonic())

    def _send_plain(self, response: Response, fault: Fault | None) -> None:
        if fault is not None and fault.kind == "drop_after":
            self.abort()
            return
        if fault is not None and fault.kind == "sse_error_after":
            response = Response.error(ApiError(fault.error_type, fault.message), self.request_id)
        self._wait_latency()
        self._start(response.status, response.content_type, response.headers)
        self.handler.send_header("content-length", str(len(response.body)))
        self.handler.end_headers()
        self.handler.wfile.write(response.body)

    def _send_stream(self, response: Response, fault: Fault | None) -> None:
        self._start(response.status, response.content_type, response.headers)
        self.handler.send_header("transfer-encoding", "chunked")
        self.handler.send_header("cache-control", "no-cache")
        self.handler.end_headers()
        self._wait_latency()
        stream_fault = (
            fault if fault is not None and fault.kind in ("drop_after", "sse_error_after") else None
        )
        deltas = 0
        for event in response.events or ():
            if stream_fault is not None and (
                (event.is_delta and deltas >= stream_fault.n) or event.name == "message_delta"
            ):
                if stream_fault.kind == "drop_after":
                    self.abort()
                    return
                error = {"type": stream_fault.error_type, "message": stream_fault.message}
                self._chunk(SseEvent("error", {"type": "error", "error": error}).encode())
                break
            if event.is_delta:
                self.fake.wait(self.fake.token_delay)
                deltas += 1
            self._chunk(event.encode())
        self.handler.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
