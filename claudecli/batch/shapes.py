"""The three accepted line shapes, each turned into Messages ``params``, with command-line defaults filled in.

* the API's own ``{"custom_id": …, "params": {…}}`` — sent as written, except that ``-m``/``--max-tokens``
  fill a missing model/max_tokens, and ``-s``/``--schema``/``--thinking`` fill what ``params`` lacks;
* the short form ``{"id", "prompt", "system", "model", "max_tokens", "attach"}`` (only ``prompt`` required),
  built like ``claudecli ask`` builds its request (caching, attachments first, ``--template``);
* with ``--text``, a plain line: the prompt (``--template "Summarise: {line}"`` wraps it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from claudecli.batch.attach_paths import confined
from claudecli.batch.ids import LineError, checked_id
from claudecli.call.attachments import FileRefs, attachment_block, is_url
from claudecli.call.request import RequestOptions, build_params, system_param, thinking_param, user_content
from claudecli.catalog.listed import ListedModels
from claudecli.catalog.lookup import resolve_model
from claudecli.core.errors import ClaudeCliError, ExitCode
from claudecli.files.ids import file_ref

if TYPE_CHECKING:
    from claudecli.core.context import AppContext

SHORT_FIELDS = frozenset({"id", "prompt", "system", "model", "max_tokens", "attach"})
API_FIELDS = frozenset({"custom_id", "params"})
TEMPLATE_SLOT = "{line}"
# Failures that belong to one line (its input is wrong); any other (no key, no network, an API outage while
# looking up or uploading a file) ends the command with its own exit code instead of failing every line.
LINE_FAULTS = frozenset({ExitCode.USAGE, ExitCode.NOT_FOUND, ExitCode.BAD_REQUEST})
T = TypeVar("T")


@dataclass
class LineDefaults:
    """What the command line and config supply to lines that leave something out."""

    model: str
    max_tokens: int
    cli_system: str | None = None
    config_system: str | None = None
    schema: dict[str, Any] | None = None
    thinking: str | None = None
    template: str | None = None
    cache: bool = True
    cache_ttl: str = "5m"
    platform: dict[str, Any] = field(default_factory=dict)  # speed, service_tier, inference_geo
    tools: list[dict[str, Any]] = field(default_factory=list)  # server tools from the flags, for every line
    server_tools_only: bool = False  # batch submit: a batch cannot run local tools


@dataclass
class Resolvers:
    """Per-file caches, so each distinct model and attachment is checked once, not once per line."""

    app_ctx: AppContext
    base_dir: Path  # the input file's directory, resolved
    allowed: tuple[Path, ...] = ()  # --allow-outside directories, resolved
    upload: bool = False  # --upload-attachments: local attachments go up once and are referenced by id
    hold_uploads: bool = False  # with upload: checked and estimated as uploads, but nothing goes up yet
    seen: dict[str, tuple[int, ...]] | None = None  # a first look records each file's stamp here
    expected: dict[str, tuple[int, ...]] | None = None  # the upload pass requires the first look's stamps
    models: dict[str, str | LineError] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any] | LineError] = field(default_factory=dict)
    max_output: dict[str, int | None] = field(default_factory=dict)  # model id -> its most output tokens
    listed: ListedModels | None = None

    def model(self, name: str) -> str:
        return _once(self.models, name, lambda: self._resolve_model(name))

    def _resolve_model(self, name: str) -> str | LineError:
        """The model id, checked against the API's list (see ``catalog.listed``): unknown is a line error."""

        self.listed = self.listed or ListedModels(self.app_ctx)
        try:
            model_id = resolve_model(self.app_ctx, name)
            facts = self.listed.facts(model_id)
        except ClaudeCliError as exc:
            return LineError(f"model {name!r}: {exc.one_line()}")
        if facts is None:
            self.app_ctx.warn(
                f"cannot check model {model_id} against the models list ({self.listed.unavailable}); "
                "the API will judge it"
            )
        self.max_output[model_id] = facts.max_output_tokens if facts is not None else None
        return model_id

    def check_max_tokens(self, model_id: str, max_tokens: int, field_name: str) -> None:
        """Refuse more output than the model can give: the API would refuse it, after the batch is paid for
        in waiting, and the worst-case estimate would be nonsense (``10**30`` tokens)."""
        limit = self.max_output.get(model_id)
        if limit and max_tokens > limit:
            raise LineError(
                f"{field_name} {max_tokens:,} is more than {model_id} can write (at most {limit:,} output tokens)"
            )

    def attachment(self, spec: str) -> dict[str, Any]:
        return _once(self.attachments, spec, lambda: self._load_attachment(spec))

    def _load_attachment(self, spec: str) -> dict[str, Any] | LineError:
        """Relative paths are relative to the input file's directory (cron runs in $HOME), and confined
        to it (see ``attach_paths``). A file id (``file:ID``, or a bare ``file_…`` naming no file there) is
        looked up once; with ``upload``, each distinct local file is uploaded once (``files.reuse``)."""
        try:
            file_id = file_ref(spec, self.base_dir)
            if file_id is not None:
                key = f"file:{file_id}"  # however the line spells it
                return _once(self.attachments, key, lambda: attachment_block(key, FileRefs(self.app_ctx)))
            if is_url(spec):
                return attachment_block(spec)
            path = str(confined(spec, self.base_dir, self.allowed))
            files = FileRefs(
                self.app_ctx,
                upload=self.upload,
                hold=self.hold_uploads,
                exact=True,  # confined() resolved it: the file opened must be at that very path
                seen=self.seen,
                expected=self.expected,
            )
            return _once(self.attachments, path, lambda: attachment_block(path, files))  # one file, one load
        except LineError as exc:
            return exc
        except ClaudeCliError as exc:
            if exc.exit_code not in LINE_FAULTS:
                raise
            return LineError(exc.one_line())


def _once(cache: dict[str, T | LineError], key: str, load: Callable[[], T | LineError]) -> T:
    """``cache[key]``, loaded on first use. A line error found once is raised again for every line that meets
    it, without the traceback of the earlier raises (which would keep every such line's data alive)."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = load()
    if isinstance(found, LineError):
        raise found.with_traceback(None)
    return found


def apply_template(template: str | None, text: str) -> str:
    return text if template is None else template.replace(TEMPLATE_SLOT, text)


def _positive_int(value: Any, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LineError(f"{field_name} must be a whole number of at least 1, got {value!r}")
    return value


def _text_field(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise LineError(f"{name} must be a string, got {type(value).__name__}")
    return value


def _build(defaults: LineDefaults, resolve: Resolvers, fields: dict[str, Any]) -> dict[str, Any]:
    """A short-form or text request as ``ask`` would build it."""
    prompt = apply_template(defaults.template, fields["prompt"])
    if not prompt.strip():
        raise LineError("the prompt is empty")
    attachments = [resolve.attachment(spec) for spec in fields.get("attach") or []]
    model = resolve.model(fields.get("model") or defaults.model)
    max_tokens = fields.get("max_tokens") or defaults.max_tokens
    resolve.check_max_tokens(model, max_tokens, "max_tokens")
    options = RequestOptions(
        model=model,
        max_tokens=max_tokens,
        system=fields.get("system", defaults.cli_system or defaults.config_system),
        thinking=defaults.thinking,
        schema=defaults.schema,
        cache=defaults.cache,
        cache_ttl=defaults.cache_ttl,
        platform=defaults.platform,
    )
    content = user_content(prompt, attachments, cache=options.cache, ttl=options.cache_ttl)
    try:
        params = build_params(options, [{"role": "user", "content": content}])
    except ClaudeCliError as exc:
        raise LineError(exc.message) from None
    if defaults.tools:
        params["tools"] = [dict(tool) for tool in defaults.tools]
    return params


def text_request(line: str, defaults: LineDefaults, resolve: Resolvers) -> tuple[str | None, dict[str, Any]]:
    return None, _build(defaults, resolve, {"prompt": line})


def short_request(
    obj: dict[str, Any], defaults: LineDefaults, resolve: Resolvers
) -> tuple[str | None, dict[str, Any]]:
    unknown = sorted(set(obj) - SHORT_FIELDS)
    if unknown:
        raise LineError(
            f"unknown field(s) {', '.join(unknown)} (short form: {', '.join(sorted(SHORT_FIELDS))})"
        )
    prompt = obj.get("prompt")
    if not isinstance(prompt, str):
        raise LineError("prompt must be a string")
    fields: dict[str, Any] = {"prompt": prompt}
    if obj.get("model") is not None:
        fields["model"] = _text_field(obj, "model")
    if obj.get("max_tokens") is not None:
        fields["max_tokens"] = _positive_int(obj["max_tokens"], "max_tokens")
    if "system" in obj:
        fields["system"] = _text_field(obj, "system")
    attach = obj.get("attach")
    if attach is not None:
        if isinstance(attach, str):
            attach = [attach]
        if not isinstance(attach, list) or not all(isinstance(item, str) for item in attach):
            raise LineError("attach must be a path or a list of paths")
        fields["attach"] = attach
    custom_id = checked_id(obj["id"], "id") if obj.get("id") is not None else None
    return custom_id, _build(defaults, resolve, fields)


def api_request(
    obj: dict[str, Any], defaults: LineDefaults, resolve: Resolvers
) -> tuple[str | None, dict[str, Any]]:
    unknown = sorted(set(obj) - API_FIELDS)
    if unknown:
        raise LineError(f"unknown field(s) {', '.join(unknown)} beside custom_id and params")
    params = obj["params"]
    if not isinstance(params, dict):
        raise LineError("params must be an object")
    params = dict(params)
    messages = params.get("messages")
    if not isinstance(messages, list) or not messages:
        raise LineError("params.messages must be a non-empty list")
    if params.get("stream"):
        raise LineError("params.stream: streaming is not supported in batches")
    model = params.get("model", defaults.model)
    if not isinstance(model, str) or not model:
        raise LineError("params.model must be a string")
    params["model"] = resolve.model(model)
    params["max_tokens"] = _positive_int(params.get("max_tokens", defaults.max_tokens), "params.max_tokens")
    resolve.check_max_tokens(params["model"], params["max_tokens"], "params.max_tokens")
    _fill_api_defaults(params, defaults)
    custom_id = checked_id(obj["custom_id"], "custom_id") if obj.get("custom_id") is not None else None
    return custom_id, params


def _fill_tools(params: dict[str, Any], defaults: LineDefaults) -> None:
    """Add the flags' server tools a line lacks; under ``batch submit`` refuse a line's local (client) tools."""
    tools = params.get("tools", [])
    if not isinstance(tools, list):
        raise LineError("params.tools must be a list")
    if defaults.server_tools_only:
        for index, tool in enumerate(tools):
            if isinstance(tool, dict) and tool.get("type") in (None, "custom"):
                raise LineError(
                    f"params.tools.{index} ({str(tool.get('name'))[:64]!r}) is a local tool: a batch cannot "
                    "run local tools (use `batch run`, or server tools only)"
                )
    names = {tool.get("name") for tool in tools if isinstance(tool, dict)}
    added = [dict(tool) for tool in defaults.tools if tool["name"] not in names]
    if added:
        params["tools"] = [*tools, *added]


def _fill_api_defaults(params: dict[str, Any], defaults: LineDefaults) -> None:
    _fill_tools(params, defaults)
    if "system" not in params and defaults.cli_system:
        params["system"] = system_param(defaults.cli_system, cache=defaults.cache, ttl=defaults.cache_ttl)
    if defaults.schema is not None:
        config = params.setdefault("output_config", {})
        if not isinstance(config, dict):
            raise LineError("params.output_config must be an object")
        config.setdefault("format", {"type": "json_schema", "schema": defaults.schema})
    if "thinking" not in params and defaults.thinking is not None:
        try:
            thinking = thinking_param(defaults.thinking, params["max_tokens"])
        except ClaudeCliError as exc:
            raise LineError(exc.message) from None
        if thinking is not None:
            params["thinking"] = thinking


def declared_id(obj: Any) -> str | None:
    """The custom_id a parsed JSON line names (``custom_id`` beside ``params``, or the short form's ``id``),
    read before anything else of it: ``batch run`` skips a line its ``-o`` file already answers unbuilt."""
    if not isinstance(obj, dict):
        return None
    name = "custom_id" if "params" in obj else "id"
    return checked_id(obj[name], name) if obj.get(name) is not None else None


def json_request(obj: Any, defaults: LineDefaults, resolve: Resolvers) -> tuple[str | None, dict[str, Any]]:
    """Pick the shape of a parsed JSON line: ``params`` means the API's shape, ``prompt`` the short form."""
    if not isinstance(obj, dict):
        raise LineError(f"expected a JSON object, got {type(obj).__name__}")
    if "params" in obj and "prompt" in obj:
        raise LineError(
            'both "params" and "prompt": a line is {"custom_id", "params"} or {"prompt", …}, not both'
        )
    if "params" in obj:
        return api_request(obj, defaults, resolve)
    if "prompt" in obj:
        return short_request(obj, defaults, resolve)
    raise LineError('expected {"custom_id", "params"} or {"prompt", …} (or use --text for plain lines)')
