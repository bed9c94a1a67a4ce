"""What a turn shows while it runs: the spinner, each step's text through the answer renderer, tool lines.

A tool-using turn is several API calls (steps). Each step's text is rendered as it streams (the same renderer
as ``ask``); before a tool line, a search list or an approval question is printed, the text so far is finished
and the spinner stopped, so they never interleave. The final step's text is the answer; earlier steps' text is
what the model said on the way ("Let me look at the file.").
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from rich.text import Text

from claudecli.call.tool_loop import LoopEvents
from claudecli.chat.tool_display import event_line, print_lines, server_lines
from claudecli.render.stream import AnswerSink, make_sink
from claudecli.render.summary import Waiting
from claudecli.render.terminal import EchoHold

if TYPE_CHECKING:
    from claudecli.chat.state import ChatState
    from claudecli.tools.box import ToolEvent


class TurnView:
    def __init__(self, chat: ChatState, model: str, echo: EchoHold) -> None:
        """``echo`` is the turn's hold on the typed echo (render.terminal): the view gives it back only while
        the person is asked something, and takes it again with whatever it shows next (the tool that was
        allowed starts, a line, the next step's spinner), so no typed key is echoed into the transcript."""
        self.chat = chat
        self.app_ctx = chat.app_ctx
        self.model = model
        self.sink: AnswerSink = make_sink(self.app_ctx.stdout, markdown=self.app_ctx.markdown)
        self.fed = False  # text went into the current sink since it was started
        self.waiting: Waiting | None = None
        self._wait(f"{model}…")
        self._echo = echo

    def events(self) -> LoopEvents:
        return LoopEvents(
            on_text=self.text, on_tool=self.tool, on_server_tool=self.server_tool, on_step=self.step
        )

    # -- loop events ---------------------------------------------------------------------------------

    def text(self, chunk: str) -> None:
        self.stop_waiting()
        self.sink.feed(chunk)
        self.fed = self.fed or bool(chunk)

    def step(self, number: int) -> None:
        if number > 1:
            self.hold()
            self._wait(f"{self.model}… (step {number})")

    def tool(self, event: ToolEvent) -> None:
        self.hold()
        line = event_line(event)
        if line is not None:
            print_lines(self.app_ctx.stderr, [line])

    def server_tool(self, block: dict[str, Any]) -> None:
        self.hold()
        print_lines(self.app_ctx.stderr, server_lines(block))

    # -- the screen ----------------------------------------------------------------------------------

    def hold(self) -> None:
        """Stop the spinner and finish the text so far: something else is about to be printed."""
        self._echo.take()
        self.stop_waiting()
        if self.fed:
            self.sink.finish()
            self.sink = make_sink(self.app_ctx.stdout, markdown=self.app_ctx.markdown)
            self.fed = False

    def before_asking(self) -> None:
        """Clear the way for a question (approval, the editor): the person must see what they type."""
        self.hold()
        self._echo.give_back()

    def stop_waiting(self) -> None:
        if self.waiting is not None:
            self.waiting.stop()
            self.waiting = None

    def _wait(self, label: str) -> None:
        app_ctx = self.app_ctx
        self.stop_waiting()
        self.waiting = Waiting(app_ctx, label, not app_ctx.quiet and app_ctx.stderr.is_terminal)

    def close(self, *, failed: bool, interrupted: bool) -> None:
        """Finish the rendering; a failed step's text is marked. A Ctrl-C during a long final render only cuts
        the display short. The echo stays hidden: the turn gives it back after its summary."""
        self.stop_waiting()
        app_ctx = self.app_ctx
        if not failed:
            try:
                self.sink.finish()
            except KeyboardInterrupt:
                app_ctx.stderr.print(Text("display interrupted; the whole answer is kept", style="yellow"))
            return
        note = "[interrupted]" if interrupted else "[answer incomplete]"
        with contextlib.suppress(KeyboardInterrupt):
            self.sink.abort(note if app_ctx.markdown and self.fed else None)  # nothing arrived: no mark
        if self.fed and not app_ctx.markdown:
            app_ctx.stderr.print(Text(note, style="yellow"))
