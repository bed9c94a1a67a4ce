"""Build a Messages request body from command-line options: thinking, effort, schema, stops, caching, params."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from claudecli.core.errors import UsageError
from claudecli.core.roles import MIN_THINKING_BUDGET
from claudecli.core.tokens import CACHE_MIN_TOKENS, block_tokens, text_tokens

if TYPE_CHECKING:
    from claudecli.core.settings import Settings

EFFORTS = ("low", "medium", "high", "xhigh", "max")
# Fields claudecli sets itself (and checks: model lifecycle, budgets, streaming); -o may not replace them.
RESERVED_PARAMS = frozenset(
    {"model", "max_tokens", "messages", "system", "stream", "thinking", "stop_sequences", "output_config"}
    | {"speed", "service_tier", "inference_geo"}
)
# Settings sent as Messages params as they are (--speed, --service-tier, --inference-geo); they decide the price.
PLATFORM_PARAMS = ("speed", "service_tier", "inference_geo")
FAST_MODE_BETA = "fast-mode-2026-02-01"  # what `speed: fast` needs on the models that offer it


@dataclass
class RequestOptions:
    model: str
    max_tokens: int
    system: str | None = None
    stop: list[str] = field(default_factory=list)
    thinking: str | None = None  # "adaptive", "off", or a budget in tokens
    effort: str | None = None
    schema: dict[str, Any] | None = None
    cache: bool = True
    cache_ttl: str = "5m"
    params: list[str] = field(default_factory=list)  # -o KEY=VALUE escape hatch
    platform: dict[str, Any] = field(
        default_factory=dict
    )  # speed, service_tier, inference_geo (platform_params)


def platform_params(settings: Settings) -> dict[str, Any]:
    """The platform options that are set, as Messages params."""
    return {name: value for name in PLATFORM_PARAMS if (value := getattr(settings, name)) is not None}


def request_betas(settings: Settings, params: dict[str, Any]) -> tuple[str, ...]:
    """The ``anthropic-beta`` names a request goes with: the configured ones, plus fast mode's when it is asked."""
    betas = list(settings.betas)
    if params.get("speed") == "fast" and FAST_MODE_BETA not in betas:
        betas.append(FAST_MODE_BETA)
    return tuple(betas)


def thinking_param(spec: str | None, max_tokens: int) -> dict[str, Any] | None:
    """``--thinking adaptive|off|N`` as the API's thinking object (None = leave it out)."""
    if spec is None or spec == "off":
        return None
    if spec == "adaptive":
        return {"type": "adaptive"}
    try:
        budget = int(spec)
    except ValueError:
        raise UsageError(f"--thinking: expected adaptive, off or a token budget, got '{spec}'") from None
    if budget < MIN_THINKING_BUDGET:
        raise UsageError(f"--thinking: a budget must be at least {MIN_THINKING_BUDGET} tokens (got {budget})")
    if budget >= max_tokens:
        raise UsageError(  # not "--thinking"/"--max-tokens": either may come from a role, a batch line or config
            f"thinking: the budget ({budget}) must be below max_tokens ({max_tokens})",
            hint="raise max_tokens (--max-tokens, or the role's or line's) or lower the thinking budget",
        )
    return {"type": "enabled", "budget_tokens": budget}


def _parse_value(raw: str) -> Any:
    """JSON when it parses (and is text all through), else the string as given."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise UsageError("-o/--param: the JSON value is nested too deeply") from None
    except ValueError:  # not JSON, or an integer longer than Python converts
        return raw
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # "\ud800": half of a surrogate pair, which no request can carry
        raise UsageError(
            "-o/--param: the JSON value holds a lone surrogate (\\ud800...), which is not text"
        ) from None
    return value


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``-o KEY=VALUE`` pairs into extra body fields; VALUE is JSON when it parses, else a string; dots nest."""
    body: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-o/--param: expected KEY=VALUE, got '{pair}'")
        target = body
        *parents, leaf = key.strip().split(".")
        if (parents[0] if parents else leaf) in RESERVED_PARAMS:
            raise UsageError(
                f"-o/--param: '{key.strip()}' is set by claudecli's own options; use those instead"
            )
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise UsageError(f"-o/--param: '{parent}' is set both as a value and as a table")
        target[leaf] = _parse_value(raw)
    return body


def cache_control(ttl: str) -> dict[str, str]:
    return {"type": "ephemeral", "ttl": ttl}


def system_param(system: str | None, *, cache: bool, ttl: str) -> str | list[dict[str, Any]] | None:
    """The system prompt; as a cached text block when it is long enough to be worth caching."""
    if not system:
        return None
    if cache and text_tokens(system) >= CACHE_MIN_TOKENS:
        return [{"type": "text", "text": system, "cache_control": cache_control(ttl)}]
    return system


def user_content(prompt: str, attachments: list[dict[str, Any]], *, cache: bool, ttl: str) -> Any:
    """Attachments first (documents before the question), then the prompt; a breakpoint after large ones."""
    if not attachments:
        return prompt
    blocks = [dict(block) for block in attachments]
    if cache and sum(block_tokens(block) for block in blocks) >= CACHE_MIN_TOKENS:
        blocks[-1]["cache_control"] = cache_control(ttl)
    return [*blocks, {"type": "text", "text": prompt}]


def build_params(options: RequestOptions, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The keyword arguments for ``messages.stream``/``create`` (the escape-hatch params go in extra_body)."""
    params: dict[str, Any] = {"model": options.model, "max_tokens": options.max_tokens, "messages": messages}
    system = system_param(options.system, cache=options.cache, ttl=options.cache_ttl)
    if system is not None:
        params["system"] = system
    if options.stop:
        params["stop_sequences"] = list(options.stop)
    thinking = thinking_param(options.thinking, options.max_tokens)
    if thinking is not None:
        params["thinking"] = thinking
    output_config: dict[str, Any] = {}
    if options.effort:
        if options.effort not in EFFORTS:
            raise UsageError(f"--effort: expected one of {', '.join(EFFORTS)}, got '{options.effort}'")
        output_config["effort"] = options.effort
    if options.schema is not None:
        output_config["format"] = {"type": "json_schema", "schema": options.schema}
    if output_config:
        params["output_config"] = output_config
    params.update(options.platform)
    return params
