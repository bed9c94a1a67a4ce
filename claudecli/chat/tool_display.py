"""How tool use shows in the chat transcript: one dim line per call, its result collapsed, searches as a list.

Everything here is untrusted text (the model's arguments, a tool's output, a web page's title): terminal escapes
and control characters are stripped and lines are shortened before rich sees them, always as ``Text`` (never
markup). The same lines are drawn live (from the loop's events) and for a resumed session (from stored steps).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.chat.replay import is_server_result, result_text, server_result_note
from claudecli.tools.sanitize import strip_escapes

if TYPE_CHECKING:
    from rich.console import Console

    from claudecli.tools.box import ToolEvent

ARGS_WIDTH = 70
FIRST_LINE_WIDTH = 70
LIST_WIDTH = 90
SHOWN_RESULTS = 5  # search results listed


def one_line(text: str, width: int) -> str:
    """``text`` safe to show on one line: escapes stripped, whitespace folded, cut to ``width``."""
    flat = " ".join(strip_escapes(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def short_args(tool_input: Any) -> str:
    return one_line(json.dumps(tool_input, ensure_ascii=False, separators=(",", ":")), ARGS_WIDTH)


def size_text(text: str) -> str:
    size = len(text.encode("utf-8", "replace"))
    return f"{size:,} B" if size < 1024 else f"{size / 1024:,.1f} kB"


def collapsed(text: str) -> str:
    """A result as its first non-empty line and its size."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return f"{one_line(first, FIRST_LINE_WIDTH) or '(empty)'} ({size_text(text)})"


def call_line(name: str, tool_input: Any) -> Text:
    return Text.assemble("  → ", (one_line(name, 64), "bold"), " ", short_args(tool_input), style="dim")


def result_line(name: str, content: str, *, is_error: bool) -> Text:
    if is_error:
        return Text.assemble(
            ("  ← ", "dim"), (one_line(name, 64), "bold"), (" error: ", "red"), collapsed(content)
        )
    return Text.assemble("  ← ", (one_line(name, 64), "bold"), ": ", collapsed(content), style="dim")


def declined_line(name: str, reason: str) -> Text:
    """A call that did not run: never dim, the person must see it (and which flag would allow it)."""
    return Text.assemble(
        ("  ✗ ", "yellow"), (one_line(name, 64), "bold"), " not run: ", one_line(reason, 160)
    )


def event_line(event: ToolEvent) -> Text | None:
    """The line of a live tool event (``start``, ``done``, ``declined``)."""
    call, result = event.call, event.result
    if event.kind == "start":
        return call_line(call.name, call.input)
    if event.kind == "declined" and result is not None:
        return declined_line(call.name, result.content)
    if event.kind == "done" and result is not None:
        return result_line(call.name, result.content, is_error=result.is_error)
    return None


def server_lines(block: dict[str, Any]) -> list[Text]:
    """A server tool's result: web search as a short list of titles and URLs, others as one line."""
    content = block.get("content")
    if block.get("type") == "web_search_tool_result" and isinstance(content, list):
        found = [item for item in content if isinstance(item, dict)]
        lines = [Text(f"  ⌕ web search: {len(found)} result{'s' * (len(found) != 1)}", style="dim")]
        for item in found[:SHOWN_RESULTS]:
            title = one_line(str(item.get("title") or ""), 50)
            url = one_line(str(item.get("url") or ""), LIST_WIDTH - 50)
            lines.append(Text.assemble("    ", title, " — ", (url, "dim")))
        if len(found) > SHOWN_RESULTS:
            lines.append(Text(f"    … {len(found) - SHOWN_RESULTS} more", style="dim"))
        return lines
    return [Text(f"  ⌕ {one_line(server_result_note(block), LIST_WIDTH)}", style="dim")]


def step_lines(steps: list[dict[str, Any]] | None) -> list[Text]:
    """The tool lines of stored steps (a resumed session): each call, then its result."""
    names: dict[str, str] = {}
    lines: list[Text] = []
    for message in steps or []:
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            kind = block.get("type")
            if kind == "tool_use":
                names[str(block.get("id"))] = str(block.get("name"))
                lines.append(call_line(str(block.get("name")), block.get("input") or {}))
            elif kind == "tool_result":
                name = names.get(str(block.get("tool_use_id")), "tool")
                lines.append(result_line(name, result_text(block), is_error=bool(block.get("is_error"))))
            elif is_server_result(block):
                lines += server_lines(block)
    return lines


def print_lines(console: Console, lines: list[Text]) -> None:
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
