"""What an MCP server says, as claudecli's tools see it: names valid for the API, results as text.

* Names: a server's tool ``search`` becomes ``SERVER__search``; characters the API does not allow
  (``^[a-zA-Z0-9_-]{1,64}$``) become ``_`` and a long name is cut. Two tools that end up with the same name are
  told apart with ``_2``, ``_3``... and a warning says so: the model must never call one tool believing it is
  another.
* Results: text blocks joined; images, audio and binary resources summarised (the model gets a line saying what
  was there, not the bytes); embedded text resources included; ``structuredContent`` as JSON unless a text
  block already carries the same JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

MAX_NAME = 64
_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9_-]")


def namespaced(server: str, tool: str) -> str:
    """``SERVER__tool``, valid for the API (not yet told apart from others: see ``unique_names``)."""
    return (f"{server}__" + _NOT_ALLOWED.sub("_", tool))[:MAX_NAME]


def unique_names(
    server: str, tools: list[str], taken: set[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Map each of a server's tool names to an API name unique among them and ``taken`` (the names of the
    tools enabled before this server's, which is updated); the warnings name every renamed clash."""
    names: dict[str, str] = {}
    taken = set() if taken is None else taken
    warnings: list[str] = []
    for tool in tools:
        base = namespaced(server, tool)
        name, number = base, 1
        while name in taken:
            number += 1
            suffix = f"_{number}"
            name = base[: MAX_NAME - len(suffix)] + suffix
        if name != base:
            clash = next((repr(other) for other, given in names.items() if given == base), f"another {base}")
            warnings.append(
                f"MCP server {server}: tools {clash} and {tool!r} have the same name for the API; "
                f"{tool!r} is called {name}"
            )
        names[tool] = name
        taken.add(name)
    return names, warnings


def result_text(result: Any) -> str:
    """A ``CallToolResult``'s content as the text a ``tool_result`` carries."""
    parts = [_block_text(block) for block in result.content]
    text_blocks = [block.text for block in result.content if getattr(block, "type", "") == "text"]
    structured = getattr(result, "structured_content", None)
    if structured is not None and not _already_there(structured, text_blocks):
        parts.append(json.dumps(structured, ensure_ascii=False, indent=1))
    text = "\n".join(part for part in parts if part)
    return text or "(no output)"


def _already_there(structured: Any, texts: list[str]) -> bool:
    """True when a text block says the same (the Python SDK wraps a plain return as ``{"result": value}``)."""
    same = [structured]
    if isinstance(structured, dict) and list(structured) == ["result"]:
        same.append(structured["result"])
        if isinstance(structured["result"], str) and structured["result"] in texts:
            return True
    for text in texts:
        try:
            if json.loads(text) in same:
                return True
        except ValueError:
            continue
    return False


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind} {block.mime_type}, {_size(block.data)}: not shown to the model]"
    if kind == "resource_link":
        return f"[resource link {block.name}: {block.uri}]"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        if isinstance(text, str):
            return f"[resource {resource.uri}]\n{text}"
        mime = resource.mime_type or "binary"
        return f"[resource {resource.uri}, {mime}, {_size(getattr(resource, 'blob', ''))}: not shown to the model]"
    return f"[{kind or 'unknown'} content: not shown to the model]"


def _size(data: str) -> str:
    try:
        count = len(base64.b64decode(data, validate=False))
    except (binascii.Error, ValueError):
        count = len(data)
    return f"{count} bytes"
