"""When a batch command may write its results over a file that is already there.

The rule for ``batch results -o``, ``batch submit --wait -o`` and ``batch collect --out-dir`` (``batch run -o``
appends to its file and has its own rule, see ``resume``; its input is guarded here too):

* never over the command's own input: the file submitted or run, or the journaled input of the batch whose
  results these are. Same file means same inode, so a hard link or a symlink to it counts; ``--force`` does not
  change this.
* never over something that is not a regular file (``/dev/null``, a FIFO): a rename would replace the device
  node or the link itself, not write into it. Leave out ``-o`` to write to stdout.
* a regular file that is not a claudecli results file *of this batch* is refused unless ``--force`` is given,
  as ``gh release download`` refuses without ``--clobber`` and ``files download`` without ``--force``. A
  results file is recognised by its content, as the format being written: jsonl, every line an object with a
  string ``custom_id`` and one of the outcomes; csv, claudecli's header, then rows of its columns; text, a
  record header (``==> id <==``) first. That is checked before anything is downloaded. *Of this batch*: its
  custom_ids (text: those of its record header lines) are those of the results just downloaded, no more and no fewer
  (an answer may itself hold a header line: another batch's answers could include every one of this file's),
  checked once they are complete in their temp file, before it is renamed over the old file (so re-running
  ``results -o`` for the same batch overwrites it without ``--force``). Equal ids are not enough: the journal
  must also say this batch's results went to that file, or the file must hold exactly the new bytes (two
  inputs of as many lines share the generated ids ``line-000001``...).
* an empty file holds nothing to lose and is overwritten.
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.batch.output import CSV_HEADER, OUTCOMES
from claudecli.core.errors import UsageError

if TYPE_CHECKING:
    from claudecli.batch.journal import Journal

TEXT_HEADER = re.compile(r"==> (\S+)(?: \[\w+\])? <==\n")  # the custom_id; an outcome other than success


@dataclass(frozen=True)
class Overwrite:
    """What a command may write over: ``force`` (its ``--force``), never its ``inputs``.

    ``follow_links``: a symbolic link at the path is written through, as ``>`` does, for a path the user named
    (``-o``). ``collect`` names its files itself, inside ``--out-dir``: a link found there (planted in a shared
    folder, say) is not followed but refused as "not a regular file", so nothing is written outside DIR.
    """

    force: bool = False
    inputs: tuple[Path, ...] = ()
    option: str = "-o"
    follow_links: bool = True

    def with_inputs(self, *paths: str | Path | None) -> Overwrite:
        more = tuple(Path(path) for path in paths if path is not None)
        return replace(self, inputs=self.inputs + more)


def through_links(path: Path) -> Path:
    """Where results for ``path`` are written: a symbolic link's target (as ``>`` in a shell writes through
    it), not the link, which a rename would replace with a plain file; the checks then look at that target.
    As with ``>``, a link into a folder that does not exist is refused rather than the folder made."""
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise UsageError(f"{path}: is a link into a folder that does not exist ({target.parent})")
    return target


def still_through(path: Path, target: Path) -> None:
    """Before the rename: ``path`` must still lead to ``target`` (a link changed meanwhile would have the
    checks and the write look at two different files)."""
    if through_links(path) != target:
        raise UsageError(f"{path}: changed while the results were written; nothing was written")


def same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except (OSError, ValueError):
        return False


def refuse_input(path: Path, inputs: tuple[Path, ...], option: str = "-o") -> None:
    """Whatever the flags, results never go over the input (see the module docstring)."""
    if any(same_file(path, source) for source in inputs):
        raise UsageError(
            f"{path}: is the input of this batch; results are never written over it",
            hint=f"give {option} another {'directory' if option == '--out-dir' else 'file'}",
        )


def refuse_batch_results(journal: Journal, out: Path, run_input: Path) -> None:
    """``batch run -o`` resumes a file by its custom_ids; a batch's results file of another input holds the
    same generated ids (``line-000001``...) and would pass for a finished run: every line skipped, exit 0, the
    other input's answers left as this one's. The journal knows which files hold which batch's results."""
    for part in journal.parts_written_to(os.path.realpath(out)):
        if not same_file(Path(part.input_path), run_input):
            raise UsageError(
                f"{out}: holds the results of batch {part.batch_id} (input {part.input_path}); batch run "
                "appends only to an earlier run's output of the same input",
                hint="give -o a new file",
            )


def refuse_results_not_ours(journal: Journal, out: Path, own: set[str]) -> None:
    """``submit --wait -o``, before anything is sent: results of batches about to be created can replace only
    a file that holds no results yet or, says the journal, results of this submission's own batches (``own``).
    Anything else would be refused once the batch has run and been paid for (see ``check_after``)."""
    target = through_links(out)
    if not target.is_file() or target.stat().st_size == 0:
        return
    claimants = journal.parts_written_to(os.path.realpath(target))
    if any(part.batch_id in own for part in claimants):
        return
    whose = f"batch {claimants[0].batch_id}" if claimants else "ones the batch journal does not know"
    raise UsageError(
        f"{out}: holds results that are not this submission's ({whose}); it is left as it is and nothing "
        "was sent",
        hint="give -o another file (a dated name in a nightly job); --force overwrites it",
    )


def check_before(path: Path, fmt: str, rule: Overwrite) -> None:
    """Before anything is downloaded: the input, anything but a regular file, and (without --force) a file
    that is not claudecli results in ``fmt``."""
    _existing_keys(path, fmt, rule)


def check_after(path: Path, written: Path, fmt: str, rule: Overwrite, *, journaled: bool) -> None:
    """With the new results complete in ``written``: refuse to replace another batch's results at ``path``
    (checked again in full: the file may have changed while the results were downloading).

    ``journaled``: the journal says this batch's results were written to ``path``. Without that word, equal
    custom_ids prove nothing (``batch run -o``, a shell redirect or another tool writes the same
    ``line-000001``...): the file is then replaced only when it already holds exactly these bytes.
    """
    kept = _existing_keys(path, fmt, rule)
    if kept and kept != record_keys(written, fmt):  # equal, not included: text answers may hold header lines
        raise UsageError(
            f"{path}: holds results that are not this batch's; it is left as it is and nothing was "
            "written (--force overwrites it)"
        )
    if kept and not journaled and not filecmp.cmp(path, written, shallow=False):
        raise UsageError(
            f"{path}: holds results the batch journal does not know as this batch's (written by `batch run`, "
            "a redirect or another tool?); it is left as it is and nothing was written (--force overwrites it)"
        )


def _existing_keys(path: Path, fmt: str, rule: Overwrite) -> set[str] | None:
    """The keys of the results file at ``path``; None when there is none, or with --force."""
    refuse_input(path, rule.inputs, rule.option)
    try:
        mode = (os.stat if rule.follow_links else os.lstat)(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{path}: cannot look at it: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):  # only when not following links: a file collect named inside DIR
        raise UsageError(
            f"{path}: is a symbolic link; {rule.option} files are written inside the folder, never through a "
            "link found there",
            hint="move the link away",
        )
    if not stat.S_ISREG(mode):
        raise UsageError(
            f"{path}: is not a regular file; results are written to a new or regular file",
            hint="leave out -o to write them to stdout" if rule.option == "-o" else None,
        )
    if rule.force:
        return None
    keys = record_keys(path, fmt)
    if keys is None:
        raise UsageError(
            f"{path}: exists and is not a claudecli {fmt} results file; "
            "it is left as it is (--force overwrites it)"
        )
    return keys


def record_keys(path: Path, fmt: str) -> set[str] | None:
    """The custom_ids of a claudecli results file in ``fmt`` (text: its record header lines); None when the
    file is something else."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            if fmt == "csv":
                return _csv_keys(handle)
            if fmt == "text":
                return _text_keys(handle)
            return _jsonl_keys(handle)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _jsonl_keys(lines: Iterator[str]) -> set[str] | None:
    keys: set[str] = set()
    for line in lines:
        doc = None
        if line.endswith("\n"):
            with contextlib.suppress(ValueError, RecursionError):
                doc = json.loads(line)
        if not (
            isinstance(doc, dict) and isinstance(doc.get("custom_id"), str) and doc.get("status") in OUTCOMES
        ):
            return None
        keys.add(doc["custom_id"])
    return keys


def _csv_keys(lines: Iterator[str]) -> set[str] | None:
    rows = csv.reader(lines, strict=True)
    header = next(rows, None)
    if header is None:
        return set()
    if tuple(header) != CSV_HEADER:
        return None
    keys: set[str] = set()
    for row in rows:
        if len(row) != len(CSV_HEADER) or row[1] not in OUTCOMES:
            return None
        keys.add(row[0])
    return keys


def _text_keys(lines: Iterator[str]) -> set[str] | None:
    keys: set[str] = set()
    for number, line in enumerate(lines):
        header = TEXT_HEADER.fullmatch(line)
        if header:
            keys.add(header[1])  # the id alone: a resubmission's outcome may differ line by line
        elif number == 0:
            return None
    return keys
