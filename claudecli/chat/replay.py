"""An exchange's tool steps, sent again: verbatim when they are valid and their tools are offered, else as text.

A tool-using exchange stores what the tool loop appended after the user's prompt (``LoopOutcome.messages``):
assistant turns with every block (thinking and its signature, text, ``tool_use``, server tool blocks) and user
turns of ``tool_result`` blocks. Rules for sending them back in a later request:

* Valid steps go out exactly as stored (minus any ``cache_control``): the API requires each ``tool_use`` to be
  answered by a ``tool_result`` at the start of the very next user message, and thinking blocks with their
  signatures unchanged.
* Damaged steps (a store edited by hand, an old bug) are repaired rather than sent to be refused: a
  ``tool_use`` without its result and a ``tool_result`` without its call are left out, and so are an empty or
  whitespace-only text block and an assistant turn left with nothing but thinking (its call was cut off at
  ``max_tokens``, so it was never run).
* A request holding ``tool_use`` blocks must offer tools of those names. When this chat does not offer every
  tool an exchange used (it was resumed without ``--tools``), the exchange is sent as one assistant text that
  tells what was called and what came back (:func:`steps_as_text`), so the model keeps the facts.
"""

from __future__ import annotations

import copy
import json
from typing import Any

RESULT_NOTE_CHARS = 500  # of each tool result, in the text form of an exchange
SERVER_TOOL_NAMES = {"web_search": "web_search", "web_fetch": "web_fetch"}  # others: code execution
CODE_EXECUTION = "code_execution"
THINKING_KINDS = ("thinking", "redacted_thinking")


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [block for block in content or [] if isinstance(block, dict)]


def _kind(block: dict[str, Any]) -> str:
    return str(block.get("type", ""))


def is_server_result(block: dict[str, Any]) -> bool:
    """A server tool's result block (``web_search_tool_result``, ``code_execution_tool_result``, ...)."""
    kind = _kind(block)
    return kind.endswith("_tool_result") and kind != "tool_result"


def has_tool_blocks(steps: list[dict[str, Any]] | None) -> bool:
    """Whether the steps used any tool (local or server), so they cannot be sent as plain text."""
    return any(
        _kind(block) in ("tool_use", "server_tool_use", "tool_result") or is_server_result(block)
        for message in steps or []
        for block in _blocks(message.get("content"))
    )


def tool_names_used(steps: list[dict[str, Any]] | None) -> set[str]:
    """The request ``tools`` names the steps need: local tool names, and ``web_search``/``web_fetch``/
    ``code_execution`` for server tool calls (code execution's calls carry names of their own)."""
    names: set[str] = set()
    for message in steps or []:
        for block in _blocks(message.get("content")):
            if _kind(block) == "tool_use":
                names.add(str(block.get("name")))
            elif _kind(block) == "server_tool_use":
                names.add(SERVER_TOOL_NAMES.get(str(block.get("name")), CODE_EXECUTION))
    return names


def _clean(block: dict[str, Any]) -> dict[str, Any]:
    if "cache_control" not in block:
        return block
    clean = copy.copy(block)
    clean.pop("cache_control")
    return clean


def _keep(block: dict[str, Any]) -> bool:
    return _kind(block) != "text" or bool(str(block.get("text", "")).strip())


def _merged(messages: list[tuple[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Non-empty messages, neighbours of the same role joined (the API wants the roles to alternate)."""
    out: list[dict[str, Any]] = []
    for role, blocks in messages:
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": list(blocks)})
    return out


def _call_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return {str(block.get("id")) for block in blocks if _kind(block) == "tool_use"}


def _result_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return {str(block.get("tool_use_id")) for block in blocks if _kind(block) == "tool_result"}


def valid_steps(steps: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The steps as they may be sent again (see the module doc); valid steps come back unchanged."""
    raw = [
        (str(message.get("role")), [_clean(b) for b in _blocks(message.get("content")) if _keep(b)])
        for message in steps or []
        if message.get("role") in ("user", "assistant")
    ]
    messages = _merged(raw)
    paired: list[tuple[str, list[dict[str, Any]]]] = []
    for index, message in enumerate(messages):
        blocks = message["content"]
        if message["role"] == "assistant":
            following = messages[index + 1]["content"] if index + 1 < len(messages) else []
            answered = _result_ids(following)
            blocks = [b for b in blocks if _kind(b) != "tool_use" or str(b.get("id")) in answered]
            if all(
                _kind(b) in THINKING_KINDS for b in blocks
            ):  # thinking whose call was cut off: nothing said
                blocks = []
        else:
            before = paired[-1] if paired and paired[-1][0] == "assistant" else ("assistant", [])
            asked = _call_ids(before[1])
            results = [b for b in blocks if _kind(b) == "tool_result" and str(b.get("tool_use_id")) in asked]
            blocks = results + [b for b in blocks if _kind(b) != "tool_result"]  # results come first
        paired.append((message["role"], blocks))
    while paired and paired[0][0] == "user":  # the steps follow the user's prompt: they start with Claude
        paired.pop(0)
    return _merged(paired)


def pairing_problems(messages: list[dict[str, Any]]) -> list[str]:
    """What the API would refuse about tool_use/tool_result pairing in a whole message list."""
    problems: list[str] = []
    asked: set[str] = set()
    for index, message in enumerate(messages):
        blocks = _blocks(message.get("content"))
        misplaced = "tool_result" if message.get("role") == "assistant" else "tool_use"
        if any(_kind(block) == misplaced for block in blocks):
            problems.append(f"message {index} ({message.get('role')}) carries a {misplaced} block")
        if message.get("role") == "assistant":
            if asked:
                problems.append(f"message {index - 1} has tool_use blocks without results")
            asked = _call_ids(blocks)
            continue
        results = _result_ids(blocks)
        leading = 0
        while leading < len(blocks) and _kind(blocks[leading]) == "tool_result":
            leading += 1
        if leading != sum(1 for block in blocks if _kind(block) == "tool_result"):
            problems.append(f"message {index}: tool_result blocks must come first")
        if results - asked:
            problems.append(f"message {index} answers a tool_use the message before did not make")
        if asked - results:
            problems.append(f"message {index - 1} has tool_use blocks without results")
        asked = set()
    if asked:
        problems.append(f"message {len(messages) - 1} has tool_use blocks without results")
    return problems


def _short(text: str, limit: int = RESULT_NOTE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def result_text(block: dict[str, Any]) -> str:
    """A ``tool_result``'s content as text (a list of blocks: their texts, other blocks named)."""
    content = block.get("content", "")
    if isinstance(content, str):
        return content
    parts = []
    for item in _blocks(content):
        parts.append(str(item.get("text", "")) if _kind(item) == "text" else f"[{_kind(item)}]")
    return "\n".join(parts)


def _args(tool_input: Any) -> str:
    return json.dumps(tool_input, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def server_result_note(block: dict[str, Any]) -> str:
    """One line for a server tool's result: web search results as titles and URLs."""
    kind = _kind(block)
    content = block.get("content")
    if kind == "web_search_tool_result" and isinstance(content, list):
        found = [f"{item.get('title') or ''} <{item.get('url') or ''}>" for item in _blocks(content)]
        return "web search results: " + ("; ".join(found) if found else "none")
    if isinstance(content, dict) and str(content.get("type", "")).endswith("error"):
        return f"{kind.removesuffix('_tool_result').replace('_', ' ')} failed: {content.get('error_code')}"
    if kind == "web_fetch_tool_result" and isinstance(content, dict):
        return f"web fetch of {content.get('url') or '?'}"
    return f"{kind.removesuffix('_tool_result').replace('_', ' ')} ran"


def block_note(block: dict[str, Any]) -> str | None:
    """A tool block in words (None for text and thinking, which are not tool steps)."""
    kind = _kind(block)
    if kind in ("tool_use", "server_tool_use"):
        return f"[called {block.get('name')} {_args(block.get('input') or {})}]"
    if kind == "tool_result":
        label = "tool error" if block.get("is_error") else "tool result"
        return f"[{label}: {_short(result_text(block))}]"
    if is_server_result(block):
        return f"[{_short(server_result_note(block))}]"
    return None


def steps_as_text(steps: list[dict[str, Any]] | None) -> str:
    """The whole assistant side of an exchange as text: what Claude wrote, called, and got back, in order
    (thinking left out). Used when the tools are not offered any more, by /compact and by /export."""
    parts: list[str] = []
    for message in steps or []:
        for block in _blocks(message.get("content")):
            if _kind(block) == "text":
                if text := str(block.get("text", "")).strip():
                    parts.append(text)
            elif (note := block_note(block)) is not None:
                parts.append(note)
    return "\n\n".join(parts)


def final_text(steps: list[dict[str, Any]] | None) -> str:
    """The text of the last assistant turn: the answer the tool steps led to."""
    for message in reversed(steps or []):
        if message.get("role") == "assistant":
            texts = [str(b.get("text", "")) for b in _blocks(message.get("content")) if _kind(b) == "text"]
            return "".join(texts)
    return ""
