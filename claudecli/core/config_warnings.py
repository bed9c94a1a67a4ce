"""Warnings about what ``config.toml`` says (an unknown key) are shown once per version of the file.

A typo in the config file is worth one warning, not one on every command a cron job runs for months. The
file's SHA-256 and the warnings already shown for it are kept in ``<cache dir>/config-warnings.json``; any
change to the file shows its warnings again. Deleting that file is harmless (the warnings come back once).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from claudecli.core.fsutil import atomic_write_text
from claudecli.core.paths import Paths

STATE_NAME = "config-warnings.json"


def unseen_warnings(paths: Paths, warnings: list[str]) -> list[str]:
    """The ``warnings`` not yet shown for this version of the config file; remembers them as shown."""
    if not warnings:
        return []
    try:
        digest = hashlib.sha256(paths.config_file.read_bytes()).hexdigest()
    except OSError:
        return list(warnings)
    state_file = paths.cache_dir / STATE_NAME
    state = _read(state_file)
    key = str(paths.config_file)
    entry = state.get(key)
    shown: set[str] = set()
    if isinstance(entry, dict) and entry.get("sha256") == digest and isinstance(entry.get("shown"), list):
        shown = {str(item) for item in entry["shown"]}
    new = [warning for warning in warnings if warning not in shown]
    if new:
        state[key] = {"sha256": digest, "shown": sorted(shown | set(new))}
        with contextlib.suppress(OSError):  # a read-only cache dir: the warning shows again, nothing worse
            atomic_write_text(state_file, json.dumps(state, indent=1, ensure_ascii=False) + "\n")
    return new


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}
