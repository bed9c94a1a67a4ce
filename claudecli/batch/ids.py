"""custom_ids: the API's pattern, deterministic ids for lines that bring none, uniqueness in a file."""

from __future__ import annotations

import re
from typing import Any

CUSTOM_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
GENERATED_PREFIX = "line-"


class LineError(Exception):
    """One input line is wrong; the message is the reason shown after ``FILE:LINE:``."""


def generated_id(line_no: int) -> str:
    """The id of a line that brings none: from its line number, zero-padded so ids sort in input order."""
    return f"{GENERATED_PREFIX}{line_no:06d}"


def checked_id(value: Any, field: str) -> str:
    """A custom_id given in the input (a string, or a whole number for the short form's ``id``)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise LineError(f"{field} must be a string, got {type(value).__name__}")
    text = str(value)
    if not CUSTOM_ID_PATTERN.match(text):
        raise LineError(f"{field} {text!r} must be 1-64 characters of letters, digits, '_' or '-'")
    return text


class UniqueIds:
    """Remembers every custom_id seen (and its line) so a duplicate names both lines."""

    def __init__(self) -> None:
        self._lines: dict[str, int] = {}

    def claim(self, custom_id: str, line_no: int) -> None:
        first = self._lines.setdefault(custom_id, line_no)
        if first != line_no:
            raise LineError(f"custom_id {custom_id!r} is already used on line {first}")

    def __contains__(self, custom_id: object) -> bool:
        return custom_id in self._lines

    def __len__(self) -> int:
        return len(self._lines)
