"""`claudecli config`: show the effective settings (and where each came from), the paths in use, and which
`.env` files the user trusts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from claudecli.cli.common import JsonFlag, app_context
from claudecli.core.config import redacted
from claudecli.render.emit import emit

app = typer.Typer(
    help="Show the effective configuration and where claudecli keeps its files.", no_args_is_help=True
)


def _display(value: object) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True) if value else "{}"
    return str(value)


@app.command("show")
def show(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Print every setting, its value (keys redacted) and the source it came from."""
    app_ctx = app_context(ctx)
    settings = app_ctx.settings
    values = redacted(settings)
    mcp = settings.mcp  # env and header values are masked by display(): they are usually tokens
    if as_json:
        document = {
            "profile": settings.profile,
            "settings": {
                name: {"value": values[name], "source": settings.sources[name]} for name in sorted(values)
            },
            "mcp": {
                name: {**server.display(), "source": server.source} for name, server in sorted(mcp.items())
            },
            "tools": {
                name: {**tool.display(), "source": tool.source}
                for name, tool in sorted(settings.tools.items())
            },
        }
        emit(app_ctx, document)
        return
    width = max(len(name) for name in values)
    lines = [f"profile: {settings.profile or '(none)'}"]
    lines += [
        f"{name.ljust(width)}  {_display(values[name])}  ({settings.sources[name]})"
        for name in sorted(values)
    ]
    lines += [
        f"mcp.{name}  {json.dumps(server.display(), sort_keys=True)}  ({server.source})"
        for name, server in sorted(mcp.items())
    ]
    lines += [
        f"tools.{name}  {json.dumps(tool.display(), sort_keys=True)}  ({tool.source})"
        for name, tool in sorted(settings.tools.items())
    ]
    app_ctx.stdout.file.write("\n".join(lines) + "\n")


@app.command("path")
def path(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Print where the config file, the state (ledger, sessions, batch journal, uploads) and caches live."""
    paths = app_context(ctx).settings.paths
    entries = {
        "config_file": str(paths.config_file),
        "config_dir": str(paths.config_dir),
        "data_dir": str(paths.data_dir),
        "cache_dir": str(paths.cache_dir),
        "ledger": str(paths.ledger_file),
        "sessions": str(paths.sessions_file),
        "batch_journal": str(paths.batch_journal_file),
        "uploads": str(paths.uploads_file),
    }
    app_ctx = app_context(ctx)
    out = app_ctx.stdout.file
    if as_json:
        emit(app_ctx, entries)
    else:
        out.write("".join(f"{name}: {value}\n" for name, value in entries.items()))


EnvPathArgument = Annotated[
    Path,
    typer.Argument(help="The .env file (default: the one in the current directory).", show_default=False),
]


@app.command("trust-env")
def trust_env(ctx: typer.Context, env_file: EnvPathArgument = Path(".env")) -> None:
    """Trust a .env as it is now: it may then set anything config.toml may (base URL, keys, api_key_command).

    Until then a .env is untrusted input: it may set only the model, output and cache settings, tighten
    budgets, and point requests elsewhere only together with its own key. Editing the file untrusts it.
    """
    from claudecli.core.dotenv_trust import trust

    app_ctx = app_context(ctx)
    resolved, digest = trust(app_ctx.settings.paths, env_file)
    app_ctx.note(
        f"trusted {resolved} (sha256 {digest[:12]}…): it may set anything config.toml may, "
        "including where your key goes, until it changes"
    )


@app.command("untrust-env")
def untrust_env(ctx: typer.Context, env_file: EnvPathArgument = Path(".env")) -> None:
    """Stop trusting a .env: it goes back to the limits of an untrusted one."""
    from claudecli.core.dotenv_trust import untrust

    app_ctx = app_context(ctx)
    resolved, was_trusted = untrust(app_ctx.settings.paths, env_file)
    app_ctx.note(f"{resolved} is no longer trusted" if was_trusted else f"{resolved} was not trusted")
