"""The app context: built once by the root callback and handed to every command.

It owns the settings, the two consoles (answers on stdout, everything else on stderr), the output mode and
lazily built expensive things (SDK client, ledger, price book), so nothing reads globals and tests can build
one directly.
"""

from __future__ import annotations

import enum
import os
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from rich.console import Console
from rich.text import Text

from claudecli.core.config import Settings
from claudecli.core.safe_output import EncodingGuard
from claudecli.core.scrub import ScrubbedStream, Scrubber

if TYPE_CHECKING:
    import anthropic

    from claudecli.ledger.store import Ledger
    from claudecli.money.price_book import PriceBook


class OutputMode(enum.Enum):
    RICH = "rich"  # stdout is a colour terminal: Markdown rendering, tables with style
    PLAIN = "plain"  # piped, NO_COLOR, TERM=dumb or --plain: raw text, no ANSI at all
    JSON = "json"  # --json: one machine-readable document on stdout


def _colour_allowed(stream: TextIO, environ: dict[str, str] | os._Environ[str]) -> bool:
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def make_console(stream: IO[str] | ScrubbedStream, *, styled: bool) -> Console:
    """A console that writes no escape code at all unless ``styled``."""
    return Console(
        file=cast("IO[str]", stream),  # a ScrubbedStream stands in for the stream it wraps
        color_system="auto" if styled else None,
        force_terminal=styled or None,
        highlight=False,
        soft_wrap=not styled,
        emoji=False,
    )


@dataclass
class AppContext:
    settings: Settings
    stdout: Console
    stderr: Console
    mode: OutputMode
    quiet: bool = False
    debug: bool = False
    emitted: bool = False  # its --json document is printed (render.emit)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    _client: Any = field(default=None, repr=False)
    _async_client: Any = field(default=None, repr=False)
    _ledger: Any = field(default=None, repr=False)
    _prices: Any = field(default=None, repr=False)
    _scrubber: Scrubber | None = field(default=None, repr=False)
    store_troubles: list[str] = field(default_factory=list)  # what to do, one line each (see store_incident)

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        plain: bool = False,
        quiet: bool = False,
        debug: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        stdin: TextIO | None = None,
        environ: dict[str, str] | None = None,
    ) -> AppContext:
        env = os.environ if environ is None else environ
        out, err = stdout or sys.stdout, stderr or sys.stderr
        rich_out = _colour_allowed(out, env) and not plain
        scrubber = Scrubber(settings.secrets)
        safe_out = EncodingGuard(out)  # a paid answer is never lost to an encoding (see safe_output)
        app_ctx = cls(
            settings=settings,
            stdout=make_console(ScrubbedStream(safe_out, scrubber), styled=rich_out),
            stderr=make_console(
                ScrubbedStream(EncodingGuard(err), scrubber), styled=_colour_allowed(err, env) and not plain
            ),
            mode=OutputMode.RICH if rich_out else OutputMode.PLAIN,
            quiet=quiet,
            debug=debug,
            stdin=stdin or sys.stdin,
            _scrubber=scrubber,
        )
        safe_out.warn = app_ctx.warn
        return app_ctx

    def set_output(self, *, plain: bool = False, json: bool = False, quiet: bool = False) -> None:
        """Apply a command's own output flags on top of the global ones."""
        if json:
            self.mode = OutputMode.JSON
        elif plain and self.mode is OutputMode.RICH:
            self.mode = OutputMode.PLAIN
        if self.mode is not OutputMode.RICH and self.stdout.color_system is not None:
            self.stdout = make_console(self.stdout.file, styled=False)
        if plain and self.stderr.color_system is not None:  # --plain means no colour anywhere
            self.stderr = make_console(self.stderr.file, styled=False)
        self.quiet = self.quiet or quiet

    @property
    def markdown(self) -> bool:
        return self.mode is OutputMode.RICH

    @property
    def interactive(self) -> bool:
        """True when a person sits at stdin and stderr: only then may anything wait for them."""
        return bool(self.stdin.isatty() and self.stderr.file.isatty())

    def stdin_is_tty(self) -> bool:
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    @property
    def client(self) -> anthropic.Anthropic:
        if self._client is None:
            from claudecli.core.client import build_client

            self._client = build_client(self.settings)
        return self._client

    @property
    def async_client(self) -> anthropic.AsyncAnthropic:
        if self._async_client is None:
            from claudecli.core.client import build_async_client

            self._async_client = build_async_client(self.settings)
        return self._async_client

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from claudecli.ledger.store import Ledger

            self._ledger = Ledger(
                self.settings.paths.ledger_file,
                log_bodies=self.settings.log_bodies,
                scrub=self.scrub,
                notify=self.store_incident,
            )
        return self._ledger

    @property
    def prices(self) -> PriceBook:
        """The one price book: every rate and cost the program uses comes from it."""
        if self._prices is None:
            # Lazy: hashlib, decimal and json would add ~5 ms to `--help`, which never prices anything.
            from claudecli.money.price_book import PriceBook

            self._prices = PriceBook.for_settings(self.settings)
        return self._prices

    @property
    def scrubber(self) -> Scrubber:
        if self._scrubber is None:
            self._scrubber = Scrubber(self.settings.secrets)
        return self._scrubber

    def scrub(self, text: str) -> str:
        """``text`` with every secret we know of masked: anything an API or a gateway says may echo them.

        stdout and stderr are already scrubbed streams; this is for the other writers (files, stores).
        """
        return self.scrubber(text)

    def scrubbed(self, stream: Any) -> ScrubbedStream:
        """``stream`` (a results file) scrubbed write by write; each write must be a whole record."""
        return ScrubbedStream(stream, self.scrubber, whole_writes=True)

    def warn(self, message: str) -> None:
        """A warning on stderr; shown even with --quiet, which hides only routine summaries."""
        self.stderr.print(Text.assemble(("warning: ", "yellow"), self.scrub(message)))

    def error(self, message: str) -> None:
        """One failure on stderr, for a command that carries on past it (each is reported once, here)."""
        self.stderr.print(Text.assemble(("error: ", "red"), self.scrub(message)))

    def store_incident(self, happened: str, todo: str) -> None:
        """A local store was not written as usual: say what happened now; the command ends with exit 11 and
        ``todo`` once its work is done (see ``claudecli.core.db.MigratedStore``)."""
        self.warn(happened)
        if todo not in self.store_troubles:
            self.store_troubles.append(todo)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.stderr.print(self.scrub(message), style="dim", markup=False)

    def close(self) -> None:
        if self._prices is not None:
            self._prices.save()
        for console in (self.stdout, self.stderr):
            if isinstance(console.file, ScrubbedStream):
                console.file.release()
        if self._ledger is not None:
            self._ledger.close()
        if self._client is not None:
            self._client.close()
