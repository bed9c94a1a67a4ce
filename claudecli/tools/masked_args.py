"""A tool call's arguments as the approval question shows them: every known secret masked.

A model may put a key it saw into a tool call's arguments (``echo sk-ant-…``). The question shows the arguments
on the terminal, in ``ask`` (on ``/dev/tty``) and in ``chat`` (on stderr, and in ``$EDITOR`` for ``e``) alike, so
both show them through :func:`masked_arguments`, with the program's one scrub (``AppContext.scrub``), before any
layout: a value cut to its start and end can then never show half a key.

What the tool receives is unchanged: ``y`` runs the call the model asked for. After ``e`` the person's edit is
taken as typed, except that a value left exactly as shown (``********`` where a key was) gets its real value back
(:func:`unmasked_edit`): editing one argument must not turn another into ``********``.
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
        return {
            scrub(key) if isinstance(key, str) else key: masked_arguments(item, scrub)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked_arguments(item, scrub) for item in value]
    return value


def unmasked_edit(edited: Any, original: Any, scrub: Scrub) -> Any:
    """``edited`` (what the person saved), where each string left exactly as it was shown of ``original`` (at the
    same place) is ``original``'s again; everything the person changed stays as they typed it."""
    if isinstance(edited, str):
        return original if isinstance(original, str) and edited == scrub(original) else edited
    if isinstance(edited, dict) and isinstance(original, dict):
        shown_keys = {scrub(key) if isinstance(key, str) else key: key for key in original}
        restored: dict[Any, Any] = {}
        for key, item in edited.items():
            was = shown_keys.get(key, key)
            restored[was] = unmasked_edit(item, original[was], scrub) if was in original else item
        return restored
    if isinstance(edited, list) and isinstance(original, list):
        return [
            unmasked_edit(item, original[index], scrub) if index < len(original) else item
            for index, item in enumerate(edited)
        ]
    return edited
