"""Context-window checks: warn at 80 % of the model's window, refuse a turn that would not fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from claudecli.catalog.lookup import model_info
from claudecli.core.errors import ClaudeCliError

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

WARN_FRACTION = 0.8


def context_window(app_ctx: AppContext, model: str) -> int | None:
    """The model's context window from the (cached) models list; None when unknown or offline."""

    try:
        facts = model_info(app_ctx, model)
    except ClaudeCliError:
        return None
    window = getattr(facts, "context_window", None) if facts is not None else None
    return window if isinstance(window, int) and window > 0 else None


@dataclass(frozen=True)
class ContextCheck:
    tokens: int
    window: int | None

    @property
    def over(self) -> bool:
        return self.window is not None and self.tokens > self.window

    @property
    def near(self) -> bool:
        return self.window is not None and not self.over and self.tokens >= self.window * WARN_FRACTION

    def message(self) -> str | None:
        if self.window is None:
            return None
        share = f"about {self.tokens:,} of the model's {self.window:,} tokens"
        if self.over:
            return f"this turn would not fit: the conversation is {share}; /compact summarises older turns"
        if self.near:
            percent = int(self.tokens * 100 / self.window)
            return f"the conversation uses {share} ({percent} %); /compact summarises older turns"
        return None
