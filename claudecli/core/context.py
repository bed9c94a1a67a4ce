"""The app context: built once by the root callback and handed to every command.

It owns the settings, the two consoles (answers on stdout, everything else on stderr), the output mode and
lazily built expensive things (SDK client, ledger, price book), so nothing reads globals and tests can build
one directly. The clients, the price book and the ledger may be built ahead of time by the command's warm-up
thread (:mod:`claudecli.core.warmup`): they are :class:`~claudecli.core.warmup.Lazy`, built once whoever asks
first.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from rich.console import Console
from rich.text import Text

from claudecli.core.config import Settings
from claudecli.core.controls import is_tty, visible_line
from claudecli.core.safe_output import EncodingGuard
from claudecli.core.scrub import ScrubbedStream, Scrubber
from claudecli.core.warmup import Lazy, Step, Warmup

if TYPE_CHECKING:
    from decimal import Decimal

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
    return is_tty(stream)


def make_console(stream: IO[str] | ScrubbedStream, *, styled: bool, wrap_words: bool = False) -> Console:
    """A console that writes no escape code at all unless ``styled``. An unstyled one leaves long lines whole
    (a pipe, a file) unless ``wrap_words``: messages for a person at a terminal without colour (NO_COLOR)."""
    return Console(
        file=cast("IO[str]", stream),  # a ScrubbedStream stands in for the stream it wraps
        color_system="auto" if styled else None,
        force_terminal=styled or None,
        highlight=False,
        soft_wrap=not (styled or wrap_words),
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
    _scrubber: Scrubber | None = field(default=None, repr=False)
    store_troubles: list[str] = field(default_factory=list)  # what to do, one line each (see store_incident)
    _client: Lazy[Any] = field(init=False, repr=False)
    _async_client: Lazy[Any] = field(init=False, repr=False)
    _prices: Lazy[Any] = field(init=False, repr=False)
    _ledger: Lazy[Any] = field(init=False, repr=False)
    _warmup: Warmup | None = field(default=None, init=False, repr=False)
    models_fetched_at: datetime | None = field(default=None, init=False, repr=False)  # see catalog.listed
    _warned: set[str] = field(default_factory=set, init=False, repr=False)  # see warn_once
    # Spending that is not in the ledger yet - batches whose results are not booked - since a moment, in USD
    # (None: nothing). Budgets add it (money.budget). Set by the CLI (batch.journal.pending_batch_cost): the
    # core knows no batches.
    pending_spend: Callable[[datetime], Decimal | None] = field(default=lambda since: None, repr=False)

    def __post_init__(self) -> None:
        self._client = Lazy(self._build_client)
        self._async_client = Lazy(self._build_async_client)
        self._prices = Lazy(self._build_prices)
        self._ledger = Lazy(self._build_ledger)

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
                ScrubbedStream(EncodingGuard(err, name="stderr"), scrubber),
                styled=_colour_allowed(err, env) and not plain,
                wrap_words=is_tty(err),
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
            self.stderr = make_console(self.stderr.file, styled=False, wrap_words=self.stderr.is_terminal)
        self.quiet = self.quiet or quiet

    @property
    def markdown(self) -> bool:
        return self.mode is OutputMode.RICH

    @property
    def interactive(self) -> bool:
        """True when a person sits at stdin and stderr: only then may anything wait for them."""
        return is_tty(self.stdin) and is_tty(self.stderr.file)

    def stdin_is_tty(self) -> bool:
        return is_tty(self.stdin)

    @property
    def client(self) -> anthropic.Anthropic:
        return cast("anthropic.Anthropic", self._client.get())

    @property
    def built_client(self) -> anthropic.Anthropic | None:
        """The client if it is built already; never builds it (nor runs ``api_key_command``)."""
        return cast("anthropic.Anthropic | None", self._client.value)

    @property
    def async_client(self) -> anthropic.AsyncAnthropic:
        return cast("anthropic.AsyncAnthropic", self._async_client.get())

    def _build_client(self) -> anthropic.Anthropic:
        from claudecli.core.client import build_client

        return build_client(self.settings)

    def _build_async_client(self) -> anthropic.AsyncAnthropic:
        from claudecli.core.client import build_async_client

        return build_async_client(self.settings)

    @property
    def ledger(self) -> Ledger:
        """The usage ledger (its database opens on first use, not here)."""
        return cast("Ledger", self._ledger.get())

    def _build_ledger(self) -> Ledger:
        from claudecli.ledger.store import Ledger

        return Ledger(
            self.settings.paths.ledger_file,
            log_bodies=self.settings.log_bodies,
            scrub=self.scrub,
            notify=self.store_incident,
        )

    @property
    def prices(self) -> PriceBook:
        """The one price book: every rate and cost the program uses comes from it."""
        return cast("PriceBook", self._prices.get())

    def _build_prices(self) -> PriceBook:
        # Lazy: hashlib, decimal and json would add ~5 ms to `--help`, which never prices anything.
        from claudecli.money.price_book import PriceBook

        return PriceBook.for_settings(self.settings)

    # -- the warm-up ------------------------------------------------------------------------------------

    def warm_up(self, steps: list[Step]) -> None:
        """Start running ``steps`` in the background (the first call of a run only; see core.warmup).

        Called by a command once its settings are final, never on the way to ``--help`` or a local command.
        """
        if self._warmup is None:
            self._warmup = Warmup(steps).start()

    @property
    def warmup_started(self) -> bool:
        """True once a warm-up was started (finished or not)."""
        return self._warmup is not None

    @property
    def warming_up(self) -> bool:
        """True while a warm-up is still running (a call would wait for it)."""
        return self._warmup is not None and not self._warmup.finished

    def join_warmup(self) -> None:
        """Wait for the warm-up, if one was started (a first call joins it rather than loading twice)."""
        if self._warmup is not None:
            self._warmup.wait()

    def prime_client(self, *, asynchronous: bool = False) -> None:
        """Warm-up step: import the SDK, then build the client - unless that would run ``api_key_command``,
        which may need the terminal the person is typing at: that runs when a call first needs the client,
        in the foreground, as it always did."""
        from claudecli.core.client import sdk

        sdk()
        if not self.settings.key_command_pending():
            (self._async_client if asynchronous else self._client).prime()

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
        self.stderr.print(Text.assemble(("warning: ", "yellow"), visible_line(self.scrub(message))))

    def warn_once(self, message: str) -> None:
        """:meth:`warn`, unless this very message was already shown by this command (a check that runs at
        every step of a tool loop, or every line of a batch, says its piece once)."""
        if message not in self._warned:
            self._warned.add(message)
            self.warn(message)

    def error(self, message: str) -> None:
        """One failure on stderr, for a command that carries on past it (each is reported once, here)."""
        self.stderr.print(Text.assemble(("error: ", "red"), visible_line(self.scrub(message))))

    def store_incident(self, happened: str, todo: str) -> None:
        """A local store was not written as usual: say what happened now; the command ends with exit 11 and
        ``todo`` once its work is done (see ``claudecli.core.store.MigratedStore``)."""
        self.warn(happened)
        if todo not in self.store_troubles:
            self.store_troubles.append(todo)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.stderr.print(visible_line(self.scrub(message)), style="dim", markup=False)

    def close(self) -> None:
        if self._warmup is not None:
            self._warmup.cancel()  # leaving never waits for it (a daemon thread; nothing it does must finish)
        prices = self._prices.value
        if prices is not None:
            prices.save()
        for console in (self.stdout, self.stderr):
            if isinstance(console.file, ScrubbedStream):
                console.file.release()
        ledger = self._ledger.value
        if ledger is not None:
            ledger.close()
        client = self._client.value
        if client is not None:
            client.close()
