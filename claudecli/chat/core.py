"""Start-up of ``claudecli chat``: check the terminal and the options, open the right session, run the REPL.

Everything given on the command line is validated before the REPL starts (a bad ``-s @file``, ``-a`` or
``--thinking`` is a usage error, exit 2, as with ``ask``). Which session opens:

* ``-c/--continue``: the most recently used session of this profile (a new one, with a note, if none);
* ``--session NAME``: that session if it exists (by name or id), otherwise a new one with that name;
* neither: a new session, named from its first prompt when the first answer arrives.

On a resumed session ``-m``, ``-s`` and ``--thinking`` replace the stored settings from then on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

from claudecli.call.attachments import FileRefs, attachment_block
from claudecli.call.fallback import resolve_fallback
from claudecli.call.prompt_input import read_text_option
from claudecli.catalog.lookup import resolve_model
from claudecli.chat import repl
from claudecli.chat.approval import chat_ask_person
from claudecli.chat.display import (
    SESSION_COLUMNS,
    listing_document,
    session_rows,
    show_resumed,
)
from claudecli.chat.session_store import SessionStore
from claudecli.chat.state import Attachment, ChatState, check_thinking
from claudecli.chat.tooling import open_tools
from claudecli.core.controls import visible
from claudecli.core.errors import UsageError
from claudecli.render.emit import emit, items_document
from claudecli.render.table import print_table
from claudecli.tools.options import ToolOptions

if TYPE_CHECKING:
    from claudecli.core.context import AppContext


@dataclass
class ChatOptions:
    model: str | None = None
    system: str | None = None
    attach: list[str] = field(default_factory=list)
    thinking: str | None = None
    session: str | None = None
    resume_latest: bool = False
    upload: bool = False
    tools: ToolOptions = field(default_factory=ToolOptions)


class _DisplayHold:
    """Before an approval question: clear the way on screen (the chat it acts on exists only later)."""

    def __init__(self) -> None:
        self.chat: ChatState | None = None

    def __call__(self) -> None:
        if self.chat is not None and self.chat.display_hold is not None:
            self.chat.display_hold()


def run(app_ctx: AppContext, options: ChatOptions, *, until_prompt: Callable[[], None] | None = None) -> int:
    """Open the chat and run the REPL until the user leaves; returns the exit code. ``until_prompt`` gives back
    the echo hold taken while the chat loads (see ``cli.chat_cmd``), just before the first prompt."""
    if not app_ctx.stdin_is_tty():
        raise UsageError(
            "chat needs a terminal, but stdin is not one",
            hint='for pipes and scripts use claudecli ask (e.g. echo "..." | claudecli ask)',
        )
    if options.session is not None and options.resume_latest:
        raise UsageError("-c/--continue and --session cannot be used together")
    if options.session is not None and not options.session.strip():
        raise UsageError("--session needs a name")
    system, attachments = _read_inputs(app_ctx, options)
    hold = _DisplayHold()
    tools = open_tools(app_ctx, options.tools, chat_ask_person(app_ctx, before=hold))  # bad flags: exit 2
    store = None
    try:
        store = SessionStore(
            app_ctx.settings.paths.sessions_file, scrub=app_ctx.scrub, notify=app_ctx.store_incident
        )
        chat, resumed = _open_chat(app_ctx, store, options, system)
        chat.attachments = attachments
        chat.fallback_model = resolve_fallback(app_ctx)
        chat.tools = tools
        hold.chat = chat
        _greet(chat, resumed)

        return repl.run(chat, until_prompt=until_prompt)
    finally:
        tools.close()
        if store is not None:
            store.close()


def _read_inputs(app_ctx: AppContext, options: ChatOptions) -> tuple[str | None, list[Attachment]]:

    system = read_text_option(options.system, "-s/--system") if options.system is not None else None
    check_thinking(options.thinking, app_ctx.settings.max_tokens)
    files = FileRefs(app_ctx, upload=options.upload)
    attachments = [Attachment(spec, attachment_block(spec, files)) for spec in options.attach]
    return system, attachments


def _open_chat(
    app_ctx: AppContext, store: SessionStore, options: ChatOptions, system: str | None
) -> tuple[ChatState, bool]:

    meta = None
    if options.resume_latest:
        meta = store.latest(app_ctx.settings.profile)
        if meta is None:
            app_ctx.note("no earlier chat to continue; starting a new one")
    elif options.session is not None:
        meta = store.find(options.session.strip())
    if meta is None:
        chat = ChatState.fresh(
            app_ctx,
            store,
            model=resolve_model(app_ctx, options.model or app_ctx.settings.model),
            system=system if options.system is not None else app_ctx.settings.system,
            thinking=None if options.thinking == "off" else options.thinking,
            name=options.session.strip() if options.session is not None else None,
        )
        return chat, False
    meta.model = resolve_model(app_ctx, options.model or meta.model)
    if options.system is not None:
        meta.system = system
    if options.thinking is not None:
        meta.thinking = None if options.thinking == "off" else options.thinking
    chat = ChatState(app_ctx, store, meta, persisted=True)
    chat.fit_thinking()
    chat.save_settings()
    return chat, True


def _greet(chat: ChatState, resumed: bool) -> None:

    if resumed:
        show_resumed(chat)
    elif not chat.app_ctx.quiet:
        named = f" · new session '{chat.label}'" if chat.name_fixed else ""
        chat.app_ctx.stderr.print(
            Text(
                f"claudecli chat · {chat.meta.model}{named} · /help lists commands · Ctrl-D leaves",
                style="dim",
            )
        )
    if chat.tools.any and not chat.app_ctx.quiet:
        names = ", ".join(name for name, _source, _approval in chat.tools.rows())
        chat.app_ctx.stderr.print(Text(f"tools: {names} (/tools shows how each is approved)", style="dim"))
    if chat.attachments:
        names = ", ".join(visible(attachment.label) for attachment in chat.attachments)  # a name's ESC or RLO
        chat.app_ctx.stderr.print(Text(f"your first message carries: {names}", style="dim"))


def list_sessions(app_ctx: AppContext, *, as_json: bool) -> int:
    """``chat --list``: the sessions on stdout (a table, or ``{"items": [...]}`` with ``--json``)."""

    path = app_ctx.settings.paths.sessions_file
    listings = []
    if path.exists():
        with SessionStore(path, scrub=app_ctx.scrub, notify=app_ctx.store_incident) as store:
            listings = store.list_sessions()
    if as_json:
        emit(app_ctx, items_document(listing_document(listing) for listing in listings))
        return 0
    if not listings:
        app_ctx.note("no chat sessions yet (claudecli chat starts one)")
        return 0
    print_table(app_ctx, SESSION_COLUMNS, session_rows(listings))
    return 0
