"""``ask -c`` and ``ask --session NAME``: a one-shot ask that continues a stored conversation.

The conversation lives in the chat's session store, so ``chat --session NAME`` picks it up interactively and
``chat --list`` shows it; only such asks are stored (a plain ``ask`` keeps no prompt text). One call at a time per
conversation: a lock named after the session is held from reading its history until the exchange is recorded,
so two concurrent asks never fork it (the second waits, or with ``--no-wait`` fails at once). A name the user
gave is never changed: under the lock, a second ask finds the session the first created and continues it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from claudecli.call.outcome import CallOutcome
from claudecli.chat.conversation import Exchange
from claudecli.chat.loop_record import loop_exchange
from claudecli.chat.session_store import SessionStore
from claudecli.chat.state import ChatState
from claudecli.core.errors import ClaudeCliError, ExitCode, UsageError
from claudecli.core.fsutil import ensure_private_dir
from claudecli.core.locks import LockBusy, file_lock

if TYPE_CHECKING:
    from claudecli.call.tool_loop import LoopFailed, LoopOutcome
    from claudecli.core.context import AppContext

LOCK_DIR = "session-locks"


class SessionBusy(ClaudeCliError):
    """``--no-wait``: another ask is using the conversation right now."""

    exit_code = ExitCode.USAGE
    default_error_type = "session_busy"


@dataclass(frozen=True)
class SessionChoice:
    name: str | None = None  # --session NAME: continue it, or start it under that name
    latest: bool = False  # -c/--continue: the most recent conversation of this profile (an ask or a chat)
    wait: bool = True  # --no-wait: fail instead of waiting for another ask of the same conversation

    @property
    def wanted(self) -> bool:
        return self.name is not None or self.latest


@contextlib.contextmanager
def open_conversation(app_ctx: AppContext, choice: SessionChoice) -> Iterator[ChatState | None]:
    """The conversation to continue (None when none was asked for), locked for the whole call."""
    if not choice.wanted:
        yield None
        return
    if choice.name is not None and not choice.name.strip():
        raise UsageError("--session needs a name")
    if choice.name is not None and choice.latest:
        raise UsageError("-c/--continue and --session each choose the conversation: give one of them")
    settings = app_ctx.settings
    store = SessionStore(settings.paths.sessions_file, scrub=app_ctx.scrub, notify=app_ctx.store_incident)
    with contextlib.closing(store):
        key = choice.name.strip() if choice.name is not None else _latest_name(store, settings.profile)
        with _locked(app_ctx, key, choice.wait):
            yield _conversation(app_ctx, store, choice)


def _latest_name(store: SessionStore, profile: str | None) -> str:
    meta = store.latest(profile)
    return meta.name if meta is not None else f"\0new:{profile}"


@contextlib.contextmanager
def _locked(app_ctx: AppContext, key: str, wait: bool) -> Iterator[None]:
    locks = ensure_private_dir(app_ctx.settings.paths.data_dir / LOCK_DIR)
    digest = hashlib.sha256(f"{app_ctx.settings.profile}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()
    try:
        with file_lock(locks / f"{digest[:32]}.lock", wait=None if wait else 0):
            yield
    except LockBusy:
        raise SessionBusy(
            "another ask is continuing this conversation right now", hint="wait for it, or drop --no-wait"
        ) from None


def _conversation(app_ctx: AppContext, store: SessionStore, choice: SessionChoice) -> ChatState:
    """Under the lock: the stored session (read now, so another ask's exchange is in it), or a new one."""
    settings = app_ctx.settings
    meta = store.latest(settings.profile) if choice.latest else store.find((choice.name or "").strip())
    if meta is not None:
        return ChatState(app_ctx, store, meta, persisted=True)
    if choice.latest:
        app_ctx.note("no earlier conversation to continue; starting a new one")
    return ChatState.fresh(
        app_ctx,
        store,
        model=settings.model,
        system=settings.system,
        thinking=None,
        name=choice.name.strip() if choice.name is not None else None,
    )


def continue_with(
    chat: ChatState, *, model: str, system: str | None, model_given: bool, system_given: bool
) -> tuple[str, str | None]:
    """The model and system prompt of this ask: a continued conversation keeps its own unless this command line
    sets one (a flag or a role), which then becomes the conversation's, as in ``chat --session``."""
    meta = chat.meta
    if chat.persisted and not model_given:
        model = meta.model
    if chat.persisted and not system_given:
        system = meta.system
    meta.model, meta.system = model, system
    chat.save_settings()
    return model, system


def explicit(source: str | None) -> bool:
    """Set on this command line (a flag or a role), not by a default or a config file."""
    return source is not None and (source.startswith("--") or source.startswith("role "))


def history_messages(
    chat: ChatState, content: Any, *, cache: bool, ttl: str, tool_names: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The request's messages: the conversation so far, then ``content``, with the moving cache breakpoint.
    Earlier tool steps go block for block when this ask offers their tools (``tool_names``), else as text."""
    return chat.conversation.messages(content, cache=cache, ttl=ttl, tool_names=tool_names)


def record_exchange(chat: ChatState, prompt_text: str, content: Any, outcome: CallOutcome) -> None:
    """Keep the call in the conversation (a partial answer too, marked as chat marks it)."""
    if outcome.fallback_from is not None:  # the overloaded first call: no answer, but in the session's cost
        chat.record(Exchange.from_outcome(prompt_text, content, outcome.fallback_from))
    chat.record(Exchange.from_outcome(prompt_text, content, outcome))


def record_loop(
    chat: ChatState, prompt_text: str, content: Any, loop: LoopOutcome, failure: LoopFailed | None
) -> None:
    """Keep a tool loop in the conversation as chat keeps it: its steps, every step's cost (see
    ``claudecli.chat.loop_record``)."""
    if not loop.steps:
        return
    for step in loop.steps:
        if step.outcome.fallback_from is not None:
            chat.record(Exchange.from_outcome(prompt_text, content, step.outcome.fallback_from))
    chat.record(loop_exchange(prompt_text, content, loop, failure))
