"""Who this process is, durably enough to tell later whether it is still running.

A write-ahead ledger row names the process that sent the call: its pid, the host, and its *start mark* (the
kernel's boot id and the process's start time in clock ticks, from ``/proc``). A later run may declare that
process gone only when it can prove it: same host, and the pid no longer exists, or is a zombie, or belongs to a
process with another start mark (the pid was reused, or the machine rebooted). Age is never proof: a long
``batch run`` is alive. Where ``/proc`` is missing (macOS), only a dead pid is proof.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessMark:
    pid: int
    start: str | None  # "<boot id>:<start ticks>", None where /proc cannot tell
    host: str


def host_name() -> str:
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")


@functools.cache
def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    try:
        text = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def start_ticks(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks after boot (field 22 of stat); None when /proc cannot tell
    (no such process, not Linux). With the pid, what tells a process from a later one given the same pid."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) >= 20 else None


def parent_pid(pid: int) -> int | None:
    """The parent of process ``pid`` (field 4 of stat), or None when /proc cannot tell."""
    fields = _stat_fields(pid)
    return int(fields[1]) if fields is not None and len(fields) >= 2 else None


def start_mark(pid: int) -> str | None:
    """The boot id and start time of process ``pid``, or None when /proc cannot tell."""
    ticks = start_ticks(pid)
    return None if ticks is None else f"{_boot_id()}:{ticks}"


def this_process() -> ProcessMark:
    return _mark_of(os.getpid())  # keyed by pid: a forked child is another process


@functools.cache
def _mark_of(pid: int) -> ProcessMark:
    return ProcessMark(pid, start_mark(pid), host_name())


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] in ("Z", "X")  # type: ignore[index]


def provably_gone(mark: ProcessMark) -> bool:
    """Whether the process ``mark`` names has certainly ended (see the module docstring)."""
    if mark.host != host_name():
        return False  # another machine sharing the data dir: nothing here can prove it
    try:
        os.kill(mark.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, and another user's: the start mark below still tells a reused pid
    current = start_mark(mark.pid)
    if current is None or mark.start is None:
        return False
    return current != mark.start or _is_zombie(mark.pid)
