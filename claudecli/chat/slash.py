"""Slash commands: a table of name → handler. Handlers print on stderr and may put text back on the line.

Every handler may raise a ``ClaudeCliError`` (a bad path, an unknown model, a taken name): the REPL prints
its one line and returns to the prompt. An unknown command gets a hint, never a traceback.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from claudecli.call.attachments import FileRefs, attachment_block
from claudecli.call.prompt_input import read_text_option
from claudecli.catalog.lookup import resolve_listed_model
from claudecli.chat.clipboard import SAFE_PAYLOAD_BYTES, copy_to_terminal, copy_with_tool
from claudecli.chat.compact import compact
from claudecli.chat.display import SESSION_COLUMNS, print_cost, session_rows, show_resumed
from claudecli.chat.editor import edit_text
from claudecli.chat.export import export
from claudecli.chat.state import Attachment, ChatState, check_thinking
from claudecli.chat.tooling import ENABLE_HINT
from claudecli.chat.turn import run_turn
from claudecli.core.controls import is_tty, visible
from claudecli.core.errors import NotFoundError, UsageError
from claudecli.render.table import Column, dropped_note, write_table

TOOL_COLUMNS = (Column("tool"), Column("source"), Column("approval"))
MCP_COLUMNS = (
    Column("tool"),
    Column("server's name", drop_order=2, truncate_to=16),
    Column("approval"),
    Column("description", drop_order=1, truncate_to=20),
)


@dataclass
class Reply:
    exit: bool = False
    restore: str | None = None  # text for the next input line


@dataclass(frozen=True)
class Command:
    handler: Callable[[ChatState, str], Reply | None]
    usage: str
    summary: str


def _say(chat: ChatState, message: str, style: str = "") -> None:
    chat.app_ctx.stderr.print(Text(visible(message), style=style))  # it may quote what the user typed


def _help(chat: ChatState, _arg: str) -> None:
    width = max(len(command.usage) for command in COMMANDS.values())
    lines = [f"  {command.usage.ljust(width)}  {command.summary}" for command in COMMANDS.values()]
    keys = (
        "Enter sends · Alt-Enter or Esc Enter: new line · Ctrl-X Ctrl-E: edit in $EDITOR · Tab completes · "
        "Ctrl-C cancels an answer or clears the line · Ctrl-D exits · //text sends a message starting with /"
    )
    _say(chat, "\n".join(["commands:", *lines, keys]))


def _model(chat: ChatState, arg: str) -> None:
    if not arg:
        _say(chat, f"model: {chat.meta.model}")
        return

    chat.meta.model = resolve_listed_model(chat.app_ctx, arg)  # a typo is refused now, not at the next turn
    chat.save_settings()
    _say(chat, f"model: {chat.meta.model}")


def _system(chat: ChatState, arg: str) -> None:
    if not arg:
        _say(chat, f"system prompt: {chat.meta.system!r}" if chat.meta.system else "no system prompt")
        return

    chat.meta.system = None if arg == "off" else read_text_option(arg, "/system")
    chat.save_settings()
    _say(chat, "system prompt set" if chat.meta.system else "system prompt removed")


def _thinking(chat: ChatState, arg: str) -> None:
    if not arg:
        _say(chat, f"thinking: {chat.meta.thinking or 'off'}")
        return

    check_thinking(arg, chat.max_tokens)  # adaptive, off, or a budget below max_tokens
    chat.meta.thinking = None if arg == "off" else arg
    chat.save_settings()
    _say(chat, f"thinking: {chat.meta.thinking or 'off'}")


def _attach(chat: ChatState, arg: str) -> None:
    if arg == "--clear":
        chat.attachments.clear()
        _say(chat, "no attachments pending")
        return
    if arg == "--upload":
        raise UsageError("/attach --upload needs a path")
    upload = arg.startswith("--upload ")
    if upload:
        arg = arg[len("--upload ") :].strip()
    if arg:
        block = attachment_block(arg, FileRefs(chat.app_ctx, upload=upload))
        chat.attachments.append(Attachment(arg, block))
    if not chat.attachments:
        _say(chat, "no attachments pending (/attach PATH adds one to your next message)")
        return
    names = ", ".join(visible(attachment.label) for attachment in chat.attachments)  # as typed: untrusted
    _say(chat, f"your next message carries: {names}")


def _retry(chat: ChatState, _arg: str) -> Reply | None:
    last = chat.conversation.last()
    if last is None:
        _say(chat, "nothing to retry yet")
        return None

    run_turn(chat, last.prompt_text, replacing=last)
    return None


def _undo(chat: ChatState, _arg: str) -> None:
    exchange = chat.undo()
    if exchange is None:
        _say(chat, "nothing to undo")
        return
    prompt = " ".join(exchange.prompt_text.split())
    _say(chat, f"removed the last exchange ({prompt[:60]}{'…' if len(prompt) > 60 else ''})")


def _clear(chat: ChatState, _arg: str) -> None:
    previous = chat.label if chat.persisted else None
    chat.start_over()
    saved = f"; the previous one is saved: /resume {previous}" if previous else ""
    _say(chat, f"new conversation{saved}")


def _save(chat: ChatState, arg: str) -> None:
    chat.rename(arg)
    _say(chat, f"saved as '{chat.label}' (claudecli chat --session {chat.label} resumes it)")


def _resume(chat: ChatState, arg: str) -> None:
    if not arg:
        _sessions(chat, "")
        return
    meta = chat.store.find(arg)
    if meta is None:
        raise NotFoundError(f"no session named or with id '{arg}'", hint="/sessions lists them")

    chat.switch_to(meta)
    show_resumed(chat)


def _sessions(chat: ChatState, _arg: str) -> None:

    listings = chat.store.list_sessions(limit=20)
    if not listings:
        _say(chat, "no saved sessions yet")
        return
    stderr = chat.app_ctx.stderr
    layout = write_table(stderr, SESSION_COLUMNS, session_rows(listings), styled=stderr.is_terminal)
    if layout.dropped:
        _say(chat, dropped_note(layout), "dim")


def _cost(chat: ChatState, _arg: str) -> None:

    print_cost(chat, chat.app_ctx.stderr)


def _tools(chat: ChatState, _arg: str) -> None:
    rows = chat.tools.rows()
    if not rows:
        _say(chat, f"no tools are enabled in this chat; {ENABLE_HINT}")
        return
    stderr = chat.app_ctx.stderr
    write_table(stderr, TOOL_COLUMNS, [list(row) for row in rows], styled=stderr.is_terminal)
    steps = chat.tools.max_steps
    _say(chat, f"at most {steps} step{'s' * (steps != 1)} per answer (--max-steps)", "dim")


def _mcp(chat: ChatState, _arg: str) -> None:
    from claudecli.chat.mcp_view import NONE_CONFIGURED, server_lines, tool_rows

    configured = chat.app_ctx.settings.mcp
    if not configured:
        _say(chat, NONE_CONFIGURED)
        return
    sources = chat.tools.toolbox.sources() if chat.tools.toolbox is not None else []
    _say(chat, "\n".join(server_lines(configured, sources)))
    rows = tool_rows(sources)
    if rows:
        stderr = chat.app_ctx.stderr
        write_table(stderr, MCP_COLUMNS, rows, styled=stderr.is_terminal)


def _compact(chat: ChatState, _arg: str) -> None:

    compact(chat)


def _export(chat: ChatState, arg: str) -> None:

    path = export(chat, arg)
    _say(chat, f"wrote {path}")


def _copy(chat: ChatState, _arg: str) -> None:
    last = chat.conversation.last()
    if last is None or not last.has_answer:  # a tool loop cut off before it answered has no text to copy
        _say(chat, "no answer to copy yet")
        return

    console = chat.app_ctx.stderr if is_tty(chat.app_ctx.stderr.file) else chat.app_ctx.stdout
    if not is_tty(console.file):
        raise UsageError("/copy needs a terminal (it asks the terminal to set the clipboard)")
    size = copy_to_terminal(chat.app_ctx.scrub(last.answer), console.file, os.environ)
    what = f"the last answer ({len(last.answer):,} characters)"
    where = copy_with_tool(chat.app_ctx.scrub(last.answer), os.environ)
    if where is not None:  # a tool took it: that much is certain
        _say(chat, f"copied {what} to {where}")
        return
    # OSC 52 is a request nobody acknowledges: say what was done, not what may have happened.
    tmux = (
        " (inside tmux it gets through only with `set -g allow-passthrough on`)"
        if os.environ.get("TMUX")
        else ""
    )
    _say(chat, f"sent {what} to the terminal's clipboard with OSC 52; your terminal may ignore it{tmux}")
    if size > SAFE_PAYLOAD_BYTES:
        chat.app_ctx.warn("that is a large copy; some terminals ignore clipboard requests this big")


def _edit(chat: ChatState, arg: str) -> Reply:

    return Reply(restore=edit_text(arg))


def _exit(_chat: ChatState, _arg: str) -> Reply:
    return Reply(exit=True)


COMMANDS: dict[str, Command] = {
    "/help": Command(_help, "/help", "this list"),
    "/model": Command(_model, "/model NAME", "switch model (id or alias)"),
    "/system": Command(_system, "/system TEXT|@FILE|off", "set the system prompt"),
    "/thinking": Command(_thinking, "/thinking adaptive|off|N", "extended thinking"),
    "/attach": Command(
        _attach,
        "/attach [--upload] PATH",
        "attach a file, URL or file:ID to your next message (--upload: through the Files API)",
    ),
    "/retry": Command(_retry, "/retry", "regenerate the last answer"),
    "/undo": Command(_undo, "/undo", "drop the last exchange"),
    "/clear": Command(_clear, "/clear", "start a new conversation"),
    "/save": Command(_save, "/save NAME", "name this session"),
    "/resume": Command(_resume, "/resume NAME|ID", "switch to a saved session"),
    "/sessions": Command(_sessions, "/sessions", "list saved sessions"),
    "/cost": Command(_cost, "/cost", "tokens, cost and cache savings of this session"),
    "/tools": Command(_tools, "/tools", "the tools Claude may use in this chat"),
    "/mcp": Command(_mcp, "/mcp", "the MCP servers configured, and the tools of those enabled"),
    "/compact": Command(_compact, "/compact", "summarise older turns to free context"),
    "/export": Command(_export, "/export PATH.md", "write the conversation as Markdown"),
    "/copy": Command(_copy, "/copy", "copy the last answer (OSC 52, and a clipboard tool if any)"),
    "/edit": Command(_edit, "/edit", "compose a message in $EDITOR"),
    "/exit": Command(_exit, "/exit", "leave (or Ctrl-D)"),
}
ALIASES = {"/quit": "/exit", "/q": "/exit", "/?": "/help"}


def is_command(line: str) -> bool:
    """A line starting with one ``/`` is a command; ``//`` escapes a message that starts with ``/``."""
    return line.startswith("/") and not line.startswith("//")


def dispatch(chat: ChatState, line: str) -> Reply:
    name, _, arg = line.strip().partition(" ")
    name = ALIASES.get(name.lower(), name.lower())
    command = COMMANDS.get(name)
    if command is None:
        close = difflib.get_close_matches(name, [*COMMANDS, *ALIASES], n=1, cutoff=0.6)
        maybe = f" (did you mean {close[0]}?)" if close else ""
        _say(chat, f"unknown command {name}{maybe}; /help lists the commands", "yellow")
        return Reply()
    return command.handler(chat, arg.strip()) or Reply()
