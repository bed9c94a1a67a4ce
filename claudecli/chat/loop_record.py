"""A turn's tool loop as one exchange: its messages, its answer, and every step's tokens and cost summed.

* The exchange's ``steps`` are the loop's messages (``LoopOutcome.messages``: validly paired) when the loop
  used a tool; a turn without tools stays a text exchange, as before.
* A step cut off by Ctrl-C or an error kept no content in the loop's messages (the stream never finished):
  its partial text is added as an assistant text turn, the same rule as a partial answer without tools.
* Each step's tokens and cost count in the exchange (``calls`` = the steps); an overloaded call a step fell
  back from is booked as its own answerless exchange, as before.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from claudecli.call.outcome import CallOutcome
from claudecli.call.tool_loop import loop_status
from claudecli.chat.conversation import Exchange
from claudecli.chat.replay import has_tool_blocks

if TYPE_CHECKING:
    from claudecli.call.tool_loop import LoopFailed, LoopOutcome


def loop_outcomes(loop: LoopOutcome) -> list[CallOutcome]:
    """Each step's call (the one that answered, not an overloaded one it fell back from)."""
    return [step.outcome for step in loop.steps]


def last_context_tokens(loop: LoopOutcome) -> int | None:
    """The context the conversation fills now: the last call's input and output."""
    if not loop.steps:
        return None
    usage = loop.final.usage
    return usage.total_input_tokens + usage.output_tokens


def _with_partial_text(messages: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    text = text.rstrip()
    if not text.strip():
        return messages
    block = {"type": "text", "text": text}
    if messages and messages[-1]["role"] == "assistant":  # a paused turn it continued
        messages[-1]["content"].append(block)
    else:
        messages.append({"role": "assistant", "content": [block]})
    return messages


def loop_exchange(prompt_text: str, content: Any, loop: LoopOutcome, failure: LoopFailed | None) -> Exchange:
    """The exchange a (finished or cut-off) loop of at least one call makes; see the module doc."""
    total = loop.total()
    messages = copy.deepcopy(loop.messages)
    if failure is not None and total.status != "ok":  # the last step's stream was cut: its text only
        messages = _with_partial_text(messages, total.text)
    status = loop_status(loop, failure)  # "max_steps" when every call ended but the loop did not
    return Exchange(
        prompt_text=prompt_text,
        user_content=content,
        answer=total.text,
        status=status,
        model=total.model,
        usage=total.usage,
        cost_usd=total.cost_usd,
        list_cost_usd=total.list_cost_usd,
        steps=messages if has_tool_blocks(messages) else None,
        calls=len(loop.steps),
    )
