"""Build a JSON value that validates against a JSON Schema (the subset structured outputs use).

Each property is filled by its type: string "example" (or a value fitting its `format`), integer 1,
number 1.5, boolean true, null, array with `max(1, minItems)` items, object recursively (every listed
property, required or not). `enum`/`const` win; `anyOf`/`oneOf` take the first non-null branch;
`allOf` merges; local `$ref`s (`#/$defs/…`, `#/definitions/…`) are resolved against the root schema.
"""

from __future__ import annotations

from typing import Any

_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 12


def schema_example(schema: Any, root: Any = None, depth: int = 0) -> Any:
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return schema_example(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            branches = [b for b in schema[key] if not (isinstance(b, dict) and b.get("type") == "null")]
            return schema_example((branches or schema[key])[0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = schema_example(part, root, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    return _by_type(schema, _type_of(schema), root, depth)


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else ("array" if "items" in schema else "string")
    return str(kind)


def _by_type(schema: dict[str, Any], kind: str, root: Any, depth: int) -> Any:
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: schema_example(sub, root, depth + 1) for name, sub in props.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [schema_example(schema.get("items") or {}, root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return int(_bounded(1, schema))
    if kind == "number":
        return _bounded(1.5, schema)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema)


def _bounded(value: float, schema: dict[str, Any]) -> float:
    if isinstance(schema.get("minimum"), int | float) and value < schema["minimum"]:
        value = schema["minimum"]
    if isinstance(schema.get("maximum"), int | float) and value > schema["maximum"]:
        value = schema["maximum"]
    return value


def _string(schema: dict[str, Any]) -> str:
    value = _FORMATS.get(str(schema.get("format")), "example")
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(value) < min_len:
        value = value + "x" * (min_len - len(value))
    return value


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        return {}
    node = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}
