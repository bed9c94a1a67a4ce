"""The asynchronous side of one MCP server: its session on the background loop, and the SDK's log lines.

``Connection.open`` starts a task that enters the transport (stdio: the SDK starts the server process with the
SDK's minimal environment plus the config's ``env``; streamable HTTP: a client with the config's headers and no
redirects), runs ``initialize`` and lists the tools within ``startup_timeout``, then holds the session open until
``close``: anyio's task groups must be left by the task that entered them, so one task owns the session while
calls come from others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import tempfile
from collections.abc import Callable
from typing import Any

import anyio
import mcp.types as mcp_types
from mcp import ClientSession, MCPError

from claudecli import __version__
from claudecli.core.mcp_config import McpServerConfig
from claudecli.core.process import parent_pid, start_ticks

MAX_PAGES = 50  # a server that pages its tool list forever must not hang the start
CLOSE_SECONDS = 6.0  # the SDK gives a server 2 s to exit on closed stdin, then 2 s after SIGTERM
PING_SECONDS = 2.0  # how long a server that answered with a -32000 error has to show it is still there
STDERR_TAIL = 300  # characters of a server's last stderr line kept for a one-line error


class SdkLogLines(logging.Handler):
    """The SDK's log records (a server's non-JSON stdout line, say) as one-line warnings, each said once:
    never a traceback on claudecli's stderr."""

    LOGGERS = ("mcp", "client")  # the SDK's client session logs under the bare name "client"

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._warn: Callable[[str], None] | None = None
        self._said: set[str] = set()

    def route_to(self, warn: Callable[[str], None]) -> None:
        """Send the records to ``warn`` from now on; each text is said once to each ``warn`` (a command's own
        warnings), not once per process (a test process, or a library user, has several)."""
        if warn is not self._warn:
            self._said = set()
        self._warn = warn
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.handlers:
                logger.addHandler(self)
                logger.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())[:STDERR_TAIL]
        if self._warn is None or text in self._said:
            return
        self._said.add(text)
        self._warn(f"MCP: {text}")


SDK_LOG = SdkLogLines()


class Connection:
    """The asynchronous side of one server: lives on the background loop."""

    def __init__(self, config: McpServerConfig, on_tools_changed: Callable[[], None]) -> None:
        self.config = config
        self._on_tools_changed = on_tools_changed
        self._session: ClientSession | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = False
        # The server's stderr: its last line explains a failed start (closed in close()).
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115

    async def open(self) -> list[mcp_types.Tool]:
        ready: asyncio.Future[list[mcp_types.Tool]] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._serve(ready))
        try:
            return await asyncio.shield(ready)
        except BaseException:
            self._stop.set()
            ready.add_done_callback(_retrieved)  # nobody waits for it now: its error is not a lost one
            raise

    async def _serve(self, ready: asyncio.Future[list[mcp_types.Tool]]) -> None:
        assert self._stop is not None
        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(
                    ClientSession(
                        read,
                        write,
                        message_handler=self._on_message,
                        client_info=mcp_types.Implementation(name="claudecli", version=__version__),
                    )
                )
                with anyio.fail_after(self.config.startup_timeout):
                    await session.initialize()
                    listed = await list_tools(session)
                self._session = session
                ready.set_result(listed)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, Exception):
                raise
        finally:
            self._session = None

    def _transport(self) -> contextlib.AbstractAsyncContextManager[Any]:
        if self.config.command:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            params = StdioServerParameters(
                command=self.config.command,
                args=list(self.config.args),
                env=dict(self.config.env),
                # A line that is not UTF-8 is one bad line (dropped with a warning, as a non-JSON one is), not
                # the end of the server's stdout: strict decoding stopped the SDK's reader for good, silently,
                # and every later call waited out its timeout.
                encoding_error_handler="replace",
            )
            return self._stdio(stdio_client(params, errlog=self._stderr))
        return self._http()

    @contextlib.asynccontextmanager
    async def _stdio(self, transport: contextlib.AbstractAsyncContextManager[Any]) -> Any:
        """The SDK's stdio transport, then whatever the server left running in its process group stopped.

        The SDK kills the server's group only when the server itself outlives its grace after stdin closes; a
        server that exits at once would leave the children it started in its group running after claudecli
        (as a tool's process never does: see ``child``). A child that left the group on purpose (a daemon)
        is not followed."""
        group = None
        try:
            async with transport as streams:
                group = server_group(self._stderr)
                yield streams
        finally:
            if group is not None:
                with anyio.CancelScope(shield=True):
                    await stop_group(*group)

    @contextlib.asynccontextmanager
    async def _http(self) -> Any:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        assert self.config.url is not None
        async with (
            httpx2.AsyncClient(headers=dict(self.config.headers), follow_redirects=False) as client,
            streamable_http_client(self.config.url, http_client=client) as streams,
        ):
            yield streams

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, mcp_types.ToolListChangedNotification):
            self._on_tools_changed()
        elif isinstance(message, Exception):
            self._lost = True

    async def call(self, tool: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        if self._session is None:
            raise ConnectionError("the session is closed")
        try:
            result = await self._session.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.code == mcp_types.CONNECTION_CLOSED and not await self._still_answers():
                self._lost = True
            raise
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._lost = True
            raise
        if not isinstance(result, mcp_types.CallToolResult):
            raise TypeError(f"unexpected result type {type(result).__name__}")
        return result

    async def _still_answers(self) -> bool:
        """Whether the session still answers a ping. The SDK reports a closed connection with code -32000,
        which is also the first code of JSON-RPC's range for a server's own errors: a server answering a call
        with its own -32000 error has not exited, and must not be taken for dead for the rest of the run."""
        if self._session is None:
            return False
        try:
            with anyio.fail_after(PING_SECONDS):
                await self._session.send_ping()
        except MCPError as exc:
            return exc.code != mcp_types.CONNECTION_CLOSED  # any answer, an error too, shows it is there
        except Exception:
            return False
        return True

    def closed_by_server(self) -> bool:
        """True once the connection is gone (the process exited, or the stream broke)."""
        return self._lost

    async def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._task is not None and self._session is None:
            self._task.cancel()  # still starting (Ctrl-C, or its start failed): stop it now, not at its timeout
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(self._task), CLOSE_SECONDS)
        self._stderr.close()

    def stderr_tail(self) -> str:
        """The last line the server wrote to stderr, printable and short (it is shown in one-line errors)."""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            lines = [line.strip() for line in self._stderr.read()[-4096:].splitlines() if line.strip()]
        except (OSError, ValueError):
            return ""
        if not lines:
            return ""
        printable = "".join(char if char.isprintable() else "?" for char in lines[-1])
        return printable[:STDERR_TAIL]


def server_group(errlog: Any) -> tuple[int, str] | None:
    """The process group of the server just started, and its leader's start time: the child of claudecli whose
    stderr is ``errlog`` (each server has its own file), a session leader as the SDK starts it. None without
    /proc (not Linux)."""
    try:
        wanted = os.fstat(errlog.fileno())
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except (OSError, ValueError):
        return None
    for entry in entries:
        pid = int(entry)
        try:
            if parent_pid(pid) != os.getpid():
                continue
            found = os.stat(f"/proc/{entry}/fd/2")
            leader = os.getpgid(pid) == pid
        except OSError:
            continue
        started = start_ticks(pid)
        if leader and started is not None and (found.st_dev, found.st_ino) == (wanted.st_dev, wanted.st_ino):
            return pid, started
    return None


def still_the_group(group: int, started: str) -> bool:
    """Whether ``group`` is still the server's: a live process with the leader's pid must be the leader itself
    (the same start time). The id of a group cannot be taken by another while a member is left, but once every
    member is gone a new process may get that pid and lead a group of its own, which is not to be signalled."""
    now = start_ticks(group)
    return now is None or now == started  # None: the leader has exited; whoever is in the group, it left


async def stop_group(group: int, started: str) -> None:
    """SIGTERM whatever is left in process group ``group`` (led by a process started at ``started``), SIGKILL
    after a short grace."""
    from claudecli.tools.child import KILL_GRACE, group_alive

    if not group_alive(group) or not still_the_group(group, started):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    with anyio.move_on_after(KILL_GRACE):
        while group_alive(group):
            await anyio.sleep(0.02)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def list_tools(session: ClientSession) -> list[mcp_types.Tool]:
    tools: list[mcp_types.Tool] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools += page.tools
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
