"""A pre-loaded parent that forks `python -m claudecli` processes for the tests (a "zygote").

Every CLI process would otherwise spend ~1-2.5 s importing the SDK before it does what the test is about, and
hundreds of tests start one. The zygote imports claudecli, the SDK and their dependencies once (under xdist the
controller starts one that every worker shares; alone, a test process starts its own on first use), then forks
a child for each run. A second kind, ``toy``, pre-loads the ``mcp`` package and forks the toy MCP server
(tests/mcp_servers/forked.py). The child is a real, separate process: the test gets its real pid, sends it
real signals, reads its real pipes or pseudo-terminal (a new session with the pty as its controlling terminal,
as pexpect sets up), and its exit status is the real wait status. The child runs ``claudecli.__main__`` exactly as
``python -m claudecli`` does and leaves through the interpreter's normal shutdown.

What a forked child cannot show, and what therefore still starts a fresh interpreter: anything about start-up
itself (which modules load, but for those the zygote never loads, such as ``mcp``; the warm-up's timing, the GC
pause) and the contents of /proc/PID/environ (which
keeps the zygote's original environment). Those tests use ``sys.executable -m claudecli`` directly.

Protocol, over a Unix socket, one connection per child: the client sends one JSON request (``args``, ``env``,
``cwd``, ``umask``, ``session``, optionally ``prelude``, or ``script`` to run ``python SCRIPT ARGS`` instead of
``-m claudecli``) with the child's stdin/stdout/stderr as SCM_RIGHTS descriptors; the zygote replies
``{"pid": N}`` and, when the child has exited, ``{"status": WAITSTATUS}``, then closes the connection. A client
that closes its connection first (it crashed, or was killed) gets its child killed: no child outlives its client.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import json
import os
import pty
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pexpect.fdpexpect

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PRELOAD = {
    "claudecli": (
        "anthropic",
        "genai_prices",
        "prompt_toolkit",
        "claudecli.cli.app",
        "claudecli.cli.registry",
    ),
    # The toy MCP server's imports (tests/mcp_servers/toy.py): it is forked by tests/mcp_servers/forked.py.
    "toy": (
        "anyio",
        "mcp.server.mcpserver",
        "mcp.server.mcpserver.exceptions",
        "mcp.types",
        "mcp.server.stdio",
    ),
}


# --- the zygote process -------------------------------------------------------------------------------------------


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request and its three descriptors (stdin, stdout, stderr); ValueError for anything else, with every
    descriptor that came closed (a stray write end would keep a pipe from ever reaching EOF)."""
    fds = array.array("i")
    message, ancillary, flags, _address = connection.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    try:
        if flags & (socket.MSG_CTRUNC | socket.MSG_TRUNC) or len(fds) != 3:
            raise ValueError(f"a request must come whole with 3 descriptors, not {len(fds)}")
        return json.loads(message), list(fds)
    except ValueError:
        for fd in fds:
            os.close(fd)
        raise


def _preload(kind: str) -> None:
    import importlib

    for name in PRELOAD[kind]:
        importlib.import_module(name)
    if kind == "claudecli":
        from claudecli.cli import registry

        for command in registry.COMMANDS.values():
            importlib.import_module(command.module)
    import gc

    gc.collect()
    gc.freeze()  # children share these pages copy-on-write; collection never walks them


class _Child:
    def __init__(self, request: dict[str, Any], fds: list[int]) -> None:
        self.request = request
        self.fds = fds


def _die_with_parent() -> None:
    """The zygote ends with the test process that started it, even one killed with SIGKILL (Linux)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _end_orphan(
    selector: selectors.BaseSelector,
    key: selectors.SelectorKey,
    waiting: dict[int, tuple[int, socket.socket]],
) -> None:
    """A client that closed its connection before its child ended (a test process that crashed or was killed, a
    launcher killed outright) leaves no child behind: the child is killed, then reaped as any other."""
    if selector.get_map().get(key.fd) is not key:
        return  # its child's exit, handled earlier in the same round, closed it already
    connection = key.fileobj
    assert isinstance(connection, socket.socket)
    try:
        if connection.recv(64):
            return  # not a close (clients send nothing more, but a stray byte is no reason to kill)
    except OSError:
        pass  # reset: closed as well
    with contextlib.suppress(KeyError):
        selector.unregister(connection)
    if any(pid == key.data for pid, _connection in waiting.values()):  # not reaped yet: the pid is still its
        with contextlib.suppress(ProcessLookupError):
            os.kill(key.data, signal.SIGKILL)


def serve(path: str, kind: str) -> _Child:
    """Accept requests until one is forked: returns in the child (the zygote itself loops until killed)."""
    _die_with_parent()
    _preload(kind)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    waiting: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    print("ready", flush=True)
    while True:
        for key, _events in selector.select():
            if isinstance(key.data, int):  # a client's connection: readable only when it closes
                _end_orphan(selector, key, waiting)
            elif key.fileobj is listener:
                connection, _ = listener.accept()
                try:
                    request, fds = _receive(connection)
                except (OSError, ValueError):  # a client that went away before asking: serve the others
                    connection.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    for pidfd in waiting:
                        os.close(pidfd)
                    for _pid, other in waiting.values():
                        other.close()
                    selector.close()
                    listener.close()
                    connection.close()
                    return _Child(request, fds)
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                waiting[pidfd] = (pid, connection)
                selector.register(pidfd, selectors.EVENT_READ, None)
                selector.register(connection, selectors.EVENT_READ, pid)  # a client sends nothing more: EOF
                with contextlib.suppress(OSError):  # the test may have gone away; the child is still reaped
                    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            else:
                pidfd = key.fd
                selector.unregister(pidfd)
                pid, connection = waiting.pop(pidfd)
                os.close(pidfd)
                with contextlib.suppress(KeyError):
                    selector.unregister(connection)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):  # the test may have gone away
                    connection.sendall(json.dumps({"status": status}).encode() + b"\n")
                connection.close()


def _codec(fd: int, like: Any, io_encoding: str) -> tuple[str, str]:
    """Encoding and errors as CPython picks them: the zygote's own (same locale), unless the child's
    PYTHONIOENCODING=[ENCODING][:ERRORS] says otherwise (an ENCODING alone means strict; stderr keeps
    backslashreplace whatever it says)."""
    if not io_encoding:
        return like.encoding, like.errors
    import codecs

    name, _, errors = io_encoding.partition(":")
    encoding = codecs.lookup(name).name if name else like.encoding
    if fd == 2:
        return encoding, like.errors
    return encoding, errors or ("strict" if name else like.errors)


def _std_stream(fd: int, mode: str, like: Any) -> Any:
    """The stream CPython's create_stdio makes for FD: encoding and errors (see _codec), newline "\\n",
    buffered unless PYTHONUNBUFFERED, line-buffered on a tty or for stderr."""
    import io

    buffered = not os.environ.get("PYTHONUNBUFFERED")
    raw_only = not buffered and fd != 0  # CPython keeps stdin's buffer even under PYTHONUNBUFFERED
    binary = open(fd, mode + "b", buffering=0 if raw_only else -1, closefd=False)  # noqa: SIM115
    encoding, errors = _codec(fd, like, os.environ.get("PYTHONIOENCODING", ""))
    stream = io.TextIOWrapper(
        binary,
        encoding=encoding,
        errors=errors,
        newline="\n",
        line_buffering=buffered and (fd == 2 or os.isatty(fd)),
        write_through=not buffered,
    )
    stream.mode = mode
    (binary if raw_only else binary.raw).name = f"<{('stdin', 'stdout', 'stderr')[fd]}>"
    return stream


def run_child(child: _Child) -> None:
    """Become ``python -m claudecli ARGS`` (or ``python SCRIPT ARGS``) in the requested session, directory,
    environment and streams."""
    request, fds = child.request, child.fds
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if request["session"]:
        os.setsid()
    _die_with_parent()  # a child still running when its zygote is stopped ends with it, not as an orphan
    os.umask(request["umask"])
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    if request["session"] and os.isatty(0):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    sys.stdin = _std_stream(0, "r", sys.__stdin__)
    sys.stdout = _std_stream(1, "w", sys.__stdout__)
    sys.stderr = _std_stream(2, "w", sys.__stderr__)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    if request.get("prelude"):  # a test's probe, run as the first lines of the program would be
        exec(compile(request["prelude"], "<prelude>", "exec"), {"__name__": "__prelude__"})
    import runpy

    if request.get("script"):  # `python SCRIPT ARGS`
        sys.argv = [request["script"], *request["args"]]
        sys.path[0] = os.path.dirname(request["script"])
        runpy.run_path(request["script"], run_name="__main__")
        return
    sys.argv = ["-m", *request["args"]]
    sys.path[0] = request["cwd"]
    runpy._run_module_as_main("claudecli")  # what `python -m` calls


# --- the test side ------------------------------------------------------------------------------------------------


def _shared_variable(kind: str) -> str:
    return f"ZYGOTE_SOCKET_{kind.upper()}"


def _zygote_env() -> dict[str, str]:
    """The zygote's environment: no test's settings (nothing a module might read at import time may come from
    the first test to fork), CPython's own stream codecs (a child applies its PYTHONIOENCODING, see _codec),
    and the project importable."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ANTHROPIC_", "CLAUDECLI_", "ZYGOTE_", "PYTEST_"))
        and name not in {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "PYTHONIOENCODING"}
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Zygote:
    """One zygote process of each kind for this test process (started on first use, stopped at exit): ``claudecli``
    forks the CLI, ``toy`` the toy MCP server."""

    _instances: ClassVar[dict[str, Zygote]] = {}
    _lock = threading.Lock()

    shared_pid = 0  # of a zygote the controller shares (see share), else 0

    def __init__(self, kind: str = "claudecli", *, wait: bool = True) -> None:
        self.directory = tempfile.mkdtemp(prefix="zygote-")
        self.path = os.path.join(self.directory, "socket")
        self.env = _zygote_env()
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "tests.zygote", self.path, kind],
            stdout=subprocess.PIPE if wait else subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=self.env,
            cwd=str(PROJECT_ROOT),
            start_new_session=True,
        )
        if wait:
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"the test zygote did not start: {line!r}")

    @classmethod
    def share(cls, kind: str) -> None:
        """Start a zygote of KIND for every xdist worker of this session, without waiting for it (called by the
        controller before the workers start): one pre-load instead of one per worker. Its pid and socket go to
        the workers in an environment variable, which base_env's CLAUDECLI_*/ANTHROPIC_* filter leaves alone
        and which no claudecli process reads."""
        zygote = cls._instances[kind] = Zygote(kind, wait=False)
        assert zygote.process is not None
        os.environ[_shared_variable(kind)] = f"{zygote.process.pid}:{zygote.path}"
        import atexit

        atexit.register(zygote.stop)

    @classmethod
    def _shared(cls, kind: str) -> Zygote | None:
        """A handle on the controller's zygote of KIND (see ``share``) once it listens; None if there is none or it
        died (the worker then starts its own, as without xdist)."""
        pid_text, _, path = os.environ.get(_shared_variable(kind), "").partition(":")
        if not path:
            return None
        zygote = cls.__new__(cls)  # no process of ours: the controller stops it
        zygote.directory, zygote.path, zygote.env, zygote.process = "", path, _zygote_env(), None
        zygote.shared_pid = int(pid_text)
        deadline = time.monotonic() + 120  # the controller started it as the session began: it is pre-loading
        while zygote.alive and time.monotonic() < deadline:
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                return zygote  # the zygote sees a client that asks nothing, and goes on
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.05)
            finally:
                probe.close()
        os.environ.pop(_shared_variable(kind))  # do not wait for it again
        return None

    @property
    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            with open(f"/proc/{self.shared_pid}/stat") as stat:
                return stat.read().rpartition(")")[2].split()[0] != "Z"  # a zombie: it died, unreaped
        except FileNotFoundError:
            return False

    @classmethod
    def get(cls, kind: str = "claudecli") -> Zygote:
        with cls._lock:
            zygote = cls._instances.get(kind)
            if zygote is None or not zygote.alive:
                zygote = cls._shared(kind)
            if zygote is None:
                zygote = Zygote(kind)
                import atexit

                atexit.register(zygote.stop)
            cls._instances[kind] = zygote
            return zygote

    def stop(self) -> None:
        if self.process is not None:  # an attached zygote is the controller's to stop
            self.process.kill()
            self.process.wait()
            shutil.rmtree(self.directory, ignore_errors=True)

    def _refuse_start_up_differences(self, env: dict[str, str]) -> None:
        """What the interpreter or a pre-imported module reads only at start-up cannot differ from the zygote's
        (PYTHONIOENCODING may: the child builds its streams with it, see _codec)."""
        fixed = [
            name
            for name in {*env, *self.env}
            if (name.startswith(("PYTHON", "LC_")) and name not in {"PYTHONPATH", "PYTHONIOENCODING"})
            or name in {"LANG", "ANTHROPIC_LOG"}
        ]
        differing = sorted(name for name in fixed if env.get(name) != self.env.get(name))
        if differing:
            raise ValueError(
                f"{', '.join(differing)} differ from the zygote's start-up environment: "
                "run this test's process as a fresh interpreter"
            )

    def fork(
        self,
        args: Sequence[str],
        env: dict[str, str],
        cwd: str,
        fds: Sequence[int],
        session: bool,
        prelude: str = "",
    ) -> tuple[int, socket.socket]:
        self._refuse_start_up_differences(env)
        umask = os.umask(0o022)
        os.umask(umask)
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(self.path)
        request = {
            "args": list(args),
            "env": env,
            "cwd": cwd,
            "session": session,
            "prelude": prelude,
            "umask": umask,
        }
        connection.sendmsg(
            [json.dumps(request).encode()],
            [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())],
        )
        line = b""
        while not line.endswith(b"\n"):  # byte by byte: the exit report may follow at once and is _Status's
            chunk = connection.recv(1)
            if not chunk:
                raise RuntimeError("the test zygote went away")
            line += chunk
        reply = json.loads(line)
        return int(reply["pid"]), connection


class _Status:
    """The zygote's report of one child's exit, read from its connection."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.status: int | None = None

    def poll(self, timeout: float | None) -> int | None:
        """The raw wait status, or None if the child is still running after TIMEOUT seconds (None: forever)."""
        while self.status is None:
            if b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                message = json.loads(line)
                if "status" in message:
                    self.status = int(message["status"])
                    self.connection.close()
                continue
            self.connection.settimeout(timeout)
            try:
                data = self.connection.recv(4096)
            except (TimeoutError, BlockingIOError):
                return None
            if not data:
                raise RuntimeError("the test zygote went away before reporting a child's exit")
            self.buffer += data
        return self.status


class ForkedPopen(subprocess.Popen):
    """``subprocess.Popen([python, -m, claudecli, *ARGS], ...)``, forked from the zygote.

    Pipes, ``communicate``, ``send_signal``, ``kill`` and ``returncode`` behave as Popen's; only the creation of
    the process and the wait for it differ.
    """

    def __init__(self, args: Sequence[str], **kwargs: Any) -> None:
        self._claudecli_args = list(args)
        self._start_new_session = bool(kwargs.pop("start_new_session", False))
        self._prelude = str(kwargs.pop("prelude", ""))
        super().__init__([sys.executable, "-m", "claudecli", *args], **kwargs)

    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, *rest):
        (_startupinfo, _creationflags, _shell, p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite) = (
            rest[:9]
        )
        inherited = [
            p2cread if p2cread != -1 else 0,
            c2pwrite if c2pwrite != -1 else 1,
            errwrite if errwrite != -1 else 2,
        ]
        environment = dict(os.environ if env is None else env)
        self.pid, connection = Zygote.get().fork(
            self._claudecli_args,
            {str(k): str(v) for k, v in environment.items()},
            str(cwd or os.getcwd()),
            inherited,
            self._start_new_session,
            self._prelude,
        )
        self._exit = _Status(connection)
        self._child_created = True  # as Popen: __del__ keeps a still-running child in subprocess._active
        # As Popen does: close the child's ends of the pipes made here, never a descriptor the caller passed.
        for child_end, parent_end in ((p2cread, p2cwrite), (c2pwrite, c2pread), (errwrite, errread)):
            if child_end != -1 and parent_end != -1:
                os.close(child_end)
        if hasattr(self, "_devnull"):
            os.close(self._devnull)
            del self._devnull

    def _internal_poll(self, _deadstate=None, **_ignored):
        if self.returncode is None:
            status = self._exit.poll(0)
            if status is not None:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def _wait(self, timeout):
        if self.returncode is None:
            status = self._exit.poll(timeout)
            if status is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def run_forked(args: Sequence[str], *, input: bytes | None = None, timeout: float = 60, **kwargs: Any):
    """``subprocess.run`` for claudecli ARGS through the zygote (capture_output, check and text work alike)."""
    capture = kwargs.pop("capture_output", False)
    check = kwargs.pop("check", False)
    if capture:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    if input is not None or kwargs.get("stdin") is None:
        kwargs.setdefault("stdin", subprocess.PIPE if input is not None else subprocess.DEVNULL)
    with ForkedPopen(args, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if check:
        done.check_returncode()
    return done


class ForkedSpawn(pexpect.fdpexpect.fdspawn):
    """``pexpect.spawn(python, [-m, claudecli, *ARGS], ...)``, forked from the zygote onto a new pty.

    The child is a session leader with the pty as its controlling terminal, so Ctrl-C typed into it is the
    terminal's SIGINT to its foreground group, as with pexpect.spawn.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: dict[str, str],
        dimensions: tuple[int, int] = (24, 80),
        timeout: float = 30,
        encoding: str | None = None,
        cwd: str | None = None,
        prelude: str = "",
    ) -> None:
        master, slave = pty.openpty()
        rows, columns = dimensions
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        try:
            self.pid, connection = Zygote.get().fork(
                list(args), env, cwd or os.getcwd(), [slave, slave, slave], True, prelude
            )
        finally:
            os.close(slave)
        self._exit = _Status(connection)
        super().__init__(master, timeout=timeout, encoding=encoding)
        self.own_fd = True
        self.exitstatus: int | None = None
        self.signalstatus: int | None = None
        self.status: int | None = None

    def _control(self, index: int, fallback: bytes) -> None:
        try:
            char = termios.tcgetattr(self.child_fd)[6][index]
        except termios.error:
            char = fallback
        os.write(self.child_fd, char if isinstance(char, bytes) else bytes([char]))

    def sendintr(self) -> None:
        self._control(termios.VINTR, b"\x03")

    def sendeof(self) -> None:
        self._control(termios.VEOF, b"\x04")

    def _record(self, status: int | None) -> bool:
        if status is None:
            return False
        self.status = status
        if os.WIFSIGNALED(status):
            self.signalstatus, self.exitstatus = os.WTERMSIG(status), None
        else:
            self.exitstatus, self.signalstatus = os.WEXITSTATUS(status), None
        return True

    def isalive(self) -> bool:
        return self.status is None and not self._record(self._exit.poll(0))

    def wait(self) -> int | None:
        if self.status is None:
            self._record(self._exit.poll(None))
        return self.exitstatus

    def kill(self, sig: int) -> None:
        if self.isalive():
            os.kill(self.pid, sig)

    def terminate(self, force: bool = False) -> bool:
        for sig in (signal.SIGHUP, signal.SIGINT, *((signal.SIGKILL,) if force else ())):
            if not self.isalive():
                return True
            os.kill(self.pid, sig)
            self._record(self._exit.poll(0.2))
        return not self.isalive()

    def close(self, force: bool = True) -> None:
        """Close the pty; like pexpect.spawn.close, end the child if it is still running, then reap it."""
        if self.child_fd != -1:
            super().close()
        if self.status is None and self._record(self._exit.poll(0.1)) is False:
            self.terminate(force=force)
        self.wait()


if __name__ == "__main__":
    forked = serve(sys.argv[1], sys.argv[2])
    run_child(forked)
