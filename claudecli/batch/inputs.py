"""Read a batch input file, validate every line, and spool the valid ones as canonical requests.

Nothing is sent from here. Every line is checked (JSON, fields, model known, custom_id pattern and
uniqueness, attachments exist and fit, size), and every problem is kept as ``(line, reason)`` so the caller
can report ``FILE:LINE: reason`` for the first :data:`SHOWN_PROBLEMS` and a count of the rest. Memory stays
flat in the size of the input: lines stream from the file to the spool.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from claudecli.batch.attach_paths import allowed_roots
from claudecli.batch.estimate import Estimate, cache_ttl_of
from claudecli.batch.ids import LineError, UniqueIds, generated_id
from claudecli.batch.shapes import (
    LINE_FAULTS,
    TEMPLATE_SLOT,
    LineDefaults,
    Resolvers,
    declared_id,
    json_request,
    text_request,
)
from claudecli.batch.spool import API_MAX_BYTES, Spool
from claudecli.batch.tags import tagged_id
from claudecli.call.prompt_input import read_text_option
from claudecli.call.request import platform_params, thinking_param
from claudecli.call.schema import load_schema
from claudecli.call.server_tools import server_tool_definitions
from claudecli.core.controls import visible_line
from claudecli.core.errors import ClaudeCliError, UsageError
from claudecli.core.fsutil import open_to_read, size_text, unreadable
from claudecli.core.tokens import estimate_input_tokens
from claudecli.tools.options import ToolOptions

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

SHOWN_PROBLEMS = 20
MAX_LINE_BYTES = API_MAX_BYTES  # a longer line cannot be a request in any batch
MAX_INPUT_BYTES = 4_000_000_000  # 16 full batches; an endless pipe or /dev/zero stops here
_BOM = b"\xef\xbb\xbf"


@dataclass
class InputOptions:
    """The input file and the command-line options that fill what its lines leave out."""

    path: Path
    text: bool = False
    system: str | None = None
    schema: str | None = None
    thinking: str | None = None
    template: str | None = None
    skip_invalid: bool = False
    allow_outside: tuple[Path, ...] = ()  # where attachments may come from besides the file's directory
    tools: ToolOptions = field(
        default_factory=ToolOptions
    )  # the tool flags (server tools go into every line)
    server_tools_only: bool = False  # batch submit: a line defining a local (client) tool is refused
    upload_attachments: bool = False  # upload local attachments once, reference them by file id
    hold_uploads: bool = False  # with upload_attachments: checked and estimated as uploads, none made yet


@dataclass
class Problem:
    line: int
    reason: str


_DIGEST_SIZE = 16  # 1.6 MB for 100,000 lines; a keyed-hash-free digest nobody can aim a changed line at


def _line_digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=_DIGEST_SIZE).digest()


@dataclass
class Validated:
    """The outcome of validating a file: the spooled requests, what they may cost, and what was wrong."""

    spool: Spool
    estimate: Estimate = field(default_factory=Estimate)
    problems: list[Problem] = field(default_factory=list)  # the first SHOWN_PROBLEMS only
    problem_count: int = 0
    nonce: str | None = None  # custom_ids are sent tagged with it (see ``tags``)
    custom_ids: list[str] = field(default_factory=list)  # when tagged: the user's id of each spooled request
    # With ``remember`` (a first look, see validate_into): a digest of each line read, and every invalid line.
    remember: bool = False
    line_digests: bytearray = field(default_factory=bytearray)
    invalid: dict[int, str] = field(default_factory=dict)
    file_stamps: dict[str, tuple[int, ...]] = field(default_factory=dict)  # each local attachment as it was
    answered: int = 0  # lines skipped unbuilt: the ``answered`` ids given to validate_into
    lines_by_id: dict[str, tuple[int, bytes]] | None = (
        None  # ``batch run -o``: each id's line number and digest
    )

    def send_as(self, custom_id: str) -> str:
        """The custom_id the next spooled request is sent with."""
        return custom_id if self.nonce is None else tagged_id(self.nonce, self.spool.count)

    def problem(self, line: int, reason: str) -> None:
        self.problem_count += 1
        if self.remember:
            self.invalid[line] = reason
        if len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(Problem(line, reason))

    def note_line(self, custom_id: str, line_no: int, raw: bytes) -> None:
        if self.lines_by_id is not None:
            self.lines_by_id[custom_id] = (line_no, _line_digest(raw))

    def read_line(self, raw: bytes) -> None:
        if self.remember:
            self.line_digests += _line_digest(raw)

    def require_same_line(self, path: Path, line_no: int, raw: bytes | None) -> None:
        """Refuse (exit 2) a line other than the one this look read (None: the file ended before it)."""
        start = (line_no - 1) * _DIGEST_SIZE
        read = bytes(self.line_digests[start : start + _DIGEST_SIZE]) or None
        changed = read is not None if raw is None else read != _line_digest(raw)
        if changed:
            raise UsageError(
                f"{path}:{line_no}: the file changed while it was being read, after its lines were checked; "
                "nothing more was sent",
                hint="run it again once nothing writes to it",
            )


def line_defaults(app_ctx: AppContext, options: InputOptions) -> LineDefaults:
    """Read and check the command-line defaults once (a bad option fails before any line is read)."""
    settings = app_ctx.settings
    if options.template is not None and TEMPLATE_SLOT not in options.template:
        raise UsageError(f"--template must contain {TEMPLATE_SLOT} (where each line's text goes)")
    if options.thinking is not None:
        thinking_param(options.thinking, 1 << 30)  # the spelling; the budget is checked per line
    return LineDefaults(
        model=settings.model,
        max_tokens=settings.max_tokens,
        cli_system=read_text_option(options.system, "-s/--system"),
        config_system=settings.system,
        schema=load_schema(options.schema) if options.schema is not None else None,
        thinking=options.thinking,
        template=options.template,
        cache=settings.cache,
        cache_ttl=settings.cache_ttl,
        platform=platform_params(settings),
        tools=server_tool_definitions(options.tools),
        server_tools_only=options.server_tools_only,
    )


def _open(path: Path) -> Any:
    try:
        return open_to_read(path)  # a FIFO nobody writes to reads as empty: no cron job waits on it forever
    except OSError as exc:
        raise unreadable(str(path), exc) from None


def _line_too_long(path: Path, line_no: int) -> UsageError:
    return UsageError(
        f"{path}:{line_no}: the line is longer than {size_text(MAX_LINE_BYTES)}; refusing to read more",
        hint="a request must fit in one batch",
    )


def _input_too_large(path: Path) -> UsageError:
    return UsageError(
        f"{path}: the input is larger than {size_text(MAX_INPUT_BYTES)}; refusing to read more",
        hint="split it into several files",
    )


def file_sha256(path: Path) -> str:
    """The input's hash, read under the same caps as its lines (``stat`` says 0 for /dev/zero and pipes)."""
    digest = hashlib.sha256()
    total = line_start = 0
    line_no = 1
    with _open(path) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            newlines = block.count(b"\n")
            if newlines:
                line_no += newlines
                line_start = total + block.rindex(b"\n") + 1
            total += len(block)
            if total - line_start > MAX_LINE_BYTES:
                raise _line_too_long(path, line_no)
            if total > MAX_INPUT_BYTES:
                raise _input_too_large(path)
    return digest.hexdigest()


def _capped_lines(handle: BinaryIO, path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, raw line)``; a line over ``MAX_LINE_BYTES`` or an input over ``MAX_INPUT_BYTES`` is
    refused as a whole (exit 2): the rest of an endless line cannot be skipped to reach the next one."""
    total = 0
    line_no = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        line_no += 1
        total += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            raise _line_too_long(path, line_no)
        if total > MAX_INPUT_BYTES:
            raise _input_too_large(path)
        yield line_no, raw


def validate_into(
    app_ctx: AppContext,
    options: InputOptions,
    defaults: LineDefaults,
    spool: Spool,
    *,
    nonce: str | None = None,
    remember: bool = False,
    first_look: Validated | None = None,
    answered: frozenset[str] = frozenset(),
    by_id: bool = False,
) -> Validated:
    """Validate every line of ``options.path``; append the valid requests to ``spool``.

    With a ``nonce`` (``batch submit``), requests are spooled with tagged custom_ids (see ``tags``). After a
    ``first_look`` (``--upload-attachments``: the lines checked with their uploads held back), each line must be
    the one it read, and a line it found invalid is not looked at again (nothing of it is uploaded); the first
    look is made with ``remember``. A line whose custom_id is in ``answered`` (``batch run`` resumed: the ``-o``
    file has its result) is read no further than its id: its model, attachments and uploads are left alone.
    With ``by_id``, each line's digest is kept by its custom_id (``Validated.lines_by_id``, see ``run_plan``).
    """
    result = Validated(spool, nonce=nonce, remember=remember, lines_by_id={} if by_id else None)
    resolvers = Resolvers(
        app_ctx,
        options.path.resolve().parent,
        allowed_roots(options.allow_outside),
        upload=options.upload_attachments,
        hold_uploads=options.hold_uploads,
        seen=result.file_stamps if remember else None,
        expected=first_look.file_stamps if first_look is not None else None,
    )
    ids = UniqueIds()
    lines = 0
    with _open(options.path) as handle:
        for line_no, raw in _capped_lines(handle, options.path):
            if line_no == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            raw = raw.rstrip(b"\r\n")
            result.read_line(raw)
            lines = line_no
            if first_look is not None:
                first_look.require_same_line(options.path, line_no, raw)
                if line_no in first_look.invalid:
                    result.problem(line_no, first_look.invalid[line_no])
                    continue
            if not raw.strip():
                continue
            try:
                _take_line(raw, line_no, options.text, defaults, resolvers, ids, result, answered)
            except LineError as exc:
                result.problem(line_no, str(exc))
            except ClaudeCliError as exc:
                if exc.exit_code not in LINE_FAULTS:
                    raise
                result.problem(line_no, exc.one_line())
    spool.finish()
    if first_look is not None:
        first_look.require_same_line(options.path, lines + 1, None)  # not cut short
    return result


def _take_line(
    raw: bytes,
    line_no: int,
    text_mode: bool,
    defaults: LineDefaults,
    resolvers: Resolvers,
    ids: UniqueIds,
    result: Validated,
    answered: frozenset[str],
) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(
            f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
        ) from None
    obj = None if text_mode else _parsed(text)
    if answered:
        known_id = (None if text_mode else declared_id(obj)) or generated_id(line_no)
        if known_id in answered:
            ids.claim(known_id, line_no)
            result.note_line(known_id, line_no, raw)
            result.answered += 1
            return
    if text_mode:
        custom_id, params = text_request(text, defaults, resolvers)
    else:
        custom_id, params = json_request(obj, defaults, resolvers)
    custom_id = custom_id or generated_id(line_no)
    ids.claim(custom_id, line_no)
    result.note_line(custom_id, line_no, raw)
    line = _canonical_line(result.send_as(custom_id), params)
    if not result.spool.fits(line):
        raise LineError(
            f"the request is {len(line) / 1e6:.1f} MB; a batch holds at most {result.spool.max_bytes / 1e6:.0f} MB"
        )
    result.estimate.add(
        params["model"], estimate_input_tokens(params), params["max_tokens"], cache_ttl_of(line)
    )
    result.spool.add(line)
    if result.nonce is not None:
        result.custom_ids.append(custom_id)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise LineError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal longer than Python converts
        raise LineError(f"invalid JSON: {exc}") from None


def _canonical_line(custom_id: str, params: dict[str, Any]) -> bytes:
    """The request as the spool keeps it; a lone surrogate (JSON's ``"\\ud800"``) is not text, so it is refused."""
    text = json.dumps({"custom_id": custom_id, "params": params}, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LineError(
            f"the request holds {text[exc.start]!r}, half of a UTF-16 surrogate pair, which is not text"
        ) from None


def report_problems(app_ctx: AppContext, path: Path, validated: Validated) -> None:
    """``FILE:LINE: reason`` for the first problems on stderr, then how many more there were. A reason quotes
    the untrusted line (an attachment's path), so its control characters are shown escaped."""
    for problem in validated.problems:
        shown = visible_line(f"{path}:{problem.line}: {problem.reason}")
        app_ctx.stderr.print(shown, markup=False, highlight=False)
    rest = validated.problem_count - len(validated.problems)
    if rest > 0:
        app_ctx.stderr.print(f"… and {rest} more invalid line{'s' if rest != 1 else ''}", markup=False)


def require_valid(
    app_ctx: AppContext, options: InputOptions, validated: Validated, *, first_look: Validated | None = None
) -> None:
    """Report problems; refuse unless ``--skip-invalid`` (then warn); refuse an input with no request.

    After a ``first_look`` (``--upload-attachments``), only what it has not said already: problems on lines it
    found valid (an upload the API refused, a file that changed since it was checked).
    """
    known = first_look.invalid if first_look is not None else {}
    new = validated.problem_count - len(known)
    if validated.problem_count:
        if new:
            fresh = [problem for problem in validated.problems if problem.line not in known]
            report_problems(
                app_ctx, options.path, dataclasses.replace(validated, problems=fresh, problem_count=new)
            )
        if not options.skip_invalid:
            raise UsageError(
                f"{options.path}: {validated.problem_count} invalid line(s); nothing was sent",
                hint="fix them, or pass --skip-invalid to send the valid lines only",
            )
        if new:
            app_ctx.warn(f"skipping {new} invalid line(s)")
    if validated.spool.count == 0 and not validated.answered:
        raise UsageError(f"{options.path}: no requests to send")
