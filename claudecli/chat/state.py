"""The live chat: which session, which model and system prompt, what is pending, what it has cost so far.

A new chat is not written to the store until its first turn completes (or it is named with /save), so
opening and closing the REPL leaves no empty sessions behind. Every change after that is persisted at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from claudecli.call.request import RequestOptions, build_params, platform_params, thinking_param
from claudecli.chat.conversation import (
    COMPACTED,
    DROPPED,
    REPLACED,
    SUMMARY,
    UNDONE,
    Conversation,
    Exchange,
)
from claudecli.chat.limits import context_window
from claudecli.chat.session_store import SessionMeta, SessionStore, SessionTotals, slug
from claudecli.chat.tooling import ChatTools
from claudecli.core.controls import CONTROL_CLASS, visible
from claudecli.core.errors import UsageError
from claudecli.core.roles import MIN_THINKING_BUDGET
from claudecli.core.tokens import estimate_input_tokens

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

NEW_CHAT_LABEL = "new chat"
MAX_TOKENS_SETTING = "max_tokens (config.toml, or CLAUDECLI_MAX_TOKENS)"
SUMMARY_HEADING = "Summary of the earlier part of this conversation (older turns were compacted):"


@dataclass
class Attachment:
    label: str  # the path or URL as the user gave it
    block: dict[str, Any]


MAX_SESSION_NAME = 100
_NAME_CONTROL = re.compile(CONTROL_CLASS + "|[\n\t]")


def check_session_name(app_ctx: AppContext, name: str) -> str:
    """A name the user chose (``/save``, ``--session``) is printed on the terminal, in the toolbar and in
    ``--list``, and typed back after ``--session``: it may hold no control character (an escape sequence
    would reach the terminal raw), no secret (it would be shown in clear in the toolbar) and at most 100
    characters. It is refused, never rewritten, so the name the user typed is the name they get."""
    if _NAME_CONTROL.search(name):
        raise UsageError("a session name cannot contain control characters", hint="choose another name")
    if app_ctx.scrub(name) != name:
        raise UsageError("a session name cannot contain a secret", hint="choose another name")
    if len(name) > MAX_SESSION_NAME:
        raise UsageError(
            f"a session name is at most {MAX_SESSION_NAME} characters ({len(name)} given)",
            hint="choose a shorter name",
        )
    return name


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


def check_thinking(spec: str | None, max_tokens: int) -> None:
    """Validate a thinking setting (adaptive, off, or a budget) the way chat words it.

    Chat has no --max-tokens: max_tokens comes from the config, so a budget too large for it names the setting.
    """

    budget = int(spec) if spec is not None and spec.isdigit() else None
    if budget is not None and budget >= MIN_THINKING_BUDGET and budget >= max_tokens:
        raise UsageError(
            f"the thinking budget ({budget}) must be below max_tokens ({max_tokens})",
            hint=f"choose a smaller budget or adaptive, or raise {MAX_TOKENS_SETTING}",
        )
    thinking_param(spec, max_tokens)


class ChatState:
    """Everything one REPL run knows; the slash commands and the turn function act on it."""

    def __init__(
        self,
        app_ctx: AppContext,
        store: SessionStore,
        meta: SessionMeta,
        *,
        persisted: bool = False,
        name_fixed: bool = False,
    ) -> None:
        self.app_ctx = app_ctx
        self.store = store
        self.meta = meta
        self.persisted = persisted
        self.name_fixed = name_fixed or persisted
        self.conversation = Conversation()
        self.totals = SessionTotals()
        self.attachments: list[Attachment] = []
        self.context_tokens: int | None = None  # as the API last reported it (input incl. cache + output)
        settings = app_ctx.settings
        self.max_tokens: int = settings.max_tokens
        self.cache: bool = settings.cache
        self.cache_ttl: str = settings.cache_ttl
        self.fallback_model: str | None = (
            None  # resolved at start; a turn to this very model does not fall back
        )
        self._windows: dict[str, int | None] = {}
        self.tools = ChatTools()  # the chat's tool flags: fixed for the whole chat
        # During a turn: stops the spinner and finishes the text so far, before an approval question.
        self.display_hold: Callable[[], None] | None = None
        if persisted:
            self.conversation = Conversation(store.exchanges(meta.id))
            self.totals = store.totals(meta.id)

    @classmethod
    def fresh(
        cls,
        app_ctx: AppContext,
        store: SessionStore,
        *,
        model: str,
        system: str | None,
        thinking: str | None,
        name: str | None = None,
    ) -> ChatState:
        if name is not None:
            check_session_name(app_ctx, name)
        meta = SessionMeta(
            id=new_session_id(),
            name=name or NEW_CHAT_LABEL,
            model=model,
            system=system,
            thinking=thinking,
            profile=app_ctx.settings.profile,
        )
        return cls(app_ctx, store, meta, name_fixed=name is not None)

    def fit_thinking(self) -> None:
        """A stored session's thinking must still be valid: a budget set when max_tokens was higher would make
        every turn fail. Such a setting is turned off, with a warning that says how to get it back."""
        try:
            check_thinking(self.meta.thinking, self.max_tokens)
        except UsageError as exc:
            self.meta.thinking = None
            self.app_ctx.warn(f"thinking is off for this session: {exc.one_line()}")

    # -- what the next request looks like ------------------------------------------------------------

    @property
    def label(self) -> str:
        # visible(): a name stored before names were checked may hold an escape sequence
        return visible(self.meta.name) if (self.persisted or self.name_fixed) else NEW_CHAT_LABEL

    def system_text(self) -> str | None:
        """The system prompt sent: the user's, plus the /compact summary when there is one."""
        parts = [self.meta.system or ""]
        if self.meta.summary:
            parts.append(f"{SUMMARY_HEADING}\n\n{self.meta.summary}")
        text = "\n\n".join(part for part in parts if part)
        return text or None

    def request_options(self) -> RequestOptions:
        return RequestOptions(
            model=self.meta.model,
            max_tokens=self.max_tokens,
            system=self.system_text(),
            thinking=self.meta.thinking,
            cache=self.cache,
            cache_ttl=self.cache_ttl,
            platform=platform_params(self.app_ctx.settings),
        )

    def build_params(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        check_thinking(self.meta.thinking, self.max_tokens)  # in chat's words (no --max-tokens here)
        return build_params(self.request_options(), messages)

    def context_window(self) -> int | None:
        model = self.meta.model
        if model not in self._windows:
            self._windows[model] = context_window(self.app_ctx, model)
        return self._windows[model]

    def estimated_context_tokens(self) -> int:
        """Tokens in context now: the API's last count when it is current, else a local estimate."""
        if self.context_tokens is not None:
            return self.context_tokens
        if not self.conversation and not self.system_text():
            return 0

        messages = self.conversation.messages(
            " ", cache=False, ttl=self.cache_ttl, tool_names=self.tools.names()
        )[:-1]
        params = {"system": self.system_text() or "", "messages": messages}
        return estimate_input_tokens(self.tools.with_tools(params))

    # -- recording -----------------------------------------------------------------------------------

    def record(
        self, exchange: Exchange, *, replacing: Exchange | None = None, context_tokens: int | None = None
    ) -> None:
        """Book a finished exchange: persist it, count its cost, and (if it has an answer or tool steps) add it
        to the chat. ``context_tokens``: the size of its last call (a tool loop's usage is a sum of calls)."""
        if exchange.kind == "chat" and not exchange.in_context:
            exchange.state = DROPPED
            replacing = None  # a retry that produced nothing keeps the old answer
        # masked before slug() lower-cases it: a key's lower-cased tail would escape every later scrub
        shown = self._name_shown(slug(self.app_ctx.scrub(exchange.prompt_text)))
        self.store.record(self.meta, exchange, replaces=replacing.seq if replacing else None)
        self._written(shown)
        self.totals.add(exchange)
        if replacing is not None and replacing in self.conversation.exchanges:
            self.conversation.exchanges.remove(replacing)
            replacing.state = REPLACED
        if self.conversation.add(exchange):
            usage = exchange.usage
            self.context_tokens = context_tokens or usage.total_input_tokens + usage.output_tokens

    def undo(self) -> Exchange | None:
        exchange = self.conversation.pop()
        if exchange is not None:
            exchange.state = UNDONE
            self.store.set_state(self.meta.id, [exchange.seq], UNDONE)
            self.context_tokens = None
        return exchange

    def apply_compaction(self, summary: str, folded: list[Exchange], call: Exchange) -> None:
        """Replace ``folded`` (the oldest exchanges) by ``summary`` in the system prompt; book the call."""
        self.meta.summary = summary
        call.kind, call.state = "compact", SUMMARY
        for exchange in folded:
            exchange.state = COMPACTED
            self.conversation.exchanges.remove(exchange)
        shown = self._name_shown(slug(self.app_ctx.scrub(folded[0].prompt_text)))
        self.store.compact(self.meta, [exchange.seq for exchange in folded], call)
        self._written(shown)
        self.totals.add(call)
        self.context_tokens = None

    def book_failed_side_call(self, call: Exchange) -> None:
        """A /compact call that failed still cost money: keep it in the session's totals."""
        call.kind, call.state = "compact", SUMMARY
        if self.persisted:
            shown = self.meta.name
            self.store.record(self.meta, call)
            self._written(shown)
        self.totals.add(call)

    # -- settings ------------------------------------------------------------------------------------

    def save_settings(self) -> None:
        """Persist a changed model / system prompt / thinking (only once the session exists)."""
        self.context_tokens = None
        if self.persisted:
            shown = self.meta.name
            self.store.save_meta(self.meta)
            self._written(shown)

    def rename(self, name: str) -> None:
        """/save NAME: the user's choice, so a name another session holds is refused, not numbered."""
        name = name.strip()
        if not name:
            raise UsageError("/save needs a name")
        check_session_name(self.app_ctx, name)
        previous = self.meta.name
        self.meta.name = name
        try:
            self.store.save_meta(self.meta, exclusive_name=True)
        except BaseException:
            self.meta.name = previous
            raise
        self.name_fixed = True
        self.persisted = True

    def _name_shown(self, automatic: str) -> str | None:
        """Before a write: the name the user knows this session by, or None (a new, unnamed chat, which is
        named ``automatic`` from its first prompt now)."""
        if self.persisted or self.name_fixed:
            return self.meta.name
        self.meta.name = automatic
        return None

    def _written(self, shown: str | None) -> None:
        """After a write: the session exists. If another session (another terminal) took the name the user
        knows this one by, the store numbered it (``work-2``): say so, since --session/resume use it."""
        self.persisted = True
        if shown is not None and self.meta.name != shown:
            self.app_ctx.warn(
                f"another session is already named '{shown}' (another terminal?); "
                f"this one is saved as '{self.meta.name}'"
            )

    def start_over(self) -> None:
        """/clear: a new, empty session with the same model, system prompt and thinking."""
        meta = self.meta
        self.meta = SessionMeta(
            id=new_session_id(),
            name=NEW_CHAT_LABEL,
            model=meta.model,
            system=meta.system,
            thinking=meta.thinking,
            profile=meta.profile,
        )
        self.persisted = self.name_fixed = False
        self.conversation = Conversation()
        self.totals = SessionTotals()
        self.attachments.clear()
        self.context_tokens = None

    def switch_to(self, meta: SessionMeta) -> None:
        """/resume: load another stored session."""
        self.meta = meta
        self.persisted = self.name_fixed = True
        self.conversation = Conversation(self.store.exchanges(meta.id))
        self.totals = self.store.totals(meta.id)
        self.attachments.clear()
        self.context_tokens = None
        self.fit_thinking()
