"""Tool approval in chat: the person is at the terminal, and prompt-toolkit owns it.

The question is asked with a one-key prompt-toolkit prompt (the REPL's own prompt is not running during a
turn, so nothing competes for the keys; keys typed before the question appeared are discarded): ``y`` runs the call, ``n`` declines it (the model gets "declined by the
user"), ``a`` runs it and every later call of that tool in this chat, ``e`` opens the arguments as JSON in
``$VISUAL``/``$EDITOR`` and runs the call with what was saved. Ctrl-D is ``n``; Ctrl-C declines and stops the
turn, like Ctrl-C anywhere in a turn. Other keys (a paste, Enter) are ignored: a stray key must not approve.

The tool's name and arguments are shown through :mod:`claudecli.tools.prompt_view` (as ``ask`` shows them):
escapes and control characters shown escaped, so the model's arguments cannot redraw the question; padding
collapsed; long values cut to their start and end with a note; the whole bounded to the screen, with the tool's
name repeated right above the question when the arguments are long (``e`` shows them whole, in the editor).
Every known secret is masked in the question, in the editor and in the edited line, through the program's scrub
(:mod:`claudecli.tools.masked_args`, as in ``ask``); what the tool receives is unchanged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.chat.editor import edit_text
from claudecli.core.controls import is_tty
from claudecli.core.errors import UsageError
from claudecli.render.terminal import ignore_mouse_reports
from claudecli.tools.approval import AskPerson, PersonAnswer
from claudecli.tools.masked_args import Scrub, masked_arguments
from claudecli.tools.prompt_view import CHOICES, arguments_view, footer, one_line, screen_budget
from claudecli.tools.sanitize import strip_escapes
from claudecli.tools.terminal import discard_typed_ahead

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.tools.base import Tool, ToolCall

SEE_ALL = "[e] opens all of it in your editor"


def question(tool: Tool, call: ToolCall, scrub: Scrub, size: tuple[int, int] = (80, 24)) -> Text:
    """Who wants what, with which arguments (secrets masked by ``scrub``), for a ``size`` = (columns, lines)
    screen (see the module doc)."""
    width, max_rows = screen_budget(*size)
    shown = masked_arguments(call.input, scrub)
    view = arguments_view(shown, width=width, max_rows=max_rows, schema=tool.input_schema)
    source = f" ({one_line(tool.source, 32)})" if tool.source else ""
    name = one_line(tool.name, 64)
    header = f"Claude wants to run {name}{source}, {tool.approval.value} approval, with:"
    text = Text.assemble((header, "bold yellow"), "\n", "\n".join(view.rows))
    if view.needs_footer:
        text.append("\n" + footer(name + source, view, SEE_ALL), style="bold yellow")
    return text


def read_choice(message: str) -> str:
    """One key of y/n/a/e (Ctrl-D: n); Ctrl-C raises KeyboardInterrupt."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.input.typeahead import clear_typeahead
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    from prompt_toolkit.output.defaults import create_output

    bindings = KeyBindings()

    @bindings.add("<any>")  # registered first: the keys below win over it
    def _ignore(event: KeyPressEvent) -> None:
        return None

    def choose(event: KeyPressEvent, choice: str) -> None:
        event.current_buffer.text = choice  # left after the question in the scrollback: what was answered
        event.app.exit(result=choice)

    for key in "ynae":
        for typed in (key, key.upper()):
            bindings.add(typed)(lambda event, choice=key: choose(event, choice))

    @bindings.add("c-d")
    def _no(event: KeyPressEvent) -> None:
        choose(event, "n")

    @bindings.add("c-c")
    @bindings.add("<sigint>")
    def _stop(event: KeyPressEvent) -> None:
        event.app.exit(exception=KeyboardInterrupt())

    ignore_mouse_reports(bindings)
    session: PromptSession[str] = PromptSession(
        key_bindings=bindings, output=create_output(always_prefer_tty=True)
    )
    if is_tty(sys.stdin):  # keys typed while the answer streamed must not answer a question not yet seen
        discard_typed_ahead(sys.stdin.fileno())
    clear_typeahead(session.input)  # keys prompt-toolkit itself read past the last prompt's Enter ("do x\ny")
    return session.prompt(message)


def edit_arguments(app_ctx: AppContext, call: ToolCall) -> dict[str, Any] | None:
    """The arguments as edited in $EDITOR (shown there with secrets masked; what is saved runs as saved, a value
    left masked included); None (and a line saying why) to go back to the question."""
    shown = masked_arguments(call.input, app_ctx.scrub)
    try:
        text = edit_text(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
    except UsageError as exc:
        app_ctx.warn(exc.one_line())
        return None
    if not text.strip():
        app_ctx.warn("the arguments were emptied; back to the question")
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        app_ctx.warn(f"not valid JSON ({exc}); back to the question")
        return None
    if not isinstance(value, dict):
        app_ctx.warn("the arguments must be a JSON object {...}; back to the question")
        return None
    return value  # as saved: a value left masked is sent masked (see tools.masked_args)


def _masked_json(arguments: dict[str, Any], scrub: Scrub) -> str:
    return json.dumps(masked_arguments(arguments, scrub), ensure_ascii=False)


def chat_ask_person(app_ctx: AppContext, before: Callable[[], None] | None = None) -> AskPerson:
    """The ``ask_person`` of a chat (see the module doc); ``before`` clears the screen's way (the spinner)."""

    def ask(tool: Tool, call: ToolCall) -> PersonAnswer:
        if before is not None:
            before()
        size = app_ctx.stderr.size
        shown = question(tool, call, app_ctx.scrub, (size.width, size.height))
        app_ctx.stderr.print(shown, soft_wrap=True, highlight=False)
        while True:
            choice = read_choice(f"Run it? {CHOICES}: ")
            if choice in ("y", "n", "a"):
                return PersonAnswer(choice)
            edited = edit_arguments(app_ctx, call)
            if edited is not None:
                app_ctx.stderr.print(
                    Text("  with " + strip_escapes(_masked_json(edited, app_ctx.scrub)), style="dim"),
                    soft_wrap=True,
                    highlight=False,
                )
                return PersonAnswer("e", edited)

    return ask
