"""The one rule for names that become file names: profiles (input history), batch names (collected results).

A name comes from a config file, a ``.env``, a flag or the API (a batch id), and is joined to a directory, so a
name like ``../../x`` would write outside it. A name that becomes a path must be 1 to 64 letters, digits, ``.``,
``_`` or ``-``, start with a letter or a digit, and contain no ``..``. Anything else is refused (exit 2), never
quietly rewritten, so two different names can never land in one file.
"""

from __future__ import annotations

import re

from claudecli.core.errors import UsageError

NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RULE_TEXT = "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'"


def is_safe_name(name: str) -> bool:
    return NAME_RULE.fullmatch(name) is not None and ".." not in name


def check_name(what: str, name: str) -> str:
    """``name`` itself if it may become a file name; otherwise a UsageError naming ``what`` (e.g. "profile")."""
    if not is_safe_name(name):
        raise UsageError(f"{what} {name!r} cannot be used as a file name: {RULE_TEXT}")
    return name
