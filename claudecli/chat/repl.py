"""The read-eval loop on prompt-toolkit: keys, history, completion, the bottom toolbar.

Keys: Enter sends; Alt-Enter / Esc Enter inserts a newline; a bracketed paste arrives whole (its newlines do
not send); Ctrl-X Ctrl-E edits the line in $EDITOR; Tab completes slash commands, model names, session names
and paths; Ctrl-C clears a non-empty line, and on an empty line twice in a row exits, like Ctrl-D. While an
answer streams, the terminal is back in normal mode, so Ctrl-C is a SIGINT that ``stream_message`` turns
into an interrupted (kept) answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from claudecli.catalog.lookup import FAMILIES, load_catalog
from claudecli.chat import slash
from claudecli.chat.turn import error_line, run_turn, unexpected_error
from claudecli.chat.warm import start_warmup
from claudecli.core.errors import ClaudeCliError, StdoutFailed, Terminated
from claudecli.core.fsutil import ensure_private_dir
from claudecli.core.interrupt import termination_requested
from claudecli.render.summary import format_usd
from claudecli.render.terminal import ignore_mouse_reports

if TYPE_CHECKING:  # prompt-toolkit is imported only when the REPL starts (never by --help or --list)
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    from claudecli.chat.state import ChatState

PROMPT = "› "
CONTINUATION = "… "
EXIT_HINT = "(Ctrl-C again or Ctrl-D to leave)"


def history_file(chat: ChatState) -> Path:
    """The input history of this profile: ``history/<profile>.txt``, private (it holds prompts)."""

    paths = chat.app_ctx.settings.paths
    path = paths.history_file(chat.app_ctx.settings.profile)
    ensure_private_dir(paths.history_dir)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
    return path


@dataclass(frozen=True)
class Wanted:
    """What Tab completes: ``word`` (the text before the cursor) from ``choices``, or as a path if None."""

    word: str
    choices: list[str] | None


class CompletionSource:
    """Tab completion without prompt-toolkit: slash commands, then their arguments (models, sessions, paths)."""

    def __init__(self, chat: ChatState) -> None:
        self.chat = chat
        self._models: list[str] | None = None

    def model_names(self) -> list[str]:
        if self._models is None:
            names = [*FAMILIES, *self.chat.app_ctx.settings.aliases]
            with contextlib.suppress(ClaudeCliError):  # completion never fails the prompt
                catalog = load_catalog(self.chat.app_ctx, quick=True)
                names += [model.id for model in catalog.models if model.lifecycle != "retired"]
            self._models = list(dict.fromkeys(names))
        return self._models

    def wanted(self, text: str) -> Wanted | None:
        if not slash.is_command(text) or "\n" in text:
            return None
        name, space, arg = text.partition(" ")
        if not space:
            return Wanted(name.lower(), [*slash.COMMANDS, *slash.ALIASES])
        choices = self._argument_choices(name.lower())
        if choices is None or (name.lower() == "/system" and arg.startswith("@")):
            return Wanted(arg[1:] if name.lower() == "/system" else arg, None)
        return Wanted(arg, choices)

    def _argument_choices(self, name: str) -> list[str] | None:
        """Fixed choices for a command's argument; None means complete a path."""
        if name == "/model":
            return self.model_names()
        if name == "/thinking":
            return ["adaptive", "off", "1024", "4096", "16000"]
        if name == "/resume":
            return [listing.meta.name for listing in self.chat.store.list_sessions(limit=50)]
        if name in ("/attach", "/export"):
            return None
        return []


def make_completer(chat: ChatState) -> Completer:
    """The prompt-toolkit completer over :class:`CompletionSource` (built only when the REPL starts)."""
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    source = CompletionSource(chat)
    paths = PathCompleter(expanduser=True)

    class ChatCompleter(Completer):
        def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
            wanted = source.wanted(document.text_before_cursor)
            if wanted is None:
                return
            if wanted.choices is None:
                yield from paths.get_completions(Document(wanted.word, len(wanted.word)), complete_event)
                return
            for choice in wanted.choices:
                if choice.startswith(wanted.word):
                    yield Completion(choice, start_position=-len(wanted.word))

    return ChatCompleter()


def toolbar_text(chat: ChatState) -> str:
    tokens = f"{chat.estimated_context_tokens():,}"
    window = chat.context_window()
    if window:
        tokens += f"/{window:,}"
    pending = f" · +{len(chat.attachments)} attached" if chat.attachments else ""
    thinking = f" · thinking {chat.meta.thinking}" if chat.meta.thinking else ""
    cost = format_usd(chat.totals.cost_usd)
    return f" {chat.meta.model} · {chat.label} · {tokens} tokens in context · {cost}{thinking}{pending} "


def safe_toolbar_text(chat: ChatState) -> str:
    """The toolbar is drawn inside prompt-toolkit, where an exception would end every prompt: never raise."""
    try:
        return toolbar_text(chat)
    except Exception:
        return f" {chat.meta.model} "


def _key_bindings() -> KeyBindings:
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _send(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    @bindings.add("c-c")
    @bindings.add("<sigint>")
    def _clear_or_leave(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
        else:
            event.app.exit(exception=KeyboardInterrupt())

    ignore_mouse_reports(bindings)
    return bindings


def _scrubbed_history(chat: ChatState) -> FileHistory:
    """The profile's input history file, with secrets masked in what is written to it."""
    from prompt_toolkit.history import FileHistory

    scrub = chat.app_ctx.scrub

    class ScrubbedHistory(FileHistory):
        def store_string(self, string: str) -> None:
            super().store_string(scrub(string))

    return ScrubbedHistory(str(history_file(chat)))


def make_session(chat: ChatState) -> PromptSession[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.output.defaults import create_output

    session: PromptSession[str] = PromptSession(
        history=_scrubbed_history(chat),
        auto_suggest=AutoSuggestFromHistory(),
        completer=make_completer(chat),
        complete_while_typing=False,
        multiline=True,
        prompt_continuation=CONTINUATION,
        key_bindings=_key_bindings(),
        enable_open_in_editor=True,
        vi_mode=bool(chat.app_ctx.settings.vi_mode),
        bottom_toolbar=lambda: safe_toolbar_text(chat),
        output=create_output(always_prefer_tty=True),
    )
    session.app.after_render += lambda app: start_warmup(chat)  # once the prompt is on the screen
    return session


def handle_line(chat: ChatState, line: str) -> slash.Reply:
    """One input: a slash command, or a message (``//`` sends a message that starts with ``/``)."""
    if slash.is_command(line):
        return slash.dispatch(chat, line)
    text = line[1:] if line.startswith("//") else line
    attachments, chat.attachments = chat.attachments, []
    try:
        result = run_turn(chat, text, attachments)
    except BaseException:
        chat.attachments = [*attachments, *chat.attachments]
        raise
    chat.attachments = [*result.restore_attachments, *chat.attachments]
    return slash.Reply(restore=result.restore_prompt)


class _SigintLatch:
    """SIGINT handler for the time between prompts: remember a Ctrl-C instead of raising anywhere.

    From one prompt's end to the next one's start (the exit hint being printed, prompt-toolkit setting up), Ctrl-C
    is still a signal; raised there, a KeyboardInterrupt would tear prompt-toolkit's set-up apart or escape the
    REPL (exit 130 instead of 0). Latched, it counts as a Ctrl-C at the prompt: before the prompt is shown, or,
    replayed, as soon as it runs.
    """

    def __init__(self) -> None:
        self.hit = False

    def __call__(self, signum: int, frame: object) -> None:
        self.hit = True

    def take(self) -> bool:
        hit, self.hit = self.hit, False
        return hit

    def replay(self) -> None:
        if self.take():
            from prompt_toolkit.application import get_app

            get_app().exit(exception=KeyboardInterrupt())


class _TerminationLatch:
    """SIGTERM/SIGHUP handler while a prompt is up: the prompt's own event loop ends it with ``Terminated``.

    Elsewhere the handler raises ``Terminated`` in whatever Python code runs next, and at the prompt that is too
    often code whose exceptions Python drops: prompt-toolkit's drawing lets a ``Document`` go every few
    microseconds, and its cache's weakref callback runs; an exception raised there (or in a ``__del__``, a
    collector callback) is printed as "ignored", and the SIGTERM was gone: the chat stayed at its prompt. Here
    the signal only raises a flag and asks the loop to end the prompt; :meth:`installed` raises the flag as
    ``Terminated`` once the prompt has returned (in case the loop had stopped meanwhile).
    """

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self, session: PromptSession[str]) -> None:
        self.session = session
        self.hit = False

    def __call__(self, signum: int, frame: object) -> None:
        self.hit = True
        loop = self.session.app.loop  # set only while the prompt runs
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # closed meanwhile: installed() raises the flag
                loop.call_soon_threadsafe(self.replay)

    def replay(self) -> bool:
        """In the prompt's loop: end the prompt with ``Terminated`` if the flag is up (True if it is)."""
        app = self.session.app
        if self.hit and app.future is not None and not app.future.done():
            app.exit(exception=Terminated())
        return self.hit

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Stand in for the Python handlers of SIGTERM/SIGHUP (a signal left to the system stays so)."""
        previous = {number: signal.getsignal(number) for number in self.SIGNALS}
        for number, handler in previous.items():
            if callable(handler):
                signal.signal(number, self)
        try:
            yield
        finally:
            for number, handler in previous.items():
                if callable(handler):
                    signal.signal(number, handler)
            if self.hit:
                raise Terminated


def read_line(session: PromptSession[str], default: str, latch: _SigintLatch) -> str:
    """One prompt (called with the latch installed); a Ctrl-C latched before it counts as one at the prompt.
    SIGTERM and SIGHUP end the prompt through a :class:`_TerminationLatch`; one whose exception was dropped
    during the turn before (``core.interrupt.request_termination``) ends the chat here instead."""
    if termination_requested():
        raise Terminated
    if latch.take():
        raise KeyboardInterrupt
    termination = _TerminationLatch(session)

    def pre_run() -> None:
        if not termination.replay():
            latch.replay()

    with termination.installed():
        return session.prompt(PROMPT, default=default, pre_run=pre_run)


def run(chat: ChatState, *, until_prompt: Callable[[], None] | None = None) -> int:
    """Read and answer until /exit, Ctrl-D or two Ctrl-C on an empty line; returns the exit code (0).
    ``until_prompt`` is called just before the first prompt (the chat's start-up echo hold, given back)."""
    session = make_session(chat)
    default = ""
    armed = False  # the previous key was Ctrl-C on an empty line
    latch = _SigintLatch()
    previous = signal.signal(signal.SIGINT, latch)
    if until_prompt is not None:
        until_prompt()
    try:
        while True:
            try:
                line = read_line(session, default, latch)
            except Terminated:  # SIGTERM/SIGHUP: leave (every finished turn is already stored)
                raise
            except KeyboardInterrupt:
                if armed:
                    break
                armed = True
                chat.app_ctx.stderr.print(Text(EXIT_HINT, style="dim"))
                continue
            except EOFError:
                break
            armed, default = False, ""
            if not line.strip():
                continue
            signal.signal(signal.SIGINT, previous)  # a turn or a command: Ctrl-C interrupts it
            try:
                reply = _evaluate(chat, line)
            finally:
                latch.hit = False
                signal.signal(signal.SIGINT, latch)
            if reply.exit:
                break
            default = reply.restore or ""
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def _evaluate(chat: ChatState, line: str) -> slash.Reply:
    try:
        return handle_line(chat, line)
    except (StdoutFailed, BrokenPipeError):
        raise  # the answers have nowhere to go: end as every command does (exit 2, 141)
    except ClaudeCliError as exc:
        error_line(chat, exc.one_line())
    except Terminated:
        raise
    except KeyboardInterrupt:  # Ctrl-C outside a stream (a slow command, the summary): back to the prompt
        chat.app_ctx.stderr.print(Text("interrupted", style="yellow"))
    except Exception as exc:  # a bug must not end the chat: every finished turn is already in the store
        unexpected_error(chat, exc, "the chat goes on")
    return slash.Reply()
