"""Where a command gets its tools: the server tools its flags ask for, and the toolbox of local ones.

``toolbox_for`` is the one seam between the tool loop and the local tool sources (``claudecli.tools``): until
``claudecli.tools.setup.build_toolbox`` lands it refuses local tools with a usage error; then it builds the
toolbox there (approval, sources, secrets scrubbing) and nothing else changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from claudecli.call.server_tools import server_tool_definitions
from claudecli.core.errors import UsageError
from claudecli.tools.options import ToolOptions

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
    raise UsageError("local tools are not available yet")


def with_server_tools(params: dict[str, Any], options: ToolOptions) -> dict[str, Any]:
    """``params`` with the server tools the flags ask for in ``tools`` (unchanged when there are none)."""
    tools = server_tool_definitions(options)
    if not tools:
        return params
    return {**params, "tools": [*(params.get("tools") or []), *tools]}


def max_steps(app_ctx: AppContext, options: ToolOptions) -> int:
    """``--max-steps``, else the ``max_tool_steps`` setting (default 10)."""
    return options.max_steps if options.max_steps is not None else app_ctx.settings.max_tool_steps
