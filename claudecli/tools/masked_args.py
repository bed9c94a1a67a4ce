"""A tool call's arguments as the approval question shows them: every known secret masked.

A model may put a key it saw into a tool call's arguments (``echo sk-ant-…``). The question shows the arguments
on the terminal, in ``ask`` (on ``/dev/tty``) and in ``chat`` (on stderr, and in ``$EDITOR`` for ``e``) alike, so
both show them through :func:`masked_arguments`, with the program's one scrub (``AppContext.scrub``), before any
layout: a value cut to its start and end can then never show half a key.

What the tool receives is unchanged: ``y`` runs the call the model asked for. After ``e`` the person's edit runs
exactly as saved: a value shown masked and left so is sent as ``********``. Putting a secret back where the
person saw a mask cannot be done safely - a mask does not say which secret it hid, nor whether the model wrote
``********`` itself, and values move when items are added or removed - so what was approved is what runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Scrub = Callable[[str], str]


def masked_arguments(value: Any, scrub: Scrub) -> Any:
    """``value`` (JSON values) with every string, keys included, passed through ``scrub``."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        shown: dict[Any, Any] = {}
        for key, item in value.items():
            name = scrub(key) if isinstance(key, str) else key
            if name in shown:  # two keys masked alike must both be seen: a merged one would hide an argument
                name = _distinct(name, shown)
            shown[name] = masked_arguments(item, scrub)
        return shown
    if isinstance(value, list):
        return [masked_arguments(item, scrub) for item in value]
    return value


def _distinct(name: str, taken: dict[Any, Any]) -> str:
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"
