"""``python forked.py SOCKET SCRIPT ARGS...``: run ``python SCRIPT ARGS`` as a child of the toy zygote.

The toy MCP server spends ~1.5 s importing the ``mcp`` package before it serves, and the suite starts dozens of
them. A test's config names this launcher instead: claudecli starts it as it would start any server (its own
session, pipes for stdin, stdout and stderr, the server environment claudecli chose), and the launcher hands
those three descriptors, its environment and its directory to the zygote (tests/zygote.py, kind ``toy``), which
forks a pre-loaded child to run SCRIPT. The child is the real server: it reads the real stdin, writes the real
stdout and stderr, and reports its own pid.

The launcher then stands in for the child towards claudecli: it closes its copies of stdin and stdout (so EOF
still means the server is gone; it keeps stderr only to report a failure of its own), passes on SIGTERM, SIGINT
and SIGHUP, and exits as the child did (its code, or the same signal). If the launcher is killed outright
(SIGKILL after the grace period), its connection to the zygote closes and the zygote kills the child.
Standard library only: it must start in a few milliseconds.
"""

import array
import contextlib
import json
import os
import signal
import socket
import sys


def main() -> None:
    path, script, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    umask = os.umask(0o022)
    os.umask(umask)
    request = {
        "args": args,
        "script": script,
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "session": False,
        "umask": umask,
    }
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    connection.sendmsg(
        [json.dumps(request).encode()],
        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]).tobytes())],
    )
    for fd in (0, 1):
        os.close(fd)
    reader = connection.makefile("rb")
    try:  # by pidfd, so that a signal never reaches a reused pid
        child: int | None = os.pidfd_open(int(json.loads(reader.readline())["pid"]))
    except ProcessLookupError:  # it ended (and was reaped) already: its status follows
        child = None

    def pass_on(number: int, _frame: object) -> None:
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(child, number)

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, pass_on)
    for line in reader:
        message = json.loads(line)
        if "status" in message:
            exit_as(os.waitstatus_to_exitcode(message["status"]))
    sys.exit(1)  # the zygote went away without a report


def exit_as(code: int) -> None:
    """Exit with CODE, or, for a child ended by a signal (negative CODE), end by that signal too."""
    if code < 0:
        with contextlib.suppress(OSError):  # SIGKILL and SIGSTOP keep their default action anyway
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


if __name__ == "__main__":
    main()
