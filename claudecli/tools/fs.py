"""The built-in ``fs`` toolset: read-only ``list_dir``, ``read_file`` and ``search_text`` under one root.

Auto-approved because it only reads, and only inside the root (see ``fs_paths``). Every answer is capped: a
listing, a file, a search; the model is told when it saw a part.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from claudecli.core.scrub import mask, mask_cut
from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult
from claudecli.tools.fs_paths import Confinement, Refused
from claudecli.tools.sanitize import decode, escape_controls

LIST_LIMIT = 1_000  # entries
READ_LIMIT = 64_000  # bytes of one file per call (read further with start_line)
SEARCH_MATCHES = 200
SEARCH_FILE_LIMIT = 2_000_000  # bytes: bigger files are skipped by search_text
SEARCH_FILES = 20_000  # files looked at, at most
SEARCH_SECONDS = 10.0
LINE_LIMIT = 500  # characters of a matching line shown
BINARY_PROBE = 8_192
SKIP_CHUNK = 1 << 16  # bytes read at a time while skipping lines before start_line

_STRING = {"type": "string"}

ESCAPED_NOTE = "[names with control characters are shown escaped, like \\n]"
Matcher = Callable[[str], int]  # where a line matches first, or -1


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> Tool:
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return Tool(name, description, schema, approval=Approval.AUTO, read_only=True, source="fs")


TOOLS = (
    _tool(
        "list_dir",
        "List a directory under the working root: one entry a line, directories end with '/', files show "
        "their size in bytes. Hidden and credential files are not listed.",
        {"path": {**_STRING, "description": "Directory relative to the root; '.' is the root."}},
        [],
    ),
    _tool(
        "read_file",
        f"Read a UTF-8 text file under the working root, at most {READ_LIMIT:,} bytes per call; "
        "lines are numbered. Use start_line to read further into a long file.",
        {
            "path": {**_STRING, "description": "File relative to the root."},
            "start_line": {"type": "integer", "minimum": 1, "description": "First line to return (1-based)."},
        },
        ["path"],
    ),
    _tool(
        "search_text",
        f"Search the text files under the working root like grep; at most {SEARCH_MATCHES} matches, each "
        "as path:line: text. The pattern is literal text unless regex is true.",
        {
            "pattern": {**_STRING, "description": "Text (or a Python regular expression) to look for."},
            "path": {**_STRING, "description": "Directory or file to search; default the root."},
            "glob": {**_STRING, "description": "Only files whose name matches, like '*.py'."},
            "regex": {"type": "boolean", "description": "Treat pattern as a regular expression."},
            "ignore_case": {"type": "boolean"},
        },
        ["pattern"],
    ),
)


class FsTools:
    """The ``fs`` tool source."""

    def __init__(
        self, root: Path, *, allow_hidden: bool = False, secrets: Callable[[], tuple[str, ...]] = tuple
    ) -> None:
        """``secrets``: the scrubber's forms, for the parts a cut line shows (see ``scrub.mask_cut``)."""
        self.confinement = Confinement.at(root, allow_hidden)
        self._secrets = secrets
        self._run: dict[str, Callable[[dict[str, Any], threading.Event], str]] = {
            "list_dir": self.list_dir,
            "read_file": self.read_file,
            "search_text": self.search_text,
        }

    def tools(self) -> list[Tool]:
        return list(TOOLS)

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        handler = self._run.get(tool.name)
        if handler is None:
            return ToolResult(call.id, f"unknown tool {tool.name!r}", is_error=True)
        try:
            return ToolResult(call.id, handler(call.input if isinstance(call.input, dict) else {}, cancel))
        except Refused as exc:
            return ToolResult(call.id, str(exc), is_error=True)
        except OSError as exc:
            return ToolResult(call.id, f"cannot read: {exc.strerror or exc}", is_error=True)

    def close(self) -> None:
        pass

    def list_dir(self, args: dict[str, Any], cancel: threading.Event | None = None) -> str:
        real = self.confinement.resolve(args.get("path", "."))
        if not real.is_dir():
            raise Refused(f"{args.get('path', '.')}: not a directory")
        lines: list[str] = []
        shown: list[str] = []
        hidden = 0
        for entry in sorted(os.scandir(real), key=lambda item: item.name):
            path = Path(entry.path)
            if not self.confinement.visible(path):
                hidden += 1
                continue
            if len(lines) >= LIST_LIMIT:
                lines.append(f"[listing truncated at {LIST_LIMIT:,} entries]")
                break
            lines.append(_entry_line(entry))
            shown.append(entry.name)
        if hidden:
            lines.append(f"[{hidden} hidden, credential or outside-the-root entries not shown]")
        if any(escape_controls(name) != name for name in shown):
            lines.append(ESCAPED_NOTE)
        return "\n".join(lines) if lines else "(empty directory)"

    def read_file(self, args: dict[str, Any], cancel: threading.Event | None = None) -> str:
        real = self.confinement.resolve(args.get("path"))
        if not real.is_file():
            raise Refused(f"{args.get('path')}: not a regular file")
        start = _positive(args.get("start_line"), 1)
        with real.open("rb") as handle:
            if b"\x00" in handle.read(BINARY_PROBE):
                raise Refused(f"{args.get('path')}: a binary file; read_file shows text only")
            handle.seek(0)
            return _numbered_lines(handle, start, real.stat().st_size, self._secrets())

    def search_text(self, args: dict[str, Any], cancel: threading.Event) -> str:
        pattern = args.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise Refused("pattern must be a non-empty string")
        regex, ignore_case = bool(args.get("regex")), bool(args.get("ignore_case"))
        matcher = _matcher(pattern, regex, ignore_case)  # a bad regex is refused here, before any walk
        glob = args.get("glob")
        if glob is not None and not isinstance(glob, str):
            raise Refused("glob must be a string")
        files, note = self._candidates(self.confinement.resolve(args.get("path", ".")), glob)
        # A regex runs in a process that can be stopped: a catastrophic pattern must not hang claudecli.
        forms = self._secrets()
        found = (
            _regex_search(pattern, ignore_case, files, cancel, forms)
            if regex
            else search_files(files, matcher, forms)
        )
        if len(found) >= SEARCH_MATCHES:
            note = f"[stopped at {SEARCH_MATCHES} matches: narrow the search]"
        if note:
            found.append(note)
        return "\n".join(found) if found else "no matches"

    def _candidates(self, start: Path, glob: str | None) -> tuple[list[tuple[Path, str]], str]:
        """The files to search (with the name the model sees), and a note when the walk was cut short."""
        files: list[tuple[Path, str]] = []
        deadline = time.monotonic() + SEARCH_SECONDS
        for path in self._files(start, glob):
            if len(files) >= SEARCH_FILES or time.monotonic() > deadline:
                return files, f"[search stopped after {len(files):,} files: narrow it with path or glob]"
            files.append((path, self.confinement.shown(path)))
        return files, ""

    def _files(self, start: Path, glob: str | None) -> Iterator[Path]:
        """Text-file candidates under ``start`` (itself, if a file) that may be shown, in a stable order."""
        if start.is_file():
            yield start
            return
        for folder, dirs, files in os.walk(start):  # symlinked directories are not followed
            dirs[:] = sorted(name for name in dirs if self.confinement.visible(Path(folder, name)))
            for name in sorted(files):
                path = Path(folder, name)
                if glob and not self._glob_matches(path, glob):
                    continue
                if self.confinement.visible(path):
                    yield path

    def _glob_matches(self, path: Path, glob: str) -> bool:
        """``*.py`` matches by name, ``src/*.py`` by the path under the root (fnmatch: never raises)."""
        return fnmatch.fnmatch(path.name, glob) or fnmatch.fnmatch(self.confinement.shown(path), glob)


def _entry_line(entry: os.DirEntry[str]) -> str:
    name = escape_controls(entry.name)  # one entry, one line: a newline in a name must not fake a second
    try:
        if entry.is_dir():
            return f"{name}/"
        return f"{name}  {entry.stat().st_size} bytes"
    except OSError:
        return f"{name}  (unreadable)"


def _positive(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused("start_line must be a whole number, 1 or more")
    return value


def _numbered_lines(handle: Any, start: int, size: int, forms: tuple[str, ...] = ()) -> str:
    """Lines from ``start`` on, numbered, up to ``READ_LIMIT`` bytes, with a note when there is more.

    Never holds more than a line's first ``READ_LIMIT + 1`` bytes: a file of one endless line (minified code, a
    log without newlines) is shown cut, with a note, and lines before ``start`` are skipped a chunk at a time.
    """
    number = _skip_lines(handle, start - 1)
    if number < start - 1:
        return f"(no lines from line {start}: the file has {number} lines)"
    kept: list[str] = []
    used = 0
    while raw := handle.readline(READ_LIMIT + 1 - used):
        number += 1
        cut = len(raw) > READ_LIMIT - used  # the line goes past what this call may show
        if cut and kept:
            kept.append(f"[file truncated: {size:,} bytes in all; read on with start_line={number}]")
            break
        shown = decode(raw[:READ_LIMIT]) if cut else decode(raw)
        shown = mask_cut(shown, forms, cut_end=True) if cut else shown
        kept.append(f"{number:>6}\t{shown.rstrip(chr(10)).rstrip(chr(13))}")
        if cut:
            kept.append(
                f"[line {number} truncated: showing its first {READ_LIMIT:,} bytes; the file has {size:,} bytes "
                f"in all; read on with start_line={number + 1}]"
            )
            break
        used += len(raw)
    if not kept:
        return f"(no lines from line {start}: the file has {number} lines)"
    return "\n".join(kept)


def _skip_lines(handle: Any, count: int) -> int:
    """Read past ``count`` lines, a bounded chunk at a time; how many there were (fewer at the end of the file)."""
    done = 0
    in_line = False
    while done < count:
        chunk = handle.readline(SKIP_CHUNK)
        if not chunk:
            return done + in_line
        in_line = not chunk.endswith(b"\n")
        done += not in_line
    return done


def _matcher(pattern: str, regex: bool, ignore_case: bool) -> Matcher:
    if regex:
        try:
            compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
        except (re.error, RecursionError, OverflowError) as exc:
            raise Refused(f"invalid regular expression: {exc}") from None
        return regex_matcher(compiled)
    if ignore_case:
        folded = pattern.casefold()
        return lambda line: line.casefold().find(folded)  # a position in the folded line: near enough to show
    return lambda line: line.find(pattern)


def regex_matcher(compiled: re.Pattern[str]) -> Matcher:
    def where(line: str) -> int:
        found = compiled.search(line)
        return -1 if found is None else found.start()

    return where


def search_files(files: list[tuple[Path, str]], matcher: Matcher, forms: tuple[str, ...] = ()) -> list[str]:
    found: list[str] = []
    for path, shown in files:
        found += _matches(path, matcher, shown, SEARCH_MATCHES - len(found), forms)
        if len(found) >= SEARCH_MATCHES:
            break
    return found


def _regex_search(
    pattern: str,
    ignore_case: bool,
    files: list[tuple[Path, str]],
    cancel: threading.Event,
    forms: tuple[str, ...] = (),
) -> list[str]:
    """``_search`` with a regular expression, run by ``claudecli.tools.fs_regex`` in a child process that is
    stopped after ``SEARCH_SECONDS`` or on Ctrl-C (Python's ``re`` cannot be interrupted). That child is
    claudecli's own code, not a tool: it gets the secret forms on stdin (never in its environment) so that a
    shortened line cannot show part of a key."""
    import json
    import sys

    from claudecli.tools.child import python_module_env, run_child

    request = {
        "pattern": pattern,
        "ignore_case": ignore_case,
        "files": [[str(p), shown] for p, shown in files],
        "secret_forms": list(forms),
    }
    done = run_child(
        [sys.executable, "-P", "-m", "claudecli.tools.fs_regex"],
        stdin=json.dumps(request).encode("utf-8", errors="surrogatepass"),
        cwd=Path("/"),
        env=python_module_env({}),
        timeout=SEARCH_SECONDS,
        cancel=cancel,
    )
    if done.timed_out:
        raise Refused(f"the regular expression took longer than {SEARCH_SECONDS:g} s; simplify it")
    if done.cancelled:
        raise Refused("interrupted by the user")
    try:
        found = json.loads(done.stdout)
    except ValueError:
        found = None
    if done.returncode != 0 or not isinstance(found, list):
        raise Refused("the regular expression search failed")
    return [str(line) for line in found]


def _matches(path: Path, matcher: Matcher, shown: str, room: int, forms: tuple[str, ...] = ()) -> list[str]:
    """Matching lines of one text file (binary and oversized files are skipped), its secrets masked. The whole
    line is searched (the file is at most ``SEARCH_FILE_LIMIT`` bytes); a long one is shown as a part around its
    match."""
    try:
        if not path.is_file() or path.stat().st_size > SEARCH_FILE_LIMIT:  # a FIFO would block the read
            return []
        data = path.read_bytes()
    except OSError:
        return []
    if b"\x00" in data[:BINARY_PROBE]:
        return []
    found = []
    # Searched as the model sees the lines, masked: matched raw, a pattern of a key's first characters would
    # tell it, one guess at a time, what the key is.
    for number, line in enumerate(mask(decode(data), forms).splitlines(), start=1):
        at = matcher(line)
        if at >= 0:
            found.append(f"{shown}:{number}: {_excerpt(line, at, forms)}")
            if len(found) >= room:
                break
    return found


def _excerpt(line: str, at: int, forms: tuple[str, ...] = ()) -> str:
    """``line``, or for a long one ``LINE_LIMIT`` characters around position ``at``, with a note (a secret the
    window's edge cuts through is masked whole: ``scrub.mask_cut``)."""
    if len(line) <= LINE_LIMIT:
        return line
    start = min(max(at - LINE_LIMIT // 4, 0), len(line) - LINE_LIMIT)
    end = start + LINE_LIMIT
    window = mask_cut(line[start:end], forms, cut_start=start > 0, cut_end=end < len(line))
    part = ("…" if start else "") + window + ("…" if end < len(line) else "")
    return f"{part} [line shortened: {LINE_LIMIT:,} of {len(line):,} characters shown]"
