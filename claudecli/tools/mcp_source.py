"""An MCP server as a tool source: ``McpServerSource`` (imports the optional ``mcp`` package).

Each server is one connection on the process's background event loop (``mcp_loop``): a task that starts the
server (stdio) or opens the session (streamable HTTP), runs the ``initialize`` handshake, lists the tools and then
keeps the session open until ``close``. ``tools()`` and ``run()`` are synchronous, as the tool loop wants.
``start_servers`` starts several at once on that loop, with the outcome starting them one by one would have.

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
import threading
from collections.abc import Callable
from typing import Any

import mcp.types as mcp_types
from mcp import MCPError

from claudecli.core.errors import UsageError
from claudecli.core.mcp_config import McpServerConfig
from claudecli.core.tokens import tools_tokens
from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult, ToolSource
from claudecli.tools.mcp_content import result_text, unique_names
from claudecli.tools.mcp_loop import BackgroundLoop, Cancelled, DeadlineExceeded, background_loop
from claudecli.tools.mcp_session import CLOSE_SECONDS, SDK_LOG, STDERR_TAIL, Connection

COSTLY_TOOL_TOKENS = 20_000  # a typical tool is 100-500 tokens: this is some 60 tools or more, on every call


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
        *,
        start: bool = True,
    ) -> None:
        """Start (or reach) the server, initialize, list its tools. ``taken``: API names already in use
        (by sources enabled before this one); this server's names are added to it. ``start=False`` only
        prepares it, for ``start_servers``, which starts several at once."""
        self.config = config
        self.name = config.name
        self._warn = warn
        SDK_LOG.route_to(warn)
        self._warn_plaintext()
        self._loop = loop or background_loop()
        self._connection = Connection(config, self._on_tools_changed)
        self.changed = False  # the server said its tool list changed during this run
        self._tools: list[Tool] = []
        self._originals: dict[str, str] = {}  # API name -> the server's own tool name
        self._dead: str | None = None
        self._listed: list[mcp_types.Tool] | None = None  # what it listed, once started
        self._failure: Exception | None = None  # or why it did not start
        if start:
            _start_together(self._loop, [self], taken)

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

    def _start_seconds(self) -> float:
        """How long its start may take at most: ``startup_timeout`` is enforced inside ``Connection.open``,
        this deadline only bounds a transport that will not even open."""
        return self.config.startup_timeout + CLOSE_SECONDS

    async def _open(self) -> None:
        """Start it on the loop (for ``_start_together``), keeping its tools or the reason it failed."""
        try:
            self._listed = await asyncio.wait_for(self._connection.open(), self._start_seconds())
        except Exception as exc:
            self._failure = exc

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
        self._warn_if_costly(tools)
        return tools

    def _warn_if_costly(self, tools: list[Tool]) -> None:
        """Every tool's definition is input sent, and paid for, with every request of the run: a server that
        lists hundreds of tools (or pads their descriptions) makes each call dear without a word. Said once."""
        tokens = tools_tokens(tool.definition() for tool in tools)
        if tokens >= COSTLY_TOOL_TOKENS:
            self._warn(
                f"MCP server {self.name}'s {len(tools):,} tools add about {tokens:,} input tokens to every request; "
                f"keep only the ones you need with allow or deny in [mcp.{self.name}] of config.toml"
            )

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


def start_servers(
    configs: list[McpServerConfig],
    warn: Callable[[str], None],
    started: list[ToolSource],
    taken: set[str] | None = None,
    loop: BackgroundLoop | None = None,
) -> None:
    """Start the servers of ``configs`` together on the background loop, then name their tools in that order.

    Each is appended to ``started`` before it starts, so the caller can close every one whatever happens. The
    outcome is the one starting them one by one would have: names and warnings in the order given, and when
    some fail to start, the error of the first of them in that order (once those before it have started),
    after every server is closed. Ctrl-C stops them all and is raised again.
    """
    loop = loop or background_loop()
    sources = [McpServerSource(config, warn, loop, start=False) for config in configs]
    started.extend(sources)
    _start_together(loop, sources, taken)


def _start_together(loop: BackgroundLoop, sources: list[McpServerSource], taken: set[str] | None) -> None:
    """Start prepared ``sources`` at once and name their tools in order (see :func:`start_servers`)."""
    try:
        loop.run(_open_in_order(sources), timeout=max(source._start_seconds() for source in sources) + 1)
    except DeadlineExceeded:  # a safety net: each server's own deadline comes first
        for source in sources:
            if source._listed is None and source._failure is None:
                source._failure = DeadlineExceeded()
    except BaseException:
        _close_together(loop, sources)
        raise
    failed = next((source for source in sources if source._failure is not None), None)
    if failed is not None:
        assert failed._failure is not None
        message = failed._start_failure(failed._failure)  # before closing: it quotes the server's stderr
        _close_together(loop, sources)
        raise McpStartError(message)
    for source in sources:
        source._tools = source._make_tools(source._listed or [], taken)


async def _open_in_order(sources: list[McpServerSource]) -> None:
    """Start every server at once, then wait for each in turn up to the first that failed: those after it
    are stopped (whether they would have started changes nothing), those before it could still fail first."""
    tasks = [asyncio.create_task(source._open()) for source in sources]
    try:
        for source, task in zip(sources, tasks, strict=True):
            await task
            if source._failure is not None:
                return
    finally:
        for task in tasks:
            task.cancel()


def _close_together(loop: BackgroundLoop, sources: list[McpServerSource]) -> None:
    """Close the sessions at once, so stopping N servers takes as long as stopping the slowest."""

    async def close_all() -> None:
        await asyncio.gather(*(source._connection.close() for source in sources), return_exceptions=True)

    with contextlib.suppress(Exception):
        loop.run(close_all(), timeout=CLOSE_SECONDS + 1)


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
