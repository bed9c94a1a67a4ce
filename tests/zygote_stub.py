"""The process a tmux pane runs in place of ``python -m claudecli ARGS``: hands its terminal to a zygote child.

Usage: python tests/zygote_stub.py SOCKET ARGS... (as the pane's first process, i.e. its session leader).

It gives up the terminal (TIOCNOTTY), so that the child the zygote forks can make the pane its controlling
terminal in a new session (keys, Ctrl-C and window-size changes then reach the child as they would reach
claudecli started by a shell), waits for the child to end, and then keeps the pane open, as ``sleep 60`` did,
until tmux closes it. Standard library only: it must start in a few milliseconds.
"""

import array
import fcntl
import json
import os
import select
import signal
import socket
import sys
import termios


def main() -> None:
    path, args = sys.argv[1], sys.argv[2:]
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # giving the terminal up hangs up our own group
    fcntl.ioctl(0, termios.TIOCNOTTY)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    umask = os.umask(0o022)
    os.umask(umask)
    request = {"args": args, "env": dict(os.environ), "cwd": os.getcwd(), "session": True, "umask": umask}
    connection.sendmsg(
        [json.dumps(request).encode()],
        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]).tobytes())],
    )
    reader = connection.makefile("rb")
    for line in reader:
        if "status" in json.loads(line):
            break
    waiter = select.poll()
    waiter.register(0, select.POLLHUP)
    waiter.poll(60_000)  # the pane stays readable until the test kills the session (or a minute has passed)


if __name__ == "__main__":
    main()
