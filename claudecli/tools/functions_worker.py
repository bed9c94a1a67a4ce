"""The ``--functions FILE.py`` worker: ``python -m claudecli.tools.functions_worker FILE``.

It runs in its own process (with the secret-free child environment), never inside claudecli's, which holds the
API key: importing the file runs its code. It speaks line-delimited JSON on its own stdin and stdout:

* first it writes ``{"ok": true, "tools": [{name, description, input_schema}], "skipped": ["why", ...]}``, or
  ``{"ok": false, "error": "ExcType: message"}`` when the file cannot be imported (and exits 1);
* then, for each request line ``{"id": ..., "name": ..., "input": {...}}``, one answer line
  ``{"id": ..., "ok": true, "result": "..."}`` or ``{"id": ..., "ok": false, "error": "ExcType: message"}``.

The functions' own stdin is /dev/null and their stdout goes to stderr, so nothing they print or read can
corrupt the protocol. Only the standard library is imported here.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import sys
import types
import typing
from collections.abc import Callable
from typing import IO, Any

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean"}


class Unsupported(Exception):
    """A type the schema cannot describe: the function is skipped, with this reason."""


def type_schema(hint: Any) -> dict[str, Any]:
    """The JSON schema of one annotation."""
    if hint is typing.Any:
        return {}
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if hint is list:
        return {"type": "array"}
    if hint is dict:
        return {"type": "object"}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        return {"type": "array", "items": type_schema(args[0])}
    if origin is dict and len(args) == 2 and args[0] is str:
        return {"type": "object", "additionalProperties": type_schema(args[1])}
    if origin is typing.Literal and all(isinstance(arg, str | int | float | bool) for arg in args):
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:
            return type_schema(options[0])
        return {"anyOf": [type_schema(option) for option in options]}
    raise Unsupported(f"type {getattr(hint, '__name__', hint)!s} is not supported")


def description_of(func: Callable[..., Any]) -> str:
    """The docstring's first paragraph, on one line (or the function's name when there is none)."""
    doc = inspect.getdoc(func) or ""
    first = doc.strip().split("\n\n", 1)[0]
    return " ".join(first.split()) or func.__name__


def function_schema(func: Callable[..., Any]) -> dict[str, Any]:
    """The input schema of ``func``'s parameters; Unsupported when one cannot be described."""
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        raise Unsupported(f"its annotations cannot be read ({type(exc).__name__}: {exc})") from None
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, parameter in inspect.signature(func).parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
            raise Unsupported(f"parameter {name} is *args, **kwargs or positional-only")
        if name not in hints:
            raise Unsupported(f"parameter {name} has no type annotation")
        schema = type_schema(hints[name])
        if parameter.default is parameter.empty:
            required.append(name)
        elif _json_value(parameter.default):
            schema = {**schema, "default": parameter.default}
        properties[name] = schema
    return {"type": "object", "properties": properties, "required": required}


def _json_value(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def public_functions(module: types.ModuleType) -> tuple[dict[str, Callable[..., Any]], list[str], list[str]]:
    """The module's own top-level public functions, their tool definitions and why others were skipped."""
    found: dict[str, Callable[..., Any]] = {}
    definitions: list[Any] = []
    skipped: list[str] = []
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(value) or value.__module__ != module.__name__:
            continue
        if not TOOL_NAME.fullmatch(name):
            skipped.append(f"{name}: not a valid tool name")
            continue
        try:
            schema = function_schema(value)
        except Unsupported as exc:
            skipped.append(f"{name}: {exc}")
            continue
        found[name] = value
        definitions.append({"name": name, "description": description_of(value), "input_schema": schema})
    return found, definitions, skipped


def load(path: str) -> types.ModuleType:
    """Import ``path`` as a script would be: its directory first on sys.path."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location("claudecli_functions", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"not a Python file: {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def answer(request: Any, functions: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    if not isinstance(request, dict):
        return {"id": None, "ok": False, "error": "ValueError: a request must be a JSON object"}
    call_id = request.get("id")
    func = functions.get(str(request.get("name")))
    arguments = request.get("input")
    if func is None:
        return {"id": call_id, "ok": False, "error": f"NameError: no function {request.get('name')!r}"}
    if not isinstance(arguments, dict):
        return {"id": call_id, "ok": False, "error": "TypeError: input must be a JSON object"}
    try:
        return {"id": call_id, "ok": True, "result": result_text(func(**arguments))}
    except BaseException as exc:  # SystemExit too: a function must not end the worker
        return {"id": call_id, "ok": False, "error": error_text(exc)}


def _protocol_streams() -> tuple[IO[str], IO[str]]:
    """Keep the real stdin/stdout for the protocol; the functions get /dev/null and stderr."""
    channel_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    channel_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115  (for the worker's whole life)
    sys.stdout = sys.stderr
    return channel_in, channel_out


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, ensure_ascii=False) + "\n")
    channel.flush()


def main(argv: list[str]) -> int:
    channel_in, channel_out = _protocol_streams()
    if len(argv) != 1:
        _send(channel_out, {"ok": False, "error": "UsageError: expected one FILE.py"})
        return 2
    try:
        functions, definitions, skipped = public_functions(load(argv[0]))
    except BaseException as exc:
        _send(channel_out, {"ok": False, "error": error_text(exc)})
        return 1
    _send(channel_out, {"ok": True, "tools": definitions, "skipped": skipped})
    for line in channel_in:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError:
            request = None
        _send(channel_out, answer(request, functions))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
