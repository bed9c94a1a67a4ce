"""The conversation as the API sees it: exchanges in, a valid message list with a moving cache breakpoint out.

Rules that keep every request valid (the API rejects the whole call otherwise):

* Only exchanges with something to send back are sent ("in context"): answer text, or tool steps. An exchange
  interrupted or failed before the first token (and before any tool ran) has nothing; it is recorded in the
  session (its cost counts) but left out of the message list, and its prompt is put back on the input line
  so nothing the user typed is lost. So no assistant turn is empty.
* A partial answer (Ctrl-C, a dropped stream) is sent back verbatim (trailing whitespace trimmed): the model
  sees what it said before the interruption; the transcript marks it as interrupted. A partial tool loop is
  kept the same way: its steps so far, validly paired.
* An exchange that used no tool is sent as its answer text: thinking blocks of earlier turns are not needed
  by the API. One that used tools is sent block for block as stored (thinking and signatures included), or
  as text when this chat does not offer its tools any more (see ``replay``).
* Neighbouring user turns are joined: a loop cut off after its tools ran ends with a user turn of
  ``tool_result`` blocks, and the next prompt follows those results in the same message (results first, as
  the API requires). So the list always alternates user, assistant, ..., user.
* Caching: history is sent without any ``cache_control`` and the newest user message gets one breakpoint on
  its last block, so each request writes the prefix up to its newest turn and the next request, whose
  prefix starts with the same bytes, reads it. With the system prompt's own breakpoint that is at most two of
  the API's four.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from claudecli.call.outcome import CallOutcome
from claudecli.call.request import cache_control
from claudecli.chat.replay import (
    has_tool_blocks,
    pairing_problems,
    steps_as_text,
    tool_names_used,
    valid_steps,
)
from claudecli.core.usage import TokenUsage

MAX_BREAKPOINTS = 4

# Exchange.state values (stored in the session store).
ACTIVE = "active"  # in the conversation
DROPPED = "dropped"  # no answer text (interrupted or failed before the first token): never sent
UNDONE = "undone"  # removed with /undo
REPLACED = "replaced"  # regenerated with /retry
COMPACTED = "compacted"  # folded into the summary by /compact
SUMMARY = "summary"  # the /compact call itself (kind "compact"): costs money, is not a turn


@dataclass
class Exchange:
    """One user message and the answer to it, with what it cost."""

    prompt_text: str
    user_content: Any  # str, or a list of content blocks (attachments first), without cache_control
    answer: str = ""
    status: str = "ok"  # "ok", "interrupted", or the error type
    model: str = ""
    usage: TokenUsage = field(default_factory=TokenUsage)
    cost_usd: Decimal | None = None
    list_cost_usd: Decimal | None = None
    kind: str = "chat"  # "chat", or "compact" for a /compact call
    state: str = ACTIVE
    seq: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    steps: list[dict[str, Any]] | None = None  # the tool loop's messages after the prompt (None: text only)
    calls: int = 1  # API calls the exchange made (a tool loop makes one per step)

    @classmethod
    def from_outcome(
        cls, prompt_text: str, user_content: Any, outcome: CallOutcome, **extra: Any
    ) -> Exchange:
        """The exchange a finished (or cut-off) call makes, with its tokens and cost."""
        return cls(
            prompt_text=prompt_text,
            user_content=user_content,
            answer=outcome.text,
            status=outcome.status,
            model=outcome.model,
            usage=outcome.usage,
            cost_usd=outcome.cost_usd,
            list_cost_usd=outcome.list_cost_usd,
            **extra,
        )

    @property
    def has_answer(self) -> bool:
        return bool(self.answer.strip())

    @property
    def used_tools(self) -> bool:
        return has_tool_blocks(self.steps)

    @property
    def in_context(self) -> bool:
        """Whether the exchange has anything to send back: answer text, or tool steps (tools ran)."""
        return self.has_answer or (self.used_tools and bool(valid_steps(self.steps)))

    @property
    def tool_calls(self) -> int:
        return sum(
            1
            for message in self.steps or []
            if message.get("role") == "assistant" and isinstance(message.get("content"), list)
            for block in message["content"]
            if isinstance(block, dict) and block.get("type") in ("tool_use", "server_tool_use")
        )

    @property
    def partial(self) -> bool:
        return self.status != "ok"

    def reply(self, tool_names: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
        """The assistant side as sent again: the answer text, or the tool steps (see the module doc)."""
        if not self.used_tools:
            return [{"role": "assistant", "content": self.answer.rstrip()}] if self.has_answer else []
        if tool_names_used(self.steps) <= set(tool_names):
            return valid_steps(self.steps)
        return [{"role": "assistant", "content": steps_as_text(self.steps)}]

    def as_text(self) -> str:
        """What Claude wrote, called and got back, as text (for /compact and /export)."""
        return steps_as_text(self.steps) if self.used_tools else self.answer.strip()


def strip_cache_control(content: Any) -> Any:
    """A copy of message content with every ``cache_control`` removed (strings pass through)."""
    if not isinstance(content, list):
        return content
    blocks = []
    for block in content:
        clean = copy.copy(block)
        if isinstance(clean, dict):
            clean.pop("cache_control", None)
        blocks.append(clean)
    return blocks


def with_breakpoint(content: Any, ttl: str) -> list[dict[str, Any]]:
    """Content as blocks, its last block carrying the moving cache breakpoint."""
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else strip_cache_control(content)
    blocks[-1] = {**blocks[-1], "cache_control": cache_control(ttl)}
    return blocks


class Conversation:
    """The exchanges currently in context, oldest first."""

    def __init__(self, exchanges: list[Exchange] | None = None) -> None:
        self.exchanges: list[Exchange] = [e for e in exchanges or [] if e.in_context]

    def __len__(self) -> int:
        return len(self.exchanges)

    def add(self, exchange: Exchange) -> bool:
        """Append the exchange if it can be sent back; returns whether it joined the conversation."""
        if exchange.kind != "chat" or not exchange.in_context:
            return False
        self.exchanges.append(exchange)
        return True

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def pop(self) -> Exchange | None:
        return self.exchanges.pop() if self.exchanges else None

    def clear(self) -> None:
        self.exchanges.clear()

    def messages(
        self,
        new_content: Any,
        *,
        cache: bool,
        ttl: str,
        exclude: Exchange | None = None,
        tool_names: frozenset[str] | set[str] = frozenset(),
    ) -> list[dict[str, Any]]:
        """The ``messages`` of the next request: the history, then ``new_content`` as the newest user turn.

        ``exclude`` leaves one exchange out (``/retry`` re-asks the last prompt without its old answer).
        ``tool_names`` are the tools the request offers: an exchange that used others is sent as text.
        """
        messages: list[dict[str, Any]] = []
        for exchange in self.exchanges:
            if exchange is exclude:
                continue
            _append(messages, "user", strip_cache_control(exchange.user_content))
            for message in exchange.reply(tool_names):
                _append(messages, message["role"], message["content"])
        newest = with_breakpoint(new_content, ttl) if cache else strip_cache_control(new_content)
        _append(messages, "user", newest)
        return messages


def _as_blocks(content: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _append(messages: list[dict[str, Any]], role: str, content: Any) -> None:
    """Add a turn; a turn of the same role as the last one joins it (see the module doc)."""
    if messages and messages[-1]["role"] == role:
        messages[-1] = {"role": role, "content": [*_as_blocks(messages[-1]["content"]), *_as_blocks(content)]}
    else:
        messages.append({"role": role, "content": content})


def message_problems(messages: list[dict[str, Any]], system: Any = None) -> list[str]:
    """What would make the API refuse this message list (empty when it is valid)."""
    problems: list[str] = []
    if not messages or messages[0].get("role") != "user":
        problems.append("the first message must be the user's")
    if messages and messages[-1].get("role") != "user":
        problems.append("the last message must be the user's")
    for index, message in enumerate(messages):
        if index and message.get("role") == messages[index - 1].get("role"):
            problems.append(f"messages {index - 1} and {index} have the same role")
        problems.extend(_content_problems(index, message.get("content")))
    problems.extend(pairing_problems(messages))
    breakpoints = _count_breakpoints(system) + sum(_count_breakpoints(m.get("content")) for m in messages)
    if breakpoints > MAX_BREAKPOINTS:
        problems.append(f"{breakpoints} cache breakpoints (at most {MAX_BREAKPOINTS})")
    return problems


def _content_problems(index: int, content: Any) -> list[str]:
    if isinstance(content, str):
        return [] if content.strip() else [f"message {index} is empty"]
    if not isinstance(content, list) or not content:
        return [f"message {index} is empty"]
    problems = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and not str(block.get("text", "")).strip():
            problems.append(f"message {index} has an empty text block")
    return problems


def _count_breakpoints(content: Any) -> int:
    if not isinstance(content, list):
        return 0
    return sum(1 for block in content if isinstance(block, dict) and block.get("cache_control"))
