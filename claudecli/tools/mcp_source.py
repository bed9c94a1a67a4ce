"""An MCP server as a tool source: ``McpServerSource`` (imports the optional ``mcp`` package).

Each server is one connection on the process's background event loop (``mcp_loop``): a task that starts the
server (stdio) or opens the session (streamable HTTP), runs the ``initialize`` handshake, lists the tools and then
keeps the session open until ``close``. ``tools()`` and ``run()`` are synchronous, as the tool loop wants.

Rules (see the README's "MCP servers"):

* The server gets the SDK's minimal environment (HOME, LOGNAME, PATH, SHELL, TERM, USER) plus its ``env`` table,
  never claudecli's keys unless that table names them.
* Approval comes from the config's ``approval`` (default ``ask``); a tool's ``readOnlyHint`` is the server's
  claim, so it is not trusted for approval (nor to run it alongside others).
* Sampling and elicitation requests are refused (the SDK's defaults, which also do not advertise them): a server
  must not spend the user's key or question the user behind claudecli's back. So are roots requests.
* ``notifications/tools/list_changed`` marks the server as changed: its tools then need a person's approval again
  (see ``mcp_setup``). The model keeps the tool definitions it was given, so the cached prefix holds.
* A server that cannot start, does not answer ``initialize`` within ``startup_timeout`` or lists malformed tools
  is a one-line error naming it. A call that times out, a server that dies or a malformed result is an
  ``is_error`` result naming the server, so the loop can go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import anyio
import mcp.types as mcp_types
from mcp import ClientSession, MCPError

from claudecli import __version__
from claudecli.core.errors import UsageError
from claudecli.core.mcp_config import McpServerConfig
from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult
from claudecli.tools.mcp_content import result_text, unique_names
from claudecli.tools.mcp_loop import BackgroundLoop, Cancelled, DeadlineExceeded, background_loop

MAX_PAGES = 50  # a server that pages its tool list forever must not hang the start
CLOSE_SECONDS = 6.0  # the SDK gives a server 2 s to exit on closed stdin, then 2 s after SIGTERM
STDERR_TAIL = 300


class McpStartError(UsageError):
    """A server named by --mcp could not be used (exit 2, one line naming it)."""


class McpServerSource:
    """The tools of one ``[mcp.NAME]`` server. Construct it to connect; ``close`` ends the session."""

    def __init__(
        self,
        config: McpServerConfig,
        warn: Callable[[str], None],
        loop: BackgroundLoop | None = None,
        taken: set[str] | None = None,
    ) -> None:
        """Start (or reach) the server, initialize, list its tools. ``taken``: API names already in use
        (by sources enabled before this one); this server's names are added to it."""
        self.config = config
        self.name = config.name
        self._warn = warn
        _SDK_LOG.route_to(warn)
        self._warn_plaintext()
        self._loop = loop or background_loop()
        self._connection = _Connection(config, self._on_tools_changed)
        self.changed = False  # the server said its tool list changed during this run
        self._tools: list[Tool] = []
        self._originals: dict[str, str] = {}  # API name -> the server's own tool name
        self._dead: str | None = None
        try:
            listed = self._loop.run(self._connection.open(), timeout=config.startup_timeout + CLOSE_SECONDS)
        except BaseException as exc:
            message = self._start_failure(exc)
            self.close()
            if isinstance(exc, Exception):
                raise McpStartError(message) from None
            raise
        self._tools = self._make_tools(listed, taken)

    # -- ToolSource ---------------------------------------------------------------------------------------

    def tools(self) -> list[Tool]:
        return list(self._tools)

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        original = self._originals.get(tool.name, tool.name)
        if self._dead is not None:
            return ToolResult(call.id, f"MCP server {self.name} is not running: {self._dead}", is_error=True)
        try:
            result = self._loop.run(
                self._connection.call(original, call.input), timeout=self.config.timeout, cancel=cancel
            )
        except Cancelled:
            return ToolResult(call.id, "interrupted by the user", is_error=True)
        except DeadlineExceeded:
            return ToolResult(
                call.id,
                f"MCP server {self.name}: tool {original} did not answer within {self.config.timeout:g} s",
                is_error=True,
            )
        except Exception as exc:
            return ToolResult(call.id, self._call_failure(original, exc), is_error=True)
        return ToolResult(call.id, result_text(result), is_error=bool(result.is_error))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._loop.run(self._connection.close(), timeout=CLOSE_SECONDS + 1)

    def _warn_plaintext(self) -> None:
        from claudecli.core.dotenv_policy import is_plaintext_remote, redact_url

        if self.config.url and is_plaintext_remote(self.config.url) and self.config.headers:
            self._warn(
                f"MCP server {self.name}: {redact_url(self.config.url)} is plain http to another machine: "
                "its headers travel unencrypted"
            )

    def original_name(self, api_name: str) -> str:
        """The server's own name for the tool the model knows as ``api_name``."""
        return self._originals.get(api_name, api_name)

    # -- inner workings -----------------------------------------------------------------------------------

    def _make_tools(self, listed: list[mcp_types.Tool], taken: set[str] | None) -> list[Tool]:
        kept = list({tool.name: tool for tool in listed if self._allowed(tool.name)}.values())  # no repeats
        names, warnings = unique_names(self.name, [tool.name for tool in kept], taken)
        for warning in warnings:
            self._warn(warning)
        tools = []
        for tool in kept:
            self._originals[names[tool.name]] = tool.name
            tools.append(
                Tool(
                    name=names[tool.name],
                    description=tool.description or "",
                    input_schema=_object_schema(tool.input_schema),
                    approval=Approval(self.config.approval),
                    read_only=False,  # readOnlyHint is the server's word: not trusted
                    source=f"mcp:{self.name}",
                )
            )
        return tools

    def _allowed(self, tool: str) -> bool:
        from fnmatch import fnmatchcase

        if any(fnmatchcase(tool, pattern) for pattern in self.config.deny):
            return False
        return not self.config.allow or any(fnmatchcase(tool, pattern) for pattern in self.config.allow)

    def _on_tools_changed(self) -> None:
        if not self.changed:
            self.changed = True
            self._warn(
                f"MCP server {self.name} changed its tool list during this run: "
                "each of its tools needs a person's approval again"
            )

    def _start_failure(self, exc: BaseException) -> str:
        from pydantic import ValidationError

        where = f"MCP server {self.name}"
        tail = self._connection.stderr_tail()
        said = f" (it said: {tail})" if tail else ""
        leaf = _leaf(exc)
        if isinstance(exc, DeadlineExceeded) or isinstance(leaf, TimeoutError):
            return f"{where} did not answer initialize within {self.config.startup_timeout:g} s{said}"
        if isinstance(leaf, FileNotFoundError | PermissionError) and self.config.command:
            return f"{where}: cannot run {self.config.command!r}: {leaf.strerror}"
        if isinstance(leaf, ValidationError):
            return f"{where} sent a malformed answer while starting: {_first_error(leaf)}"
        if isinstance(leaf, MCPError) and leaf.code == mcp_types.CONNECTION_CLOSED:
            return f"{where} exited before it finished starting{said}"
        return f"{where} failed to start: {_describe(exc)}{said}"

    def _call_failure(self, tool: str, exc: BaseException) -> str:
        leaf = _leaf(exc)
        from pydantic import ValidationError

        if isinstance(leaf, ValidationError):
            return f"MCP server {self.name} returned a malformed result for {tool}: {_first_error(leaf)}"
        if self._connection.closed_by_server():
            self._dead = f"it exited{self._exit_detail()}"
            self._warn(f"MCP server {self.name} stopped during a call to {tool}: {self._dead}")
            return f"MCP server {self.name} stopped during the call: {self._dead}"
        return f"MCP server {self.name}: {tool} failed: {_describe(exc)}"

    def _exit_detail(self) -> str:
        tail = self._connection.stderr_tail()
        return f" (it said: {tail})" if tail else ""


class _SdkLogLines(logging.Handler):
    """The SDK's log records (a server's non-JSON stdout line, say) as one-line warnings, each said once:
    never a traceback on claudecli's stderr."""

    LOGGERS = ("mcp", "client")  # the SDK's client session logs under the bare name "client"

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._warn: Callable[[str], None] | None = None
        self._said: set[str] = set()

    def route_to(self, warn: Callable[[str], None]) -> None:
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


_SDK_LOG = _SdkLogLines()


class _Connection:
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
                    listed = await _list_tools(session)
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
                command=self.config.command, args=list(self.config.args), env=dict(self.config.env)
            )
            return stdio_client(params, errlog=self._stderr)
        return self._http()

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
            if exc.code == mcp_types.CONNECTION_CLOSED:
                self._lost = True
            raise
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._lost = True
            raise
        if not isinstance(result, mcp_types.CallToolResult):
            raise TypeError(f"unexpected result type {type(result).__name__}")
        return result

    def closed_by_server(self) -> bool:
        """True once the connection is gone (the process exited, or the stream broke)."""
        return self._lost

    async def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
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


async def _list_tools(session: ClientSession) -> list[mcp_types.Tool]:
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


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The API wants an object schema; a server's odd one is wrapped rather than sent as is."""
    if isinstance(schema, dict) and schema.get("type") == "object":
        return schema
    return {"type": "object", "properties": {}}


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (anyio task groups wrap them in ExceptionGroups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    leaf = _leaf(exc)
    text = " ".join(str(leaf).split())[:STDERR_TAIL]
    return f"{type(leaf).__name__}: {text}" if text else type(leaf).__name__


def _first_error(exc: Any) -> str:
    try:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
    except (IndexError, AttributeError, TypeError):
        return "not a valid result"
