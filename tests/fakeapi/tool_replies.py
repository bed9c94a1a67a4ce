"""Tool use in the fake's replies: scripted client tool calls, answers to tool results, server tools, pause_turn.

Directives (read from the last user message that has text; see replies.py for the others):

- `[[call:NAME {json}]]`  a `tool_use` block calling NAME with that input (default `{}`); several in one
  prompt give several tool_use blocks in one turn; stop_reason "tool_use". NAME must be among the request's
  `tools`, else the reply says it has no such tool (a model cannot call a tool it was not given).
- `[[call_forever:NAME {json}]]`  the same call on every step, even after tool results (the circuit breaker).
- `[[search:QUERY]]`  with a web_search server tool in `tools`: a `server_tool_use` + `web_search_tool_result`
  (two results, on the first `allowed_domains` entry if any) then text citing the first;
  `usage.server_tool_use.web_search_requests` = 1.
- `[[fetch:URL]]`  with a web_fetch server tool: `server_tool_use` + `web_fetch_tool_result`, then text;
  `usage.server_tool_use.web_fetch_requests` = 1.
- `[[pause]]`  with a server tool: one search, then stop_reason "pause_turn". Sending the paused assistant
  turn back as the last message (no new user message) continues it: the reply is `Continued after the pause.`

When the last user message carries `tool_result` blocks (and no forever directive applies), the reply is
`Tool results: A | B` with each result's content in order (errors as `error: …`), so a test can prove the
results reached the model. A tool_use whose input JSON does not fit in what is left of max_tokens is cut
off: its input arrives partial and stop_reason is "max_tokens" (a client must not run it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .tokens import text_tokens
from .wire import new_id

CONTINUED_TEXT = "Continued after the pause."
SEARCH_TITLES = ("Fake result one", "Fake result two")

_CALL = re.compile(r"\[\[(call|call_forever):([A-Za-z0-9_-]{1,64})(?:\s+(\{.*?\}))?\]\]", re.S)
_SERVER = re.compile(r"\[\[(search|fetch):([^\]]+)\]\]|\[\[(pause)\]\]")


class ToolPlan:
    """Blocks (start, deltas, final) and how the turn ends; usage additions for server tools."""

    def __init__(self) -> None:
        self.blocks: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]] = []
        self.stop_reason = "end_turn"
        self.output_tokens = 0
        self.server_tool_use: dict[str, int] | None = None

    def add(self, start: dict[str, Any], deltas: list[dict[str, Any]], final: dict[str, Any]) -> None:
        self.blocks.append((start, deltas, final))

    def add_text(self, text: str, citations: list[dict[str, Any]] | None = None) -> None:
        deltas: list[dict[str, Any]] = [{"type": "citations_delta", "citation": c} for c in citations or []]
        deltas.append({"type": "text_delta", "text": text})
        final: dict[str, Any] = {"type": "text", "text": text}
        if citations:
            final["citations"] = citations
        self.add({"type": "text", "text": ""}, deltas, final)
        self.output_tokens += text_tokens(text)


def _prompt_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(
        b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"
    )


def _user_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]


def prompt_text(body: dict[str, Any]) -> str:
    """The text of the last user message that has any (tool-result turns have none)."""
    for message in reversed(_user_messages(body)):
        if text := _prompt_text(message):
            return text
    return ""


def _tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    users = _user_messages(body)
    content = users[-1].get("content") if users else None
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


def _tool_names(body: dict[str, Any]) -> dict[str, str]:
    """Tool name -> its type ("custom" for client tools)."""
    return {
        str(t.get("name")): str(t.get("type") or "custom")
        for t in body.get("tools") or []
        if isinstance(t, dict)
    }


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if isinstance(content, list):
        content = " ".join(b.get("text", "") for b in content if isinstance(b, dict))
    return f"error: {content}" if block.get("is_error") else str(content)


def _tool_use(plan: ToolPlan, name: str, tool_input: dict[str, Any], budget: int, *, server: bool) -> bool:
    """Append one (server_)tool_use block; False when max_tokens cut it off (its input arrives partial)."""
    kind = "server_tool_use" if server else "tool_use"
    tool_id = new_id("srvtoolu_" if server else "toolu_")
    raw = json.dumps(tool_input)
    cost = text_tokens(name + raw)
    cut = not server and cost > budget
    pieces = [raw[: max(1, len(raw) // 2)]] if cut else [raw[: len(raw) // 2], raw[len(raw) // 2 :]]
    deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces if p]
    final_input = {} if cut else dict(tool_input)
    plan.add(
        {"type": kind, "id": tool_id, "name": name, "input": {}},
        deltas,
        {"type": kind, "id": tool_id, "name": name, "input": final_input},
    )
    plan.output_tokens += min(cost, budget) if cut else cost
    return not cut


def _search(plan: ToolPlan, body: dict[str, Any], query: str) -> None:
    tool = next(t for t in body.get("tools") or [] if str(t.get("type", "")).startswith("web_search_"))
    domain = (tool.get("allowed_domains") or ["example.com"])[0]
    _tool_use(plan, "web_search", {"query": query}, 1 << 30, server=True)
    tool_id = plan.blocks[-1][2]["id"]
    results = [
        {
            "type": "web_search_result",
            "title": title,
            "url": f"https://{domain}/result-{n}",
            "encrypted_content": f"enc{n}",
            "page_age": None,
        }
        for n, title in enumerate(SEARCH_TITLES, 1)
    ]
    block = {"type": "web_search_tool_result", "tool_use_id": tool_id, "content": results}
    plan.add(block, [], block)
    plan.server_tool_use = {"web_search_requests": 1, "web_fetch_requests": 0}
    citation = {
        "type": "web_search_result_location",
        "url": results[0]["url"],
        "title": results[0]["title"],
        "encrypted_index": "idx1",
        "cited_text": "A fact from the web.",
    }
    plan.add_text(f"Found it for {query}.", [citation])


def _fetch(plan: ToolPlan, url: str) -> None:
    _tool_use(plan, "web_fetch", {"url": url}, 1 << 30, server=True)
    tool_id = plan.blocks[-1][2]["id"]
    block = {
        "type": "web_fetch_tool_result",
        "tool_use_id": tool_id,
        "content": {
            "type": "web_fetch_result",
            "url": url,
            "retrieved_at": "2026-12-01T00:00:00Z",
            "content": {
                "type": "document",
                "source": {"type": "text", "media_type": "text/plain", "data": "Fetched page text."},
                "title": "Fetched page",
            },
        },
    }
    plan.add(block, [], block)
    plan.server_tool_use = {"web_search_requests": 0, "web_fetch_requests": 1}
    plan.add_text(f"Fetched {url}.")


def _server_plan(body: dict[str, Any], text: str, names: dict[str, str]) -> ToolPlan | None:
    match = _SERVER.search(text)
    if match is None:
        return None
    messages = body.get("messages") or []
    plan = ToolPlan()
    if match[3] == "pause" and messages and messages[-1].get("role") == "assistant":
        plan.add_text(CONTINUED_TEXT)
        return plan
    if match[1] == "fetch" and "web_fetch" in names:
        _fetch(plan, match[2].strip())
        return plan
    if "web_search" not in names:
        return None
    _search(plan, body, "pause" if match[3] else match[2].strip())
    if match[3] == "pause":
        plan.blocks.pop()  # a paused turn stops before its text
        plan.output_tokens = 0
        plan.stop_reason = "pause_turn"
    return plan


def _calls_plan(body: dict[str, Any], text: str, names: dict[str, str], budget: int) -> ToolPlan | None:
    calls = list(_CALL.finditer(text))
    if not calls:
        return None
    forever = [c for c in calls if c[1] == "call_forever"]
    if _tool_results(body) and not forever:
        return None
    plan = ToolPlan()
    for call in forever or calls:
        name = call[2]
        if name not in names:
            plan.add_text(f"I have no tool named {name}.")
            return plan
        tool_input = json.loads(call[3]) if call[3] else {}
        if not _tool_use(plan, name, tool_input, budget - plan.output_tokens, server=False):
            plan.stop_reason = "max_tokens"
            return plan
    plan.stop_reason = "tool_use"
    return plan


def plan_tools(body: dict[str, Any], budget: int) -> ToolPlan | None:
    """The tool part of a reply, or None when no tool directive (or tool result) applies."""
    names = _tool_names(body)
    text = prompt_text(body)
    plan = _calls_plan(body, text, names, budget)
    if plan is not None:
        return plan
    results = _tool_results(body)
    if results:
        plan = ToolPlan()
        plan.add_text("Tool results: " + " | ".join(_result_text(r) for r in results))
        return plan
    return _server_plan(body, text, names)
