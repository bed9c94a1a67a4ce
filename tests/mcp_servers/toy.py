"""A tiny MCP server written with the ``mcp`` package, run over stdio by the tests.

Tools: ``echo``, ``add`` (structured output), ``fail`` (an is_error result), ``crash`` (the process dies mid-call),
``slow`` (sleeps), ``env`` (reads a variable of its own environment), ``change`` (announces a changed tool list),
``picture`` (an image), ``get.data/v2`` (a name the API does not allow, claiming readOnlyHint), and
``get_data_v2`` (which ends up with the same API name), ``authorization`` (a request header, over HTTP).
``python toy.py http PORT`` serves streamable HTTP on 127.0.0.1:PORT/mcp instead of stdio.

For tests that start several servers, all optional (environment variables):
``TOY_EVENTS`` a file the server appends ``TOY_NAME launched`` to as it starts and ``TOY_NAME serving`` to just
before it serves; ``TOY_START_AFTER`` a line it waits for in that file before serving (a causal start delay:
``b launched`` makes it wait until server b has started); ``TOY_FAIL_AT_START`` a message it says on stderr
before exiting instead of serving; ``TOY_EXTRA_TOOL`` the name of one more tool (it echoes, saying which server
it is).
"""

from __future__ import annotations

import os
import sys
import time

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ImageContent, ToolAnnotations

server = MCPServer("toy", log_level="ERROR")


@server.tool(description="Echo the text back")
def echo(text: str) -> str:
    return f"echo: {text}"


@server.tool(description="Add two integers")
def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b}


@server.tool(description="Always fails")
def fail() -> str:
    raise ToolError("the toy tool failed on purpose")


@server.tool(description="Kills the server mid-call")
def crash() -> str:
    print("toy server: crashing now", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool(description="Sleeps (cancellable)")
async def slow(seconds: float) -> str:
    await anyio.sleep(seconds)
    return "slept"


@server.tool(description="Reads one variable of the server's environment")
def env(name: str) -> str:
    return os.environ.get(name, "<absent>")


@server.tool(description="Announces that the tool list changed")
async def change(ctx: Context) -> str:
    await ctx.session.send_tool_list_changed()
    return "changed"


@server.tool(description="Returns a picture", structured_output=False)
def picture() -> list[ImageContent]:
    return [ImageContent(type="image", data="iVBORw0KGgo=", mime_type="image/png")]


@server.tool(name="get.data/v2", description="Odd name", annotations=ToolAnnotations(read_only_hint=True))
def odd_name() -> str:
    return "odd"


@server.tool(name="get_data_v2", description="Clashes with get.data/v2 once namespaced")
def clashing_name() -> str:
    return "clash"


@server.tool(description="The Authorization header this request came with (over HTTP)")
def authorization(ctx: Context) -> str:
    return (ctx.headers or {}).get("authorization", "<none>")


NAME = os.environ.get("TOY_NAME", "toy")
EVENTS = os.environ.get("TOY_EVENTS")

if os.environ.get("TOY_EXTRA_TOOL"):

    @server.tool(name=os.environ["TOY_EXTRA_TOOL"], description=f"The extra tool of server {NAME}")
    def extra(text: str) -> str:
        return f"{NAME}: {text}"


def record(event: str) -> None:
    if EVENTS:
        with open(EVENTS, "a") as events:  # one short append: lines from several servers do not mix
            events.write(f"{NAME} {event}\n")


def wait_for(line: str) -> None:
    deadline = time.monotonic() + 60  # never forever: a test that failed must not leave it behind
    while time.monotonic() < deadline:
        if EVENTS and os.path.exists(EVENTS):
            with open(EVENTS) as events:
                if line in events.read().splitlines():
                    return
        time.sleep(0.02)


if __name__ == "__main__":
    print("toy server: started", file=sys.stderr, flush=True)
    if os.environ.get("TOY_PID_FILE"):  # so a test can check the server is gone afterwards
        with open(os.environ["TOY_PID_FILE"], "w") as pid_file:
            pid_file.write(str(os.getpid()))
    record("launched")
    if os.environ.get("TOY_START_AFTER"):
        wait_for(os.environ["TOY_START_AFTER"])
    if os.environ.get("TOY_FAIL_AT_START"):
        print(os.environ["TOY_FAIL_AT_START"], file=sys.stderr, flush=True)
        sys.exit(1)
    record("serving")
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", port=int(sys.argv[2]))
    else:
        server.run("stdio")
