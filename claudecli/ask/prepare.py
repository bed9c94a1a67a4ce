"""Turn ``ask`` options into a ready-to-send call: prompt, attachments, schema, model, caching, budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from claudecli.ask.session import SessionChoice, continue_with, explicit, history_messages
from claudecli.call.attachments import FileRefs, attachment_blocks
from claudecli.call.fallback import resolve_fallback
from claudecli.call.prompt_input import read_prompt, read_text_option
from claudecli.call.request import RequestOptions, build_params, parse_params, platform_params, user_content
from claudecli.call.schema import load_schema
from claudecli.call.server_tools import server_tool_definitions
from claudecli.call.stream import CallSpec
from claudecli.call.tool_loop import tool_set
from claudecli.call.tool_setup import with_server_tools
from claudecli.call.warm import call_steps
from claudecli.catalog.lookup import resolve_model
from claudecli.money.budget import check_budget
from claudecli.tools.options import ToolOptions

if TYPE_CHECKING:
    from claudecli.chat.state import ChatState
    from claudecli.core.context import AppContext
    from claudecli.tools.box import Toolbox


@dataclass
class AskOptions:
    prompt_words: list[str]
    system: str | None = None
    stop: list[str] = field(default_factory=list)
    thinking: str | None = None
    effort: str | None = None
    show_thinking: bool = False
    attach: list[str] = field(default_factory=list)
    schema: str | None = None
    tag: str | None = None
    params: list[str] = field(default_factory=list)
    use_stdin: bool = True
    force: bool = False
    session: SessionChoice = field(default_factory=SessionChoice)  # -c / --session NAME / --no-wait
    tools: ToolOptions = field(default_factory=ToolOptions)
    upload: bool = False  # -a PATH goes through the Files API (uploaded once, referenced by id)


def prepare(
    app_ctx: AppContext, options: AskOptions, toolbox: Toolbox | None = None, chat: ChatState | None = None
) -> CallSpec:
    """Validate everything locally (nothing is sent if any input is wrong) and build the call.

    The tool set (``toolbox``'s definitions, then the server tools the flags ask for) is in the request before
    the budget check, since it is part of every step's input. ``chat``: the conversation this ask continues
    (its history goes first; see ``claudecli.ask.session``). The SDK and the client load in the background
    meanwhile (``claudecli.call.warm``): reading stdin, the attachments or ``api_key_command`` overlaps the
    import instead of preceding it.
    """

    settings = app_ctx.settings
    app_ctx.warm_up(call_steps(app_ctx))
    system = (
        read_text_option(options.system, "-s/--system") if options.system is not None else settings.system
    )
    attachments = attachment_blocks(options.attach, FileRefs(app_ctx, upload=options.upload))
    schema = load_schema(options.schema) if options.schema is not None else None
    extra_body = parse_params(options.params)
    prompt = read_prompt(options.prompt_words, app_ctx.stdin, use_stdin=options.use_stdin)
    cache, ttl = settings.cache, settings.cache_ttl
    model = resolve_model(app_ctx, settings.model)
    if chat is not None:
        model, system = continue_with(
            chat,
            model=model,
            system=system,
            model_given=explicit(settings.sources.get("model")),
            system_given=options.system is not None or explicit(settings.sources.get("system")),
        )
    request = RequestOptions(
        model=model,
        max_tokens=settings.max_tokens,
        system=system,
        stop=options.stop,
        thinking=options.thinking,
        effort=options.effort,
        schema=schema,
        cache=cache,
        cache_ttl=ttl,
        platform=platform_params(settings),
    )
    if chat is None:
        messages = [{"role": "user", "content": user_content(prompt, attachments, cache=cache, ttl=ttl)}]
    else:  # the breakpoint moves to the newest turn, so the next ask reads this one's prefix from cache
        content = user_content(prompt, attachments, cache=False, ttl=ttl)
        names = {tool.name for tool in toolbox.tools()} if toolbox is not None else set()
        names |= {str(entry["name"]) for entry in server_tool_definitions(options.tools)}
        messages = history_messages(chat, content, cache=cache, ttl=ttl, tool_names=frozenset(names))
    params = with_server_tools(build_params(request, messages), options.tools)
    if toolbox is not None or "tools" in params:
        params["tools"] = tool_set(params, toolbox)
    fallback = resolve_fallback(app_ctx)

    check_budget(app_ctx, params, force=options.force)
    return CallSpec(
        command="ask",
        params=params,
        prompt_text=prompt,
        tag=options.tag,
        session_id=chat.meta.id if chat is not None else None,
        extra_body=extra_body,
        fallback_model=fallback,
        force=options.force,
    )
