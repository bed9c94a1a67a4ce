"""Deterministic reply planning: what the fake "model" says, chosen by directives in the prompt.

Directives are read from the text of the LAST user message (string content, or its text blocks joined
with newlines); the first one found wins:

- `[[words:N]]`   exactly N words `w1 … wN`
- `[[markdown]]`  the fixed `MARKDOWN_DOC`
- `[[echo]]`      the last user message's text, verbatim
- `[[tool]]`      a `get_weather` tool_use block, stop_reason "tool_use"
- `[[max_tokens]]` / `[[refusal]]`  the default text with that stop_reason
- `[[batch_error]]` / `[[expire]]`  only meaningful in batches (see batches.py)
- none            `Hello from the fake API.`

Tool use (`[[call:NAME {json}]]`, `[[call_forever:…]]`, `[[search:Q]]`, `[[fetch:URL]]`, `[[pause]]`, and the reply
to a turn of tool results) is planned by tool_replies.py; it is looked at before the directives above.

`output_config.format` json_schema replaces the text with a JSON instance of the schema. Thinking
(`enabled`/`adaptive`) adds a thinking block first. One word = one output token; max_tokens caps
thinking then text (stop_reason "max_tokens"); a stop sequence cuts the text before it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .schema import schema_example
from .tokens import text_tokens
from .tool_replies import plan_tools
from .wire import new_id

DEFAULT_REPLY = "Hello from the fake API."
THINKING_TEXT = "Let me think about this."
REFUSAL_TEXT = "I can't help with that request."
TOOL_NAME = "get_weather"
TOOL_INPUT = {"city": "Paris"}
MARKDOWN_DOC = """# Fake API report

This is a **fixed** Markdown document from the fake API, with `inline code` and a [link](https://example.com).

- first item
- second item with *emphasis*
- third item

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

| Name | Value |
| ---- | ----- |
| alpha | 1 |
| beta | 2 |
"""

_DIRECTIVE = re.compile(r"\[\[(words:(\d+)|markdown|echo|tool|max_tokens|refusal|batch_error|expire)\]\]")


@dataclass
class Block:
    """One content block: its empty start form, its stream deltas, and its complete form."""

    start: dict[str, Any]
    deltas: list[dict[str, Any]]
    final: dict[str, Any]


@dataclass
class ReplyPlan:
    blocks: list[Block] = field(default_factory=list)
    stop_reason: str = "end_turn"
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | None = None
    output_tokens: int = 0
    thinking_tokens: int = 0
    server_tool_use: dict[str, int] | None = None


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            texts = [
                b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"
            ]
            return "\n".join(texts)
    return ""


def directive(text: str) -> tuple[str | None, int]:
    """(name, N) of the first directive in `text`; N is only meaningful for `words`."""
    match = _DIRECTIVE.search(text)
    if match is None:
        return None, 0
    if match[2] is not None:
        return "words", int(match[2])
    return match[1], 0


def split_words(text: str) -> list[str]:
    """Word pieces that concatenate back to `text`: each is its leading whitespace plus one word."""
    pieces = re.findall(r"\s*\S+", text)
    tail = text[len("".join(pieces)) :]
    if tail:
        if pieces:
            pieces[-1] += tail
        else:
            pieces = [tail]
    return pieces


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return fmt.get("schema")
    return None


def reply_text(body: dict[str, Any], name: str | None, n: int) -> str:
    schema = _json_schema(body)
    if schema is not None:
        return json.dumps(schema_example(schema))
    if name == "words":
        return " ".join(f"w{i}" for i in range(1, n + 1))
    if name == "markdown":
        return MARKDOWN_DOC
    if name == "echo":
        return last_user_text(body)
    if name == "refusal":
        return REFUSAL_TEXT
    return DEFAULT_REPLY


def _thinking_mode(body: dict[str, Any]) -> str | None:
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        return "omitted" if thinking.get("display") == "omitted" else "summarized"
    return None


def thinking_block(words: list[str], omitted: bool) -> Block:
    text = "" if omitted else "".join(words)
    signature = base64.b64encode(hashlib.sha256(("fake:" + "".join(words)).encode()).digest()).decode()
    deltas = [] if omitted else [{"type": "thinking_delta", "thinking": w} for w in words]
    deltas.append({"type": "signature_delta", "signature": signature})
    return Block(
        start={"type": "thinking", "thinking": "", "signature": ""},
        deltas=deltas,
        final={"type": "thinking", "thinking": text, "signature": signature},
    )


def text_block(words: list[str]) -> Block:
    return Block(
        start={"type": "text", "text": ""},
        deltas=[{"type": "text_delta", "text": w} for w in words],
        final={"type": "text", "text": "".join(words)},
    )


def tool_block() -> Block:
    tool_id = new_id("toolu_")
    raw = json.dumps(TOOL_INPUT)
    split = raw.index(":") + 2
    pieces = [raw[:split], raw[split:]]
    return Block(
        start={"type": "tool_use", "id": tool_id, "name": TOOL_NAME, "input": {}},
        deltas=[{"type": "input_json_delta", "partial_json": p} for p in pieces],
        final={"type": "tool_use", "id": tool_id, "name": TOOL_NAME, "input": dict(TOOL_INPUT)},
    )


def _cut_at_stop_sequence(text: str, stops: list[str]) -> tuple[str, str | None]:
    best: tuple[int, str] | None = None
    for stop in stops:
        at = text.find(stop)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, stop)
    return (text, None) if best is None else (text[: best[0]], best[1])


def plan_reply(body: dict[str, Any]) -> ReplyPlan:
    """The whole reply for a validated Messages request."""
    plan = ReplyPlan()
    max_tokens = body.get("max_tokens")
    budget: int = max_tokens if isinstance(max_tokens, int) else 1 << 30  # count_tokens has none
    name, n = directive(last_user_text(body))
    mode = _thinking_mode(body)
    if mode is not None:
        words = split_words(THINKING_TEXT)[:budget]
        budget -= len(words)
        plan.thinking_tokens = len(words)
        plan.blocks.append(thinking_block(words, omitted=mode == "omitted"))
        if budget <= 0:
            plan.stop_reason = "max_tokens"
            plan.output_tokens = plan.thinking_tokens
            return plan
    tools = plan_tools(body, budget) if _json_schema(body) is None else None
    if tools is not None:
        plan.blocks += [Block(*block) for block in tools.blocks]
        plan.stop_reason = tools.stop_reason
        plan.output_tokens = plan.thinking_tokens + tools.output_tokens
        plan.server_tool_use = tools.server_tool_use
        return plan
    if name == "tool" and _json_schema(body) is None:
        block = tool_block()
        plan.blocks.append(block)
        plan.stop_reason = "tool_use"
        plan.output_tokens = plan.thinking_tokens + text_tokens(json.dumps(block.final["input"]))
        return plan
    text, stop = _cut_at_stop_sequence(reply_text(body, name, n), list(body.get("stop_sequences") or []))
    words = split_words(text)
    capped = len(words) > budget
    words = words[:budget]
    plan.blocks.append(text_block(words))
    plan.output_tokens = plan.thinking_tokens + len(words)
    if capped or name == "max_tokens":
        plan.stop_reason = "max_tokens"
    elif stop is not None:
        plan.stop_reason, plan.stop_sequence = "stop_sequence", stop
    elif name == "refusal":
        plan.stop_reason = "refusal"
        plan.stop_details = {
            "type": "refusal",
            "category": None,
            "explanation": "Refused on request ([[refusal]]).",
        }
    return plan
