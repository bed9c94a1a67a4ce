"""How tool use shows on stderr: one line as a local tool starts and one as it ends, search results as a list.

Everything a tool or the model wrote is shown with terminal escapes and other control characters written as
visible escapes (:func:`~claudecli.render.visible.visible`), so a tool's output (or a web page's title) cannot
move the cursor, retitle the window or hide text.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.text import Text

from claudecli.call.server_tools import search_results, server_tool_error
from claudecli.core.controls import visible
from claudecli.tools.box import ToolEvent

ARGS_WIDTH = 80
_LINE_BREAKS = str.maketrans({"\n": " ", "\t": " ", "\r": " ", "\u2028": " ", "\u2029": " "})


def printable(text: str) -> str:
    """``text`` on one line (line breaks as spaces), control characters and bidi overrides shown escaped."""
    return visible(text.translate(_LINE_BREAKS))


def short(text: str, width: int = ARGS_WIDTH) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def short_args(tool_input: dict[str, Any]) -> str:
    return short(json.dumps(tool_input, ensure_ascii=False, separators=(",", ":")))


def size_text(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} kB"


def result_bytes(content: str) -> int:
    return len(content.encode("utf-8", "surrogatepass"))


def tool_event_line(event: ToolEvent) -> Text | None:
    """The trace line of one tool event ("start", "done", "declined"); None for kinds not shown."""
    name = printable(event.call.name)
    result = event.result
    if event.kind == "start":
        return Text.assemble(("→ ", "cyan"), (name, "bold"), " ", (short_args(event.call.input), "dim"))
    if event.kind == "declined" and result is not None:
        return Text.assemble(("✗ ", "yellow"), (name, "bold"), " declined: ", short(result.content, 160))
    if event.kind == "done" and result is not None:
        parts = f" · {size_text(result_bytes(result.content))} · {result.duration_ms} ms"
        status = ("  error", "red") if result.is_error else ("", "")
        return Text.assemble(("← ", "cyan"), (name, "bold"), (parts, "dim"), status)
    return None


def server_tool_lines(block: dict[str, Any]) -> list[Text]:
    """A server tool's result: web search as its titles and URLs, others in one line."""
    kind = str(block.get("type", ""))
    label = kind.removesuffix("_tool_result").replace("_", " ")
    error = server_tool_error(block)
    if error is not None:
        return [Text.assemble(("✗ ", "yellow"), f"{label} failed: ", printable(error))]
    if kind == "web_search_tool_result":
        results = search_results(block)
        lines = [
            Text.assemble(("⌕ ", "cyan"), f"web search: {len(results)} result{'s' * (len(results) != 1)}")
        ]
        lines += [
            Text.assemble("  ", short(title, 60), " — ", (short(url, 100), "dim")) for title, url in results
        ]
        return lines
    if kind == "web_fetch_tool_result":
        content = block.get("content")
        url = content.get("url", "") if isinstance(content, dict) else ""
        return [Text.assemble(("⌕ ", "cyan"), "web fetch: ", (short(str(url), 100), "dim"))]
    return [Text.assemble(("⚙ ", "cyan"), f"{label} ran")]


def print_lines(console: Console, lines: list[Text]) -> None:
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)
