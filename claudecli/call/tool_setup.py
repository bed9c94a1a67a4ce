"""Where a command gets its tools: the server tools its flags ask for, and the toolbox of local ones.

``toolbox_for`` is the one seam between the tool loop and the local tool sources (``claudecli.tools``): it builds
the toolbox with ``claudecli.tools.setup.build_toolbox`` (sources, approval, secret-free children), asking the
person at the terminal when there is one and the command is interactive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claudecli.call.server_tools import server_tool_definitions
from claudecli.tools.options import ToolOptions
from claudecli.tools.setup import build_toolbox
from claudecli.tools.terminal import terminal_ask_person

if TYPE_CHECKING:
    from claudecli.core.context import AppContext
    from claudecli.tools.box import Toolbox


def toolbox_for(app_ctx: AppContext, options: ToolOptions, *, interactive: bool = True) -> Toolbox | None:
    """The toolbox of the local tools ``options`` asks for; None when it asks for none.

    ``interactive=False`` (batch run): no person is asked, whatever the terminal; the non-interactive approval
    rules apply (``build_toolbox``'s ``ask_person`` is None).
    """
    if not options.local:
        return None
    ask_person = terminal_ask_person(app_ctx.scrub) if interactive else None
    return build_toolbox(app_ctx, options, ask_person)


def with_server_tools(params: dict[str, Any], options: ToolOptions) -> dict[str, Any]:
    """``params`` with the server tools the flags ask for in ``tools`` (unchanged when there are none)."""
    tools = server_tool_definitions(options)
    if not tools:
        return params
    return {**params, "tools": [*(params.get("tools") or []), *tools]}


def max_steps(app_ctx: AppContext, options: ToolOptions) -> int:
    """``--max-steps``, else the ``max_tool_steps`` setting (default 10)."""
    return options.max_steps if options.max_steps is not None else app_ctx.settings.max_tool_steps
