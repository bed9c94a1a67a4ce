"""The root Typer app, its global options, and the single error boundary.

Every exception a command raises passes through ``BoundaryGroup.invoke``: project errors and SDK failures
become one line on stderr plus a documented exit code (see ``claudecli.core.errors.ExitCode``); only a genuine
bug may show a traceback, and only with ``--debug``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from claudecli import __version__
from claudecli.core.controls import visible
from claudecli.core.errors import ClaudeCliError, ExitCode, StdoutFailed, StoreError, Terminated
from claudecli.core.interrupt import request_termination

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

PROG_NAME = "claudecli"


def _say(text: str) -> None:
    """Write to the raw stderr; one that refuses (``2> /dev/full``, a reader that left) loses the line, and the
    exit code still tells what happened."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text)
        sys.stderr.flush()


def _stderr(ctx: typer.Context) -> Any:
    """The app context's stderr, which masks every secret it knows of; the raw one before settings load."""
    app_ctx = ctx.find_root().obj
    return app_ctx.stderr.file if app_ctx is not None else sys.stderr


def _print_traceback(ctx: typer.Context, exc: BaseException) -> None:
    """--debug: the traceback (an SDK error's message quotes the response body, an echoed key too)."""
    import traceback  # lazy: 9 ms on every start for what only --debug after a bug prints

    stream = _stderr(ctx)
    stream.write("".join(traceback.format_exception(exc)))
    stream.flush()


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _terminate(signum: int, frame: object) -> None:
    request_termination()  # in case the exception lands where Python drops it (see core.interrupt)
    raise Terminated()


def _report(ctx: typer.Context, message: str) -> None:
    _FAILURE.append(message)
    stream = _stderr(ctx)
    with contextlib.suppress(OSError, ValueError):  # a raw stderr that refuses: the exit code still tells
        stream.write(f"{PROG_NAME}: error: {visible(message)}\n")  # a server's text may carry escapes
        stream.flush()


# The last failure reported in this run, for the --json error document (see BoundaryGroup.main).
_FAILURE: list[str] = []


def _wants_json(argv: Sequence[str]) -> bool:
    """Did the command line ask for --json (before any ``--``, after which words are data)?"""
    words = list(argv)
    return "--json" in (words[: words.index("--")] if "--" in words else words)


def _exit_name(code: int) -> str:
    """``terminated``, ``interrupted``, …: what a failure with no message of its own is called."""
    try:
        return ExitCode(code).name.lower().replace("_", " ")
    except ValueError:
        return f"exit code {code}"


def _print_failure_document(app_ctx: Any, code: int, message: str) -> None:
    """Under --json a failure still prints one document, unless the command printed its own."""
    from claudecli.render.emit import error_document, write_document

    if app_ctx is not None and getattr(app_ctx, "emitted", False):
        return
    stream = app_ctx.stdout.file if app_ctx is not None else sys.stdout
    # the reader left, or stdout refuses (StdoutFailed from the app's guarded stdout): nothing more to say
    with contextlib.suppress(OSError, ValueError, StdoutFailed):
        write_document(stream, error_document(message, code))


def _store_trouble(ctx: typer.Context) -> None:
    """A command whose work is done but whose stores were not written as usual ends with exit 11 and what to do."""
    app_ctx = ctx.find_root().obj
    troubles = getattr(app_ctx, "store_troubles", None)
    if troubles:
        _report(ctx, troubles[0])
        raise typer.Exit(ExitCode.STORE)


def _debug_enabled(ctx: typer.Context) -> bool:
    return bool(ctx.find_root().params.get("debug"))


def _require_utf8(args: Sequence[str]) -> None:
    """Refuse an argument that is not UTF-8 (Python hands such bytes over as lone surrogates): it would fail
    later, in the request body, the ledger or a store, possibly after the call was paid for."""
    from claudecli.core.errors import UsageError

    for number, arg in enumerate(args, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(arg[exc.start])
            what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"character U+{code:04X}"
            raise UsageError(
                f"argument {number} is not UTF-8 text ({what})",
                hint="claudecli takes text, and names of files, in UTF-8",
            ) from None


class BoundaryGroup(TyperGroup):
    """A Typer group whose ``invoke`` is the one place exceptions are mapped to exit codes."""

    app_ctx: Any = None  # the run's app context, once the root callback built it

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return self._invoke_guarded(ctx)
        finally:
            self.app_ctx = ctx.find_root().obj  # for main's --json failure document

    def _invoke_guarded(self, ctx: typer.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except typer.Exit as exc:
            if exc.exit_code == ExitCode.OK:
                _store_trouble(ctx)
            raise
        except typer.Abort:
            raise
        except ClaudeCliError as exc:
            self._fail(ctx, exc)
        except BrokenPipeError:  # `claudecli ... | head`: the reader left; that is not an error of ours
            _silence_stdout()
            raise typer.Exit(ExitCode.BROKEN_PIPE) from None
        except Terminated:
            _say("\nterminated\n")
            raise typer.Exit(ExitCode.TERMINATED) from None
        except KeyboardInterrupt:
            _say("\ninterrupted\n")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")):
                raise
            if type(exc).__module__ == "sqlite3":  # a store failed where it could not keep its row aside
                self._fail(ctx, StoreError(f"local database error: {exc}"), original=exc)
            from claudecli.core.sdk_errors import translate

            mapped = translate(exc)
            if mapped is not None:
                self._fail(ctx, mapped, original=exc)
            if _debug_enabled(ctx):
                _print_traceback(ctx, exc)
                raise typer.Exit(ExitCode.ERROR) from None
            _report(ctx, f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)")
            raise typer.Exit(ExitCode.ERROR) from None
        _store_trouble(ctx)
        return result

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the app; click's usage errors (bad flags, unknown commands) become one line too."""
        from typer._click.exceptions import ClickException, NoArgsIsHelpError

        _FAILURE.clear()
        argv = list(args) if args is not None else sys.argv[1:]
        try:
            _require_utf8(sys.argv[1:] if args is None else args)
            result = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
            code = result if isinstance(result, int) else ExitCode.OK
        except ClaudeCliError as exc:
            _say(f"{PROG_NAME}: error: {exc.one_line()}\n")
            _FAILURE.append(exc.one_line())  # the --json document's error, as for every other failure
            code = exc.exit_code
        except NoArgsIsHelpError as exc:  # bare `claudecli` / `claudecli cost`: show help, as git and gh do
            with contextlib.suppress(OSError, ValueError):  # a stderr that refuses: the exit code tells
                exc.show()
            code = ExitCode.USAGE
        except ClickException as exc:
            message = self._usage_message(exc)
            _say(f"{PROG_NAME}: error: {message}\n")
            _FAILURE.append(message)
            code = getattr(exc, "exit_code", ExitCode.USAGE)
        except typer.Abort:
            _say("\ninterrupted\n")
            code = ExitCode.INTERRUPTED
        except SystemExit as exc:
            # Typer ends a run with exit 1 when the help or the version met a reader that left (`claudecli
            # --help | head -0`); every other command says 141 for that (see _invoke_guarded).
            if not isinstance(exc.__context__, BrokenPipeError):
                raise
            _silence_stdout()
            code = ExitCode.BROKEN_PIPE
        except OSError as exc:
            # the help or the version, to a stdout that refuses them (`> /dev/full`, `>&-`)
            _silence_stdout()
            message = f"cannot write to stdout: {exc.strerror or exc}"
            _say(f"{PROG_NAME}: error: {message}\n")
            _FAILURE.append(message)
            code = ExitCode.USAGE
        if code not in (ExitCode.OK, ExitCode.BROKEN_PIPE) and _wants_json(argv):
            _print_failure_document(self.app_ctx, int(code), _FAILURE[-1] if _FAILURE else _exit_name(code))
        if standalone_mode:
            sys.exit(code)
        return code

    def _usage_message(self, exc: Exception) -> str:
        """Click's message, plus where to look; a global option given after the command says where it goes."""
        from typer._click.exceptions import NoSuchOption

        context = getattr(exc, "ctx", None)
        if isinstance(exc, NoSuchOption) and context is not None and context.parent is not None:
            moved = self._global_option_hint(exc.option_name, context.command_path)
            if moved:
                return moved
        where = f"; see '{context.command_path} --help'" if context is not None else ""
        return f"{exc.format_message().rstrip('.')}{where}"  # type: ignore[attr-defined]

    def _global_option_hint(self, option: str, command_path: str) -> str | None:
        """``--profile`` after ``ask``: global options are the root's, so they go before the command."""
        for param in self.params:
            names = [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]
            if (
                option in names and param.expose_value and not param.is_eager
            ):  # not --version, --install-completion
                value = "" if getattr(param, "is_flag", False) else f" {(param.name or 'value').upper()}"
                command = command_path.removeprefix(PROG_NAME).strip()
                return (
                    f"{option} is a global option: put it before the command, "
                    f"as in '{PROG_NAME} {option}{value} {command} …'"
                )
        return None

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        from claudecli.cli.registry import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        from claudecli.cli.registry import load_command

        return load_command(cmd_name)

    @staticmethod
    def _fail(ctx: typer.Context, exc: ClaudeCliError, original: BaseException | None = None) -> NoReturn:
        """One line and the error's exit code; the traceback (``--debug``) only for exit 1, an unexpected
        failure: a usage, API or network error is fully told by its line."""
        if _debug_enabled(ctx) and exc.exit_code == ExitCode.ERROR:
            _print_traceback(ctx, original or exc)
        if isinstance(exc, StdoutFailed):
            _silence_stdout()
        _report(ctx, exc.one_line())
        raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    name=PROG_NAME,
    cls=BoundaryGroup,
    help="Chat with Claude, script Claude calls, run Message Batches, and see what every call costs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _pending_batches(app_ctx: Any, since: datetime) -> Decimal | None:
    """Batches not yet collected, for the budgets (lazy: only a command that checks a budget pays the import)."""
    from claudecli.batch.journal import pending_batch_cost

    return pending_batch_cost(app_ctx, since)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"{PROG_NAME} {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", "-P", help="Use the [profiles.NAME] table of config.toml.")
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="No Markdown rendering or colour, even on a terminal.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide per-call summaries and notes.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error (exit 1).")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Build the one app context every command receives."""
    from claudecli.core.config import load_settings
    from claudecli.core.context import AppContext

    settings = load_settings(profile=profile)
    app_ctx = AppContext.create(settings, plain=plain, quiet=quiet, debug=debug)
    app_ctx.pending_spend = lambda since: _pending_batches(app_ctx, since)
    ctx.obj = app_ctx
    ctx.call_on_close(app_ctx.close)
    # Once per version of config.toml, except where you look at the config on purpose.
    file_warnings = settings.file_warnings
    if file_warnings and ctx.invoked_subcommand != "config":
        from claudecli.core.config_warnings import unseen_warnings  # lazy: hashing the file costs every run

        file_warnings = unseen_warnings(settings.paths, file_warnings)
    for warning in [*file_warnings, *settings.warnings]:
        app_ctx.warn(warning)


def main() -> None:
    # Typer coerces option values through pydantic, which scans every installed distribution's entry points
    # for pydantic plugins on first use (~10 ms per run); claudecli uses none. Users may still opt back in.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from claudecli.core.client import quiet_half_built_clients  # no SDK import: a function of ours

    sys.unraisablehook = quiet_half_built_clients(sys.unraisablehook)
    # kill, a closed terminal, a cron timeout: unwind like Ctrl-C so the call in flight is booked.
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    app(prog_name=PROG_NAME)
