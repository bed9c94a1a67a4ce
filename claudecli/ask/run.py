"""The core of ``claudecli ask``: one prompt in, one answer out, exact about stdout and honest about cost."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.ask.loop_run import run_loop
from claudecli.ask.prepare import AskOptions, prepare
from claudecli.ask.session import open_conversation, record_exchange, record_loop
from claudecli.call.outcome import CallOutcome
from claudecli.call.stream import CallFailed, CallSpec, stream_message
from claudecli.call.tool_setup import max_steps, toolbox_for
from claudecli.chat.conversation import strip_cache_control
from claudecli.core.context import OutputMode
from claudecli.core.errors import ExitCode, StdoutFailed
from claudecli.render.emit import emit
from claudecli.render.stream import make_sink
from claudecli.render.summary import Waiting, print_summary
from claudecli.render.visible import for_stream

if TYPE_CHECKING:
    from collections.abc import Callable

    from claudecli.call.tool_loop import LoopFailed, LoopOutcome
    from claudecli.chat.state import ChatState
    from claudecli.core.context import AppContext
    from claudecli.render.stream import AnswerSink
    from claudecli.tools.box import Toolbox


class CollectSink:
    """For --json: nothing is streamed to stdout; the text is kept for the JSON document."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def feed(self, text: str) -> None:
        self.parts.append(text)

    def finish(self) -> None:
        pass

    def abort(self, note: str | None = None) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.parts)


def outcome_document(
    outcome: CallOutcome, *, error: str | None = None, schema: bool = False
) -> dict[str, Any]:
    """The ``--json`` document (its shape is a contract: see README, "ask --json")."""
    document: dict[str, Any] = {
        "status": outcome.status,
        "text": outcome.text,
        "content": outcome.content,
        "model": outcome.model,
        "stop_reason": outcome.stop_reason,
        "usage": outcome.usage.as_dict(),
        "cost_usd": float(outcome.cost_usd) if outcome.cost_usd is not None else None,
        "latency_ms": outcome.latency_ms,
        "ttft_ms": outcome.ttft_ms,
        "request_id": outcome.request_id,
    }
    if outcome.thinking:
        document["thinking"] = outcome.thinking
    if outcome.fallback_from is not None:
        document["fallback_from"] = outcome.fallback_from.model
    if schema:
        try:
            document["data"] = json.loads(outcome.text)
        except (ValueError, RecursionError):  # not JSON, or JSON Python will not hold: the text still stands
            document["data"] = None
    if error is not None:
        document["error"] = error
    return document


def _make_sink(app_ctx: AppContext, *, structured: bool) -> AnswerSink | CollectSink:

    if app_ctx.mode is OutputMode.JSON:
        return CollectSink()
    return make_sink(app_ctx.stdout, markdown=app_ctx.markdown and not structured)


def _thinking_printer(app_ctx: AppContext, waiting: Waiting, enabled: bool) -> Any:
    if not enabled:
        return None

    def show(chunk: str) -> None:
        waiting.stop()
        # soft_wrap: the terminal wraps the flow; rich would wrap each chunk as if it began a line (and fold a
        # long key in it across two lines, past the masking, which matches it whole)
        app_ctx.stderr.print(
            Text(for_stream(chunk, app_ctx.stderr.file), style="dim"), end="", soft_wrap=True
        )

    return show


def run(app_ctx: AppContext, options: AskOptions) -> int:
    """Send the prompt, stream the answer to stdout, print the summary on stderr; return the exit code."""

    toolbox = toolbox_for(app_ctx, options.tools)
    try:
        with open_conversation(app_ctx, options.session) as chat:
            return _run(app_ctx, options, chat, toolbox)
    finally:
        if toolbox is not None:
            toolbox.close()


def _run(app_ctx: AppContext, options: AskOptions, chat: ChatState | None, toolbox: Toolbox | None) -> int:
    spec = prepare(app_ctx, options, toolbox, chat)
    sink = _make_sink(app_ctx, structured=options.schema is not None)
    spinner_wanted = app_ctx.mode is not OutputMode.JSON and not app_ctx.quiet and app_ctx.stderr.is_terminal
    waiting = Waiting(app_ctx, f"asking {spec.params['model']}…", spinner_wanted)
    try:
        return _answer(app_ctx, options, chat, toolbox, spec, sink, waiting)
    finally:
        waiting.stop()  # also when Ctrl-C lands before the call starts (while the SDK still loads)


def _answer(
    app_ctx: AppContext,
    options: AskOptions,
    chat: ChatState | None,
    toolbox: Toolbox | None,
    spec: CallSpec,
    sink: AnswerSink | CollectSink,
    waiting: Waiting,
) -> int:
    structured = options.schema is not None
    json_mode = app_ctx.mode is OutputMode.JSON
    printed_thinking = [False]
    show_thinking = _thinking_printer(app_ctx, waiting, options.show_thinking)

    def on_thinking(chunk: str) -> None:
        printed_thinking[0] = True
        show_thinking(chunk)

    def on_text(chunk: str) -> None:
        waiting.stop()
        if printed_thinking[0]:
            app_ctx.stderr.print()
            printed_thinking[0] = False
        sink.feed(chunk)

    if "tools" in spec.params:
        return run_loop(
            app_ctx,
            spec,
            toolbox,
            max_steps=max_steps(app_ctx, options.tools),
            sink=sink,
            stop_waiting=waiting.stop,
            on_thinking=on_thinking if show_thinking else None,
            document=partial(outcome_document, schema=structured),
            keep=_loop_keeper(chat, spec),
        )
    try:
        outcome = stream_message(
            app_ctx, spec, on_text=on_text, on_thinking=on_thinking if show_thinking else None
        )
    except CallFailed as failure:
        waiting.stop()
        _keep_in_conversation(chat, spec, failure.outcome)
        return _fail(app_ctx, sink, failure, structured=structured, chat=chat)
    _keep_in_conversation(chat, spec, outcome)
    waiting.stop()
    sink.finish()
    if json_mode:
        emit(app_ctx, _with_session(outcome_document(outcome, schema=structured), chat))
    print_summary(app_ctx.stderr, outcome, quiet=app_ctx.quiet)
    return ExitCode.OK


def _loop_keeper(
    chat: ChatState | None, spec: CallSpec
) -> Callable[[LoopOutcome, LoopFailed | None], None] | None:
    """How an ``ask --session`` keeps its tool loop in the conversation (None: no conversation)."""
    if chat is None:
        return None
    content = strip_cache_control(spec.params["messages"][-1]["content"])
    return lambda loop, failure: record_loop(chat, spec.prompt_text, content, loop, failure)


def _keep_in_conversation(chat: ChatState | None, spec: CallSpec, outcome: CallOutcome) -> None:
    if chat is not None:
        content = strip_cache_control(spec.params["messages"][-1]["content"])
        record_exchange(chat, spec.prompt_text, content, outcome)


def _with_session(document: dict[str, Any], chat: ChatState | None) -> dict[str, Any]:
    """``--json`` of an ask that continues a conversation names it (``session``: id and name)."""
    if chat is not None:
        document["session"] = {"id": chat.meta.id, "name": chat.meta.name}
    return document


def _fail(
    app_ctx: AppContext,
    sink: AnswerSink | CollectSink,
    failure: CallFailed,
    *,
    structured: bool,
    chat: ChatState | None = None,
) -> int:
    """Keep what was streamed, mark it, and let the error boundary print the one-line error."""

    interrupted = failure.interrupted
    note = "[interrupted]" if interrupted else "[answer incomplete]"
    outcome = failure.outcome
    sink.abort(note if app_ctx.markdown and outcome.text else None)  # no mark under no answer (404, 529)
    if app_ctx.mode is OutputMode.JSON:
        document = outcome_document(outcome, error=failure.error.one_line(), schema=structured)
        emit(app_ctx, _with_session(document, chat))
    elif outcome.text and not app_ctx.markdown and not isinstance(failure.error, StdoutFailed):
        app_ctx.stderr.print(Text(f"{note} the answer above is partial", style="yellow"))
    print_summary(app_ctx.stderr, outcome, quiet=app_ctx.quiet)
    raise failure.error
