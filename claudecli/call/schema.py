"""``--schema``: a JSON Schema file, inline JSON, or a short form like ``"name, age int, tags list[str]"``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from claudecli.core.errors import UsageError
from claudecli.core.fsutil import TEXT_FILE_LIMIT, read_capped

_SCALARS = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
}
_FIELD = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\s+(?P<type>.+))?$")
_LIST = re.compile(r"^list\[(?P<item>[a-z]+)\]$")


def _type_schema(spelling: str) -> dict[str, Any]:
    spelling = spelling.strip().lower()
    if spelling in _SCALARS:
        return {"type": _SCALARS[spelling]}
    match = _LIST.match(spelling)
    if match and match["item"] in _SCALARS:
        return {"type": "array", "items": {"type": _SCALARS[match["item"]]}}
    known = ", ".join(sorted({*_SCALARS, "list[T]"}))
    raise UsageError(f"--schema: unknown type '{spelling}' (known: {known})")


def _split_fields(text: str) -> list[str]:
    """Split on commas that are not inside brackets (``list[str]`` stays whole)."""
    fields: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return [field.strip() for field in fields if field.strip()]


def short_form_schema(text: str) -> dict[str, Any]:
    """``"name, age int, tags list[str]"`` -> an object schema; a field without a type is a string."""
    properties: dict[str, Any] = {}
    for field in _split_fields(text):
        match = _FIELD.match(field)
        if not match:
            raise UsageError(f"--schema: cannot read field '{field}' (expected 'name' or 'name type')")
        properties[match["name"]] = _type_schema(match["type"] or "str")
    if not properties:
        raise UsageError("--schema: no fields")
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def load_schema(spec: str) -> dict[str, Any]:
    """Read ``--schema``: inline JSON if it starts with '{', a file if one exists there, else the short form."""
    stripped = spec.strip()
    source = "--schema"
    if not stripped.startswith("{"):
        path = Path(stripped).expanduser()
        if _is_file(path):
            source, stripped = str(path), _read_schema_file(path)
        elif stripped.endswith(".json"):
            raise UsageError(f"--schema: file not found: {path}")
        else:
            return short_form_schema(stripped)
    try:
        schema = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise UsageError(f"{source}: the JSON is nested too deeply") from None
    if not isinstance(schema, dict):
        raise UsageError(f"{source}: a JSON Schema must be an object")
    return schema


def _read_schema_file(path: Path) -> str:
    try:
        data = read_capped(path, TEXT_FILE_LIMIT, f"--schema: {path}")
    except OSError as exc:
        raise UsageError(f"--schema: cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"--schema: {path} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def _is_file(path: Path) -> bool:
    """Like Path.is_file, but a long short-form schema ("name, age int, ...") is not an OS error."""
    try:
        return path.is_file()
    except OSError:  # e.g. ENAMETOOLONG on Python 3.11
        return False
