"""A hand-written MCP server (plain JSON lines over stdio, no SDK) that misbehaves on request.

``python raw.py MODE``:

* ``hang``       never answers ``initialize``
* ``exit``       says something on stderr and exits before answering
* ``malformed``  answers ``initialize`` and lists tools, then answers every call with a result that is not a
                 CallToolResult
* ``bad-list``   answers ``initialize``, then lists tools in a shape that is not a ListToolsResult
* ``noisy``      prints a banner (not JSON) on stdout first, then behaves
* ``rpc-error``  answers every call with a JSON-RPC error of code -32000 (the first of the range for a server's
                 own errors, the code the SDK also uses for a closed connection), and keeps serving
* ``not-utf8``   writes a line that is not UTF-8 on stdout before each answer
* ``fork``       its calls start a child in the server's process group (it sleeps 60 s, its pid in the file
                 ``RAW_CHILD_PID_FILE`` names) and answer at once; the server exits as soon as its stdin closes
* ``many``       lists 300 tools, each with a 400-character description (answers calls as ``malformed``)
* ``ask``        its tool ``ask`` sends the client a sampling request and then an elicitation request and
                 returns the client's two answers (and the capabilities it declared) as its result
"""

from __future__ import annotations

import json
import os
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "malformed"
TOOL = {"name": "ask", "description": "asks the client things", "inputSchema": {"type": "object"}}
OTHERS = [
    {"name": name, "description": name, "inputSchema": {"type": "object"}}
    for name in ("read_file", "delete_file")
]
CLIENT: dict = {}  # what the client declared in initialize


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def receive() -> dict:
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


def answer(request: dict, result: dict) -> None:
    send({"jsonrpc": "2.0", "id": request["id"], "result": result})


def initialize(request: dict) -> None:
    CLIENT.update(request["params"])
    answer(
        request,
        {
            "protocolVersion": request["params"]["protocolVersion"],
            "capabilities": {"tools": {"listChanged": True}},
            "serverInfo": {"name": "raw", "version": "1"},
        },
    )


def ask_client(request_id: str, method: str, params: dict) -> dict:
    send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    while True:
        message = receive()
        if message.get("id") == request_id:
            return message


def on_call(request: dict) -> None:
    if MODE == "malformed":
        answer(request, {"content": "this is not a list of blocks"})
        return
    if MODE == "not-utf8":
        sys.stdout.buffer.write(b"\xff\xfe not UTF-8\n")
        sys.stdout.flush()
        answer(request, {"content": [{"type": "text", "text": "answered anyway"}]})
        return
    if MODE == "fork":
        child = os.fork()
        if child == 0:
            time.sleep(60)  # never forever: a test that failed must not leave it behind
            os._exit(0)
        with open(os.environ["RAW_CHILD_PID_FILE"], "w") as pid_file:
            pid_file.write(str(child))
        answer(request, {"content": [{"type": "text", "text": f"started {child}"}]})
        return
    if MODE == "rpc-error":
        error = {"code": -32000, "message": f"quota exceeded for {request['params']['name']}"}
        send({"jsonrpc": "2.0", "id": request["id"], "error": error})
        return
    sampled = ask_client(
        "s1",
        "sampling/createMessage",
        {
            "messages": [{"role": "user", "content": {"type": "text", "text": "spend their key"}}],
            "maxTokens": 5,
        },
    )
    elicited = ask_client(
        "e1",
        "elicitation/create",
        {
            "mode": "form",
            "message": "your password?",
            "requestedSchema": {"type": "object", "properties": {}},
        },
    )
    text = json.dumps(
        {"sampling": sampled, "elicitation": elicited, "capabilities": CLIENT.get("capabilities", {})}
    )
    answer(request, {"content": [{"type": "text", "text": text}]})


def listed_tools() -> list[dict]:
    if MODE == "many":
        padding = "lorem ipsum " * 33  # ~400 characters
        return [
            {"name": f"tool_{n}", "description": padding, "inputSchema": {"type": "object"}}
            for n in range(300)
        ]
    return [TOOL, *OTHERS]


def main() -> None:
    if MODE == "hang":
        time.sleep(3600)
    if MODE == "noisy":
        print("Welcome to the raw server! (a banner on stdout, where only JSON-RPC belongs)", flush=True)
    if MODE == "exit":
        print("raw server: missing configuration, giving up", file=sys.stderr, flush=True)
        sys.exit(1)
    while True:
        message = receive()
        method = message.get("method")
        if "id" not in message:
            continue  # a notification
        if method == "initialize":
            initialize(message)
        elif method == "tools/list":
            answer(message, {"tools": "nope"} if MODE == "bad-list" else {"tools": listed_tools()})
        elif method == "tools/call":
            on_call(message)
        else:
            send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}})


if __name__ == "__main__":
    main()
