"""Request validation for /v1/messages, count_tokens and batch params, worded like the real API.

Unknown top-level keys are accepted on purpose: the CLI can add raw body keys (`-o metadata.user_id=u1`), and a
field newer than the fake must not be refused. The sampling parameters are the exception: API version 2026-10-21
refuses `temperature`, `top_p` and `top_k` at any value, on every model, and so does this fake.
"""

from __future__ import annotations

from typing import Any

from .models import find_model
from .tool_validation import validate_tools
from .wire import ApiError, invalid, not_found

MIN_THINKING_BUDGET = 1024
MAX_CACHE_BREAKPOINTS = 4
_THINKING_TYPES = {"enabled", "adaptive", "disabled", "between_tools"}
_ROLES = {"user", "assistant", "system"}
_TTLS = {"5m", "1h"}
# Removed in API version 2026-10-21 (only 2023-06-01 took them): a 400 at any value, on every model.
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")
SERVICE_TIERS = ("auto", "standard_only")
REGIONS = ("global", "us")  # the inference_geo values this fake serves
FAST_MODE_BETA = "fast-mode-2026-02-01"
FAST_MODELS = frozenset({"claude-opus-5-5", "claude-opus-5"})  # the models that offer `speed: fast`


def beta_names(headers: dict[str, str]) -> set[str]:
    """The ``anthropic-beta`` header's names (the SDK joins them with commas)."""
    return {name.strip() for name in headers.get("anthropic-beta", "").split(",") if name.strip()}


def validate_message_params(
    body: Any, models: list[dict[str, Any]], *, count_only: bool = False, betas: set[str] | None = None
) -> dict[str, Any]:
    """Check a Messages request body; return the catalogue entry of its model.

    `count_only` is for /v1/messages/count_tokens: max_tokens is neither required nor checked. `betas`: the
    request's anthropic-beta names (fast mode needs its beta).
    """
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    _check_no_sampling_params(body)
    model = _check_model(body, models)
    if not count_only:
        _check_max_tokens(body, model)
    _check_messages(body.get("messages"))
    _check_system(body.get("system"))
    _check_thinking(body.get("thinking"), None if count_only else body.get("max_tokens"))
    _check_output_config(body.get("output_config"))
    _check_stop_sequences(body.get("stop_sequences"))
    _check_cache_control(body)
    _check_platform(body, model, betas or set())
    validate_tools(body)
    return model


def _check_platform(body: dict[str, Any], model: dict[str, Any], betas: set[str]) -> None:
    """speed, service_tier and inference_geo as API version 2026-10-21 takes them."""
    speed = body.get("speed")
    if speed is not None and speed not in ("standard", "fast"):
        raise invalid("speed: Input should be 'standard' or 'fast'")
    if speed == "fast":
        if model["id"] not in FAST_MODELS:
            raise invalid(f"speed: fast mode is not available for {model['id']}")
        if FAST_MODE_BETA not in betas:
            raise invalid(f"speed: fast mode requires the anthropic-beta header {FAST_MODE_BETA}")
    tier = body.get("service_tier")
    if tier is not None and tier not in SERVICE_TIERS:
        raise invalid("service_tier: Input should be 'auto' or 'standard_only'")
    geo = body.get("inference_geo")
    if geo is not None and geo not in REGIONS:
        raise invalid(f"inference_geo: {geo!r} is not a supported region ({', '.join(REGIONS)})")


def _check_no_sampling_params(body: dict[str, Any]) -> None:
    for name in SAMPLING_PARAMS:
        if name in body:
            raise invalid(f"{name}: Extra inputs are not permitted")


def _check_model(body: dict[str, Any], models: list[dict[str, Any]]) -> dict[str, Any]:
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise invalid("model: Field required")
    model = find_model(models, model_id)
    if model is None or model.get("lifecycle") == "retired":
        raise not_found(f"model: {model_id}")
    return model


def _check_max_tokens(body: dict[str, Any], model: dict[str, Any]) -> None:
    if "max_tokens" not in body:
        raise invalid("max_tokens: Field required")
    value = body["max_tokens"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("max_tokens: Input should be a valid integer")
    if value < 1:
        raise invalid("max_tokens: Input should be greater than or equal to 1")
    limit = model.get("max_tokens")
    if isinstance(limit, int) and value > limit:
        raise invalid(
            f"max_tokens: {value} > {limit}, which is the maximum allowed number of output tokens for {model['id']}"
        )


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise invalid("messages: at least one message is required")
    previous = None
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages.{i}: Input should be an object")
        role = message.get("role")
        if role not in _ROLES:
            raise invalid(f"messages.{i}.role: Input should be 'user', 'assistant' or 'system'")
        _check_content(message.get("content"), f"messages.{i}")
        if role == "system":
            continue  # allowed anywhere by API 2026-10-21; not part of the user/assistant alternation
        if previous is None and role != "user":
            raise invalid('messages: first message must use the "user" role')
        if role == previous:
            raise invalid(
                f'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
        previous = role
    if previous is None:
        raise invalid('messages: first message must use the "user" role')


def _check_content(content: Any, where: str) -> None:
    if isinstance(content, str):
        if not content:
            raise invalid(f"{where}: all messages must have non-empty content")
        return
    if not isinstance(content, list) or not content:
        raise invalid(f"{where}: all messages must have non-empty content")
    for j, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise invalid(f"{where}.content.{j}: each content block must be an object with a 'type'")
        if block["type"] == "text" and not block.get("text"):
            raise invalid(f"{where}.content.{j}: text content blocks must be non-empty")


def _check_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise invalid("system: Input should be a valid string or list of text blocks")
    for j, block in enumerate(system):
        if (
            not isinstance(block, dict)
            or block.get("type") != "text"
            or not isinstance(block.get("text"), str)
        ):
            raise invalid(f"system.{j}: Input should be a text block")
        if not block["text"]:
            raise invalid(f"system.{j}: text content blocks must be non-empty")


def _check_thinking(thinking: Any, max_tokens: Any) -> None:
    if thinking is None:
        return
    if not isinstance(thinking, dict) or thinking.get("type") not in _THINKING_TYPES:
        kind = thinking.get("type") if isinstance(thinking, dict) else thinking
        raise invalid(
            f"thinking.type: Input tag {kind!r} found using 'type' does not match any of the expected tags"
        )
    if thinking["type"] != "enabled":
        return
    budget = thinking.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise invalid("thinking.enabled.budget_tokens: Field required")
    if budget < MIN_THINKING_BUDGET:
        raise invalid(
            f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}"
        )
    if isinstance(max_tokens, int) and budget >= max_tokens:
        raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`")


def _check_output_config(config: Any) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise invalid("output_config: Input should be an object")
    fmt = config.get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise invalid("output_config.format.type: Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        raise invalid("output_config.format.schema: Field required")


def _check_stop_sequences(stops: Any) -> None:
    if stops is None:
        return
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise invalid("stop_sequences: Input should be a list of non-empty strings")


def _cache_controls(body: dict[str, Any]) -> list[Any]:
    found = [body.get("cache_control")] if body.get("cache_control") is not None else []
    blocks: list[Any] = list(body.get("tools") or [])
    if isinstance(body.get("system"), list):
        blocks += body["system"]
    for message in body.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            blocks += message["content"]
    found += [
        b["cache_control"] for b in blocks if isinstance(b, dict) and b.get("cache_control") is not None
    ]
    return found


def _check_cache_control(body: dict[str, Any]) -> None:
    controls = _cache_controls(body)
    for cc in controls:
        if not isinstance(cc, dict) or cc.get("type") != "ephemeral":
            raise invalid("cache_control.type: Input should be 'ephemeral'")
        if cc.get("ttl", "5m") not in _TTLS:
            raise invalid("cache_control.ttl: Input should be '5m' or '1h'")
    if len(controls) > MAX_CACHE_BREAKPOINTS:
        raise invalid(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {len(controls)}."
        )


def prefixed(err: ApiError, prefix: str) -> ApiError:
    """The same error as a 400 whose message starts with `prefix` (batch params are checked per request)."""
    return invalid(f"{prefix}: {err.message}")
