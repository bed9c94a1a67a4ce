"""`claudecli roles`: the roles defined in config.toml, and where each is defined (a local command: no API)."""

from __future__ import annotations

import typer

from claudecli.cli.common import JsonFlag, PlainFlag, app_context

HELP = """List the roles: [roles.NAME] tables in config.toml (or a profile's) bundling a system prompt, model,
thinking, effort, max_tokens, tools and MCP servers. Use one with -r/--role NAME in ask, chat and batch run; flags
still win (--mcp adds to the role's servers).

Examples:  claudecli roles   ·   claudecli ask -r reviewer "look at this" < diff.txt
"""


def roles(ctx: typer.Context, as_json: JsonFlag = False, plain: PlainFlag = False) -> None:
    from claudecli.core.context import OutputMode
    from claudecli.core.roles import role_rows
    from claudecli.render.emit import emit, items_document
    from claudecli.render.table import Column, print_table

    app_ctx = app_context(ctx)
    app_ctx.set_output(plain=plain, json=as_json)
    defined = app_ctx.settings.roles
    if app_ctx.mode is OutputMode.JSON:
        emit(
            app_ctx, items_document(role.summary() for role in sorted(defined.values(), key=lambda r: r.name))
        )
        return
    if not defined:
        app_ctx.note(
            "no roles defined: add a [roles.NAME] table to config.toml (see `claudecli config path`)"
        )
        return
    columns = [
        Column("role", truncate_to=16),
        Column("model", drop_order=2),
        Column("tools", drop_order=3, truncate_to=10),
        Column("mcp", drop_order=3, truncate_to=10),
        Column("description", drop_order=1, truncate_to=12),
        Column("defined in", truncate_to=20),
    ]
    print_table(app_ctx, columns, role_rows(defined))
