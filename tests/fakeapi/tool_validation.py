"""Validation of `tools` and of tool_use/tool_result pairing, worded like the real API (400 invalid_request_error).

- `tools`: a client tool needs a name matching `^[a-zA-Z0-9_-]{1,64}$` and an object `input_schema`; a typed
  (server) tool must be one of the versions SDK 2.16 ships (`SERVER_TOOL_TYPES`), any other is refused;
  names are unique; web search/fetch may not set both `allowed_domains` and `blocked_domains`.
- Every assistant `tool_use` is answered by `tool_result` blocks with the same ids at the start of the very next
  user message; a `tool_result` must answer a `tool_use` of the message just before it.
- A request holding `tool_use`/`tool_result` blocks must define tools, and each `tool_use` names one of them.
- With thinking enabled, the assistant turn whose tool calls the request's last message answers must start with
  its thinking block (earlier turns in the history need not), and every thinking block's signature must be the one the fake issued for that text (unchanged).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from .wire import invalid

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SERVER_TOOL_TYPES = {
    "web_search_20250305": "web_search",
    "web_search_20260209": "web_search",
    "web_search_20260318": "web_search",
    "web_fetch_20250910": "web_fetch",
    "web_fetch_20260209": "web_fetch",
    "web_fetch_20260309": "web_fetch",
    "web_fetch_20260318": "web_fetch",
    "code_execution_20250522": "code_execution",
    "code_execution_20250825": "code_execution",
    "code_execution_20260120": "code_execution",
    "code_execution_20260521": "code_execution",
}


def signature_for(thinking: str) -> str:
    """The signature the fake gives a thinking text (replies.thinking_block uses the same rule)."""
    return base64.b64encode(hashlib.sha256(("fake:" + thinking).encode()).digest()).decode()


def validate_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is None:
        _check_pairing(body, set(), thinking=_thinking_on(body))
        return
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a valid list")
    names: set[str] = set()
    for i, tool in enumerate(tools):
        name = _check_tool(tool, f"tools.{i}")
        if name in names:
            raise invalid(f"tools: Tool names must be unique. Found duplicate name: {name!r}")
        names.add(name)
    _check_pairing(body, names, thinking=_thinking_on(body))


def _check_tool(tool: Any, where: str) -> str:
    if not isinstance(tool, dict):
        raise invalid(f"{where}: Input should be an object")
    kind = tool.get("type")
    if kind in (None, "custom"):
        name = tool.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise invalid(f"{where}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise invalid(f"{where}.custom.input_schema: Input should be a JSON schema of type 'object'")
        return name
    if kind not in SERVER_TOOL_TYPES:
        raise invalid(
            f"{where}: Input tag {kind!r} found using 'type' does not match any of the expected tags"
        )
    expected = SERVER_TOOL_TYPES[kind]
    if tool.get("name") != expected:
        raise invalid(f"{where}.{kind}.name: Input should be '{expected}'")
    if tool.get("allowed_domains") and tool.get("blocked_domains"):
        raise invalid(f"{where}: allowed_domains and blocked_domains cannot be used together")
    max_uses = tool.get("max_uses")
    if max_uses is not None and (not isinstance(max_uses, int) or isinstance(max_uses, bool) or max_uses < 1):
        raise invalid(f"{where}.{kind}.max_uses: Input should be greater than or equal to 1")
    return expected


def _thinking_on(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _blocks(message: Any) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _check_pairing(body: dict[str, Any], names: set[str], *, thinking: bool) -> None:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") != "system"]
    pending: list[str] = []  # tool_use ids of the previous assistant message
    for i, message in enumerate(messages):
        blocks = _blocks(message)
        if message.get("role") == "assistant":
            if pending:
                _unanswered(i - 1, pending)
            _check_thinking_blocks(blocks, i)
            pending = _tool_uses(blocks, names, i)
            continue
        _check_results(blocks, pending, i)
        if pending and thinking and i == len(messages) - 1:  # only the turn being answered now, as the API
            _check_thinking_first(_blocks(messages[i - 1]), i - 1)
        pending = []
    if pending:
        _unanswered(len(messages) - 1, pending)


def _tool_uses(blocks: list[dict[str, Any]], names: set[str], i: int) -> list[str]:
    ids = []
    for j, block in enumerate(blocks):
        if block.get("type") != "tool_use":
            continue
        if not names:
            raise invalid("Requests which include `tool_use` or `tool_result` blocks must define tools.")
        if block.get("name") not in names:
            raise invalid(
                f"messages.{i}.content.{j}: tool_use name {block.get('name')!r} is not among the request's tools"
            )
        ids.append(str(block.get("id")))
    return ids


def _check_results(blocks: list[dict[str, Any]], pending: list[str], i: int) -> None:
    results = [b for b in blocks if b.get("type") == "tool_result"]
    if results and not pending:
        ids = ", ".join(str(b.get("tool_use_id")) for b in results)
        raise invalid(
            f"messages.{i}.content.0: unexpected `tool_use_id` found in `tool_result` blocks: {ids}. "
            "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        )
    leading = []
    for block in blocks:
        if block.get("type") != "tool_result":
            break
        leading.append(str(block.get("tool_use_id")))
    if len(leading) != len(results):
        raise invalid(
            f"messages.{i}: `tool_result` blocks must come first in the user message, before any other content"
        )
    if extra := [tid for tid in leading if tid not in pending]:
        raise invalid(
            f"messages.{i}.content.0: unexpected `tool_use_id` found in `tool_result` blocks: {', '.join(extra)}. "
            "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        )
    if missing := [tid for tid in pending if tid not in leading]:
        _unanswered(i - 1, missing)


def _unanswered(i: int, ids: list[str]) -> None:
    raise invalid(
        f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: "
        f"{', '.join(ids)}. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )


def _check_thinking_first(blocks: list[dict[str, Any]], i: int) -> None:
    first = blocks[0].get("type") if blocks else None
    if first not in ("thinking", "redacted_thinking"):
        raise invalid(
            f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{first}`. "
            "When `thinking` is enabled, a final `assistant` message must start with a thinking block "
            "(preceeding the lastmost set of `tool_use` and `tool_result` blocks)."
        )


def _check_thinking_blocks(blocks: list[dict[str, Any]], i: int) -> None:
    for j, block in enumerate(blocks):
        if block.get("type") != "thinking":
            continue
        text, signature = block.get("thinking"), block.get("signature")
        if not isinstance(text, str) or not isinstance(signature, str) or not signature:
            raise invalid(f"messages.{i}.content.{j}.thinking.signature: Field required")
        if text and signature != signature_for(text):
            raise invalid(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block")
