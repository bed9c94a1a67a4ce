"""Running a tool's process: a secret-free environment, its own process group, a timeout, capped output.

Every process a tool starts (a ``[tools.NAME]`` command, ``run_command``, the ``--functions`` worker) goes
through here, so three rules hold for all of them:

* Its environment is this process's minus every variable whose *name* is a credential claudecli knows
  (``SECRET_VARIABLES``) or whose *value* contains a secret the settings know (the scrubber's list, in every
  written form: so a key copied into ``MY_INNOCENT_VAR`` is dropped too).
* It starts in a new session (its own process group, no controlling terminal): on a timeout or Ctrl-C the
  whole group is stopped, SIGTERM first, SIGKILL after a short grace; when the command itself exits, whatever it
  left running in its group is stopped the same way.
* Its output is read as it comes and kept only up to a cap (a tool printing forever cannot fill memory).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claudecli.core.interrupt import HeldCtrlC

# Credentials by name: the ecosystem's and claudecli's own spellings, and the SDK's header variable (which may
# carry an Authorization header).
SECRET_VARIABLES = frozenset(
    {
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_ADMIN_KEY",
        "ANTHROPIC_CUSTOM_HEADERS",
        "CLAUDECLI_API_KEY",
        "CLAUDECLI_AUTH_TOKEN",
        "CLAUDECLI_ADMIN_KEY",
        "CLAUDECLI_API_KEY_COMMAND",
    }
)

KILL_GRACE = 1.0  # seconds between SIGTERM and SIGKILL
OUTPUT_LIMIT = 1_000_000  # bytes kept of a child's stdout (stderr keeps its last STDERR_TAIL bytes)
STDERR_TAIL = 4_000
_POLL = 0.02


def child_environment(
    forms: Iterable[str], environ: Mapping[str, str] | None = None, secret_names: Iterable[str] = ()
) -> dict[str, str]:
    """``environ`` (default: this process's) without credentials by name or by value (``forms``: every written
    form of every known secret, as ``Scrubber.forms()`` lists them)."""
    source = os.environ if environ is None else environ
    names = SECRET_VARIABLES | set(secret_names)
    forms = tuple(form for form in forms if form)
    return {
        name: value
        for name, value in source.items()
        if name not in names
        and not any(form in value for form in forms)
        and not _proxy_with_login(name, value)
    }


_LOGIN = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/@]*@")


def _proxy_with_login(name: str, value: str) -> bool:
    """A ``*_proxy`` variable (any case, any scheme) whose URL carries a login (``user@`` or ``user:pw@``):
    dropped whatever the password's length or the URL's shape, which the scrubber's list cannot promise."""
    return name.lower().endswith("_proxy") and _LOGIN.match(value) is not None


@dataclass
class ChildRun:
    """What a child did: its exit code (None when it was stopped), its output, and why it was stopped."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    stdout_total: int  # bytes it wrote to stdout, kept or not
    timed_out: bool = False
    cancelled: bool = False
    start_error: str | None = None  # it could not be started at all: "program not found: x"

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not (self.timed_out or self.cancelled or self.start_error)


class _Reader(threading.Thread):
    """Drains one pipe to its end, keeping the first ``limit`` bytes (or, with ``tail``, the last)."""

    def __init__(self, stream: object, limit: int, *, tail: bool = False) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._limit = limit
        self._tail = tail
        self.data = bytearray()
        self.total = 0

    def run(self) -> None:
        read = getattr(self._stream, "read1", None) or self._stream.read  # type: ignore[attr-defined]
        try:
            while chunk := read(65536):
                self.total += len(chunk)
                if self._tail:
                    self.data += chunk
                    del self.data[: max(len(self.data) - self._limit, 0)]
                elif len(self.data) < self._limit:
                    self.data += chunk[: self._limit - len(self.data)]
        except (OSError, ValueError):  # the pipe was closed under us: the child is gone
            pass


def kill_group(proc: subprocess.Popen[Any], grace: float = KILL_GRACE) -> None:
    """Stop ``proc``'s whole process group: SIGTERM, then SIGKILL for whatever is left after ``grace``."""
    if not hasattr(os, "killpg"):  # pragma: no cover  (Windows: no process groups to speak of)
        proc.kill()
        proc.wait()
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.wait()
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, so only live members keep the group alive
        if not group_alive(proc.pid):
            break
        time.sleep(_POLL)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def group_alive(pgid: int) -> bool:
    """Whether process group ``pgid`` has a member that is not a zombie (an orphan that init never reaped)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no /proc (macOS): a signal-able group is alive
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def run_child(
    argv: list[str],
    *,
    stdin: bytes,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    cancel: threading.Event,
    output_limit: int = OUTPUT_LIMIT,
) -> ChildRun:
    """Run ``argv`` to its end, its timeout or ``cancel``; never raises for the child's own failure.

    A KeyboardInterrupt while waiting stops the child's group and is raised again (the loop stops).
    """
    # A Ctrl-C while the child starts, before the watch below, would leave its group running: it is held
    # until the watch begins, then delivered there, where the group is stopped for it.
    ctrl_c = HeldCtrlC().hold()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except FileNotFoundError:
        ctrl_c.release()
        return ChildRun(None, b"", b"", 0, start_error=f"program not found: {argv[0]}")
    except OSError as exc:
        ctrl_c.release()
        return ChildRun(None, b"", b"", 0, start_error=f"cannot run {argv[0]}: {exc.strerror}")
    timed_out = cancelled = False
    out = _Reader(proc.stdout, output_limit)
    err = _Reader(proc.stderr, STDERR_TAIL, tail=True)
    try:
        ctrl_c.release()
        out.start()
        err.start()
        _feed(proc, stdin)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if cancel.is_set():
                cancelled = True
                break
            if time.monotonic() >= deadline:
                timed_out = True
                break
            time.sleep(_POLL)
    except BaseException:
        kill_group(proc)
        raise
    kill_group(proc, grace=KILL_GRACE if (timed_out or cancelled) else 0.2)
    out.join(1.0)
    err.join(1.0)
    for stream in (proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            stream.close()  # type: ignore[union-attr]
    code = None if (timed_out or cancelled) else proc.returncode
    return ChildRun(code, bytes(out.data), bytes(err.data), out.total, timed_out, cancelled)


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    """Write the child's input on a thread (a child that does not read it must not block us) and close it."""
    stdin = proc.stdin
    if stdin is None:
        return

    def write() -> None:
        try:
            stdin.write(data)
        except (BrokenPipeError, OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(BrokenPipeError, OSError):
                stdin.close()

    threading.Thread(target=write, daemon=True).start()


def stderr_tail(data: bytes, limit: int = 2_000) -> str:
    """The last ``limit`` characters of a child's stderr, as text.

    A tail that was cut (here, or by the reader that keeps only the last ``STDERR_TAIL`` bytes) starts at its
    first whole word: the cut may fall inside a key the child printed, and the masking that comes later cannot
    recognise a key's second half (a key has no blank in it)."""
    text = data.decode("utf-8", errors="replace").strip()
    if len(text) <= limit and len(data) < STDERR_TAIL:
        return text
    tail = text[-limit:]
    blank = re.search(r"\s", tail)
    return "…" + (tail[blank.end() :].lstrip() if blank else "")


def outcome_text(run: ChildRun, timeout: float) -> tuple[str, bool]:
    """A child's result for the model: ``(text, is_error)``. stdout is the result; a failure says why, with the
    tail of stderr."""
    if run.start_error:
        return run.start_error, True
    if run.timed_out:
        return f"timed out after {timeout:g} s; its processes were stopped", True
    if run.cancelled:
        return "interrupted by the user; its processes were stopped", True
    output = run.stdout.decode("utf-8", errors="replace")
    if run.stdout_total > len(run.stdout):
        output += f"\n[output truncated: showing the first {len(run.stdout):,} of {run.stdout_total:,} bytes]"
    if run.returncode != 0:
        tail = stderr_tail(run.stderr)
        return f"exit code {run.returncode}" + (f"\nstderr:\n{tail}" if tail else ""), True
    return output, False


def python_module_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with claudecli's own directory on PYTHONPATH, so ``python -P -m claudecli...`` finds it from any
    install (``-P`` keeps the current directory off sys.path)."""
    import claudecli

    home = str(Path(claudecli.__file__).resolve().parent.parent)
    existing = env.get("PYTHONPATH")
    return {**env, "PYTHONPATH": home + (os.pathsep + existing if existing else "")}
