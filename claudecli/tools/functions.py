"""``--functions FILE.py``: the file's typed functions as tools, loaded and run in a worker subprocess.

claudecli never imports the file itself (its process holds the API key): a worker
(``python -m claudecli.tools.functions_worker FILE``, see there for the protocol) does, with the secret-free
child environment, in its own process group. A call that times out or is interrupted stops the worker's group;
the next call starts a fresh worker.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from claudecli.core.errors import UsageError
from claudecli.tools.base import Approval, Tool, ToolCall, ToolResult
from claudecli.tools.child import STDERR_TAIL, kill_group, python_module_env, stderr_tail

LOAD_TIMEOUT = 30.0  # seconds for the worker to import the file
CALL_TIMEOUT = 60.0  # seconds for one function call
_WORKER = "claudecli.tools.functions_worker"
_POLL = 0.05
_EOF = object()


class _Worker:
    """One running worker: a process, a thread reading its answer lines, a thread draining its stderr."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            # -P: the current directory is not put on sys.path (a stray json.py there must not be imported)
            [sys.executable, "-P", "-m", _WORKER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.lines: queue.Queue[Any] = queue.Queue()
        self.stderr = bytearray()
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self.lines.put(line)
        except (OSError, ValueError):
            pass
        self.lines.put(_EOF)

    def _drain(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self.stderr += line.encode("utf-8", "replace")
                del self.stderr[: max(len(self.stderr) - STDERR_TAIL, 0)]
        except (OSError, ValueError):
            pass

    def send(self, message: dict[str, Any]) -> bool:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            return False
        return True

    def receive(self, timeout: float, cancel: threading.Event | None = None) -> tuple[str, Any]:
        """``("ok", message)``, or ``("timeout"|"cancelled"|"gone", None)``."""
        deadline = time.monotonic() + timeout
        while True:
            if cancel is not None and cancel.is_set():
                return "cancelled", None
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", None
            try:
                line = self.lines.get(timeout=min(_POLL, left))
            except queue.Empty:
                continue
            if line is _EOF:
                return "gone", None
            try:
                return "ok", json.loads(line)
            except ValueError:
                continue  # not a protocol line; cannot happen, since the functions' stdout is stderr

    def stop(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        kill_group(self.proc, grace=0.5)
        for stream in (self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):  # a reader thread is still on it; it ends at the closed pipe
                pass


class FunctionTools:
    """The tools of one ``--functions FILE.py``."""

    def __init__(
        self, path: Path, environment: Callable[[], dict[str, str]], *, call_timeout: float = CALL_TIMEOUT
    ) -> None:
        if not path.is_file():
            raise UsageError(f"--functions {path}: no such file")
        self.path = path.resolve()
        self._environment = environment
        self._call_timeout = call_timeout
        self._lock = threading.Lock()
        self.skipped: list[str] = []
        self._worker: _Worker | None = None
        self._tools = self._load()

    def _start(self) -> tuple[_Worker, dict[str, Any]]:
        worker = _Worker(self.path, python_module_env(self._environment()))
        status, hello = worker.receive(LOAD_TIMEOUT)
        if status != "ok" or not isinstance(hello, dict) or not hello.get("ok"):
            worker.stop()
            why = hello.get("error") if isinstance(hello, dict) else None
            if why is None:
                why = f"the worker {'timed out' if status == 'timeout' else 'ended'}"
                tail = stderr_tail(bytes(worker.stderr), 300)
                why += f": {tail}" if tail else ""
            raise UsageError(f"--functions {self.path}: cannot load it: {' '.join(str(why).split())}")
        return worker, hello

    def _load(self) -> list[Tool]:
        self._worker, hello = self._start()
        self.skipped = [str(item) for item in hello.get("skipped", [])]
        try:
            return [
                Tool(
                    str(item["name"]),
                    str(item["description"]),
                    dict(item["input_schema"]),
                    approval=Approval.ASK,
                    source=f"functions:{self.path.name}",
                )
                for item in hello.get("tools", [])
            ]
        except (KeyError, TypeError, ValueError, AttributeError):  # the file wrote to the protocol itself
            self._discard()
            raise UsageError(
                f"--functions {self.path}: the worker sent tools it could not describe"
            ) from None

    def tools(self) -> list[Tool]:
        return list(self._tools)

    def run(self, tool: Tool, call: ToolCall, cancel: threading.Event) -> ToolResult:
        with self._lock:  # one call at a time per worker
            try:
                return self._run(call, cancel)
            except UsageError as exc:  # the file stopped loading between calls (it was edited)
                return ToolResult(call.id, exc.message, is_error=True)
            except BaseException:
                self._discard()
                raise

    def _run(self, call: ToolCall, cancel: threading.Event) -> ToolResult:
        if self._worker is None or self._worker.proc.poll() is not None:
            self._discard()
            self._worker, _ = self._start()
        worker = self._worker
        if not worker.send({"id": call.id, "name": call.name, "input": call.input}):
            self._discard()
            return ToolResult(call.id, "the functions worker ended unexpectedly", is_error=True)
        status, message = worker.receive(self._call_timeout, cancel)
        if status == "ok" and isinstance(message, dict):
            if message.get("ok"):
                return ToolResult(call.id, str(message.get("result", "")))
            return ToolResult(call.id, str(message.get("error", "error")), is_error=True)
        self._discard()
        if status == "timeout":
            text = f"timed out after {self._call_timeout:g} s; the worker was stopped"
        elif status == "cancelled":
            text = "interrupted by the user; the worker was stopped"
        else:
            text = "the functions worker ended unexpectedly"
        return ToolResult(call.id, text, is_error=True)

    def _discard(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def close(self) -> None:
        with self._lock:
            self._discard()
