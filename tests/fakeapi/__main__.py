"""Run the fake API standalone: `python -m tests.fakeapi [--port N] [--token-delay S] [--latency S]`."""

from __future__ import annotations

import argparse
import sys
import threading

from .server import FakeAnthropic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between streamed deltas")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each response / first event"
    )
    parser.add_argument("--batch-mode", choices=("instant", "manual"), default="instant")
    args = parser.parse_args(argv)
    fake = FakeAnthropic(token_delay=args.token_delay, latency=args.latency, host=args.host, port=args.port)
    fake.batch_mode = args.batch_mode
    fake.start()
    print(fake.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
