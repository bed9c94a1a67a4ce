"""Exit codes and the project's own exceptions.

Every failure a user can cause or meet ends as one of these exceptions; the single error boundary in
``claudecli.cli.app`` turns it into a one-line message on stderr and the exit code named here. The table is
documented in the README ("Exit codes"); scripts and crontabs rely on it, so codes never change meaning.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # unexpected failure (a bug): the only code that may come with a traceback
    USAGE = 2  # bad flags, bad input, bad config file; an output (stdout, an -o file) that cannot be written
    AUTH = 3  # missing or rejected credentials (401, 403)
    NOT_FOUND = 4  # unknown model, batch, session, file
    BAD_REQUEST = 5  # the API refused the request as invalid (400, 413)
    RATE_LIMITED = 6  # 429 / 529 overloaded, still failing after retries
    SERVER = 7  # 5xx, or an error event in the middle of a stream
    CONNECTION = 8  # cannot connect, connection dropped, timed out
    BUDGET = 9  # refused by a configured budget (override with --force)
    BILLING = 10  # 402: the account cannot pay
    STORE = 11  # the work is done (the answer printed), but a local store (ledger, sessions, journal) was not
    #             written as usual: damaged and moved aside, refused the row (kept beside it), or unreadable
    MAX_STEPS = 12  # the tool loop reached --max-steps (the circuit breaker); the partial transcript is kept
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # stdout was closed early (`| head`): 128 + SIGPIPE, as a shell reports it
    TERMINATED = 143  # SIGTERM or SIGHUP: 128 + SIGTERM


class ClaudeCliError(Exception):
    """An error with a one-line message meant for the user and a documented exit code."""

    exit_code: ExitCode = ExitCode.ERROR

    default_error_type = "error"

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        hint: str | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.hint = hint
        self.error_type = error_type or self.default_error_type
        """A short word for the ledger's status column: the API's error type, or the transport failure."""

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.hint:
            text += f"; {self.hint}"
        return text


class UsageError(ClaudeCliError):
    exit_code = ExitCode.USAGE


class StdoutFailed(UsageError):
    """stdout cannot be written (a full disk, ``>&-``): exit 2, as for an ``-o`` file that cannot be written.
    The boundary points stdout at /dev/null afterwards, so the interpreter's last flush cannot fail again."""

    default_error_type = "output_error"  # the ledger's word for a paid answer our side could not deliver


class ConfigError(ClaudeCliError):
    exit_code = ExitCode.USAGE


class AuthError(ClaudeCliError):
    exit_code = ExitCode.AUTH


class NotFoundError(ClaudeCliError):
    exit_code = ExitCode.NOT_FOUND


class BadRequestError(ClaudeCliError):
    exit_code = ExitCode.BAD_REQUEST


class RateLimitedError(ClaudeCliError):
    exit_code = ExitCode.RATE_LIMITED


class ServerError(ClaudeCliError):
    exit_code = ExitCode.SERVER


class ConnectionFailed(ClaudeCliError):
    exit_code = ExitCode.CONNECTION
    default_error_type = "connection_error"


class BudgetExceeded(ClaudeCliError):
    exit_code = ExitCode.BUDGET


class BillingError(ClaudeCliError):
    exit_code = ExitCode.BILLING


class StoreError(ClaudeCliError):
    """A local SQLite store (usage ledger, chat sessions, batch journal) could not be read or written."""

    exit_code = ExitCode.STORE
    default_error_type = "store_error"


class Interrupted(ClaudeCliError):
    exit_code = ExitCode.INTERRUPTED
    default_error_type = "interrupted"

    def __init__(self, message: str = "interrupted") -> None:
        super().__init__(message)


class TerminatedError(Interrupted):
    """A call cut short by SIGTERM or SIGHUP, once it is booked and kept like a Ctrl-C: ends the command (143)."""

    exit_code = ExitCode.TERMINATED

    def __init__(self, message: str = "terminated") -> None:
        super().__init__(message)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (so the call in flight is booked), but ends even a REPL."""


class MaxStepsReached(ClaudeCliError):
    """The tool loop asked for more steps than ``--max-steps`` allows: stopped, the partial transcript kept."""

    exit_code = ExitCode.MAX_STEPS
    default_error_type = "max_steps"
