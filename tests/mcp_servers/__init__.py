"""Tiny MCP servers the tests start as real subprocesses (run with ``python FILE``).

The toy server is started through ``forked.py``, which has the toy zygote fork it pre-loaded (see there);
``raw.py`` needs no ``mcp`` package and starts directly.
"""

from __future__ import annotations

from pathlib import Path

SERVERS = Path(__file__).resolve().parent
TOY = SERVERS / "toy.py"
RAW = SERVERS / "raw.py"


def toy_args(*args: str) -> list[str]:
    """The arguments after ``sys.executable`` that start ``toy.py ARGS`` as a stdio MCP server (forked)."""
    from tests.zygote import Zygote

    return ["-S", str(SERVERS / "forked.py"), Zygote.get("toy").path, str(TOY), *args]
