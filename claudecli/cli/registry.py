"""The subcommands, loaded only when used (click's lazy-group pattern).

Building every command's click tree costs ~13 ms and imports every command module; ``claudecli ask`` needs
one of them. ``--help`` and shell completion still see them all: they ask for each by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import typer
from typer.core import TyperCommand, TyperGroup

from claudecli.core import gc_pause


@dataclass(frozen=True)
class LazyCommand:
    module: str
    attribute: str  # a Typer sub-app, or a command function
    help_attribute: str | None = None  # module-level help text for a function command


COMMANDS: dict[str, LazyCommand] = {
    "chat": LazyCommand("claudecli.cli.chat_cmd", "chat"),
    "ask": LazyCommand("claudecli.cli.ask_cmd", "ask", help_attribute="HELP"),
    "batch": LazyCommand("claudecli.cli.batch_cmd", "app"),
    "cost": LazyCommand("claudecli.cli.cost_cmd", "app"),
    "models": LazyCommand("claudecli.cli.models_cmd", "app"),
    "config": LazyCommand("claudecli.cli.config_cmd", "app"),
    "roles": LazyCommand("claudecli.cli.roles_cmd", "roles", help_attribute="HELP"),
    "files": LazyCommand("claudecli.cli.files_cmd", "app"),
}


def load_command(name: str) -> TyperCommand | TyperGroup | None:
    """Import the module behind ``name`` and build its click command (None for an unknown name)."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    module = importlib.import_module(entry.module)
    gc_pause.end_startup()  # the boundary: what every run of this command needs is loaded
    target = getattr(module, entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        _plain_help(group)
        return group
    single = typer.Typer(add_completion=False)  # --install-completion belongs to the root only
    help_text = getattr(module, entry.help_attribute) if entry.help_attribute else None
    single.command(name, help=help_text)(target)
    command = typer.main.get_command(single)
    assert isinstance(command, TyperCommand)
    _plain_help(command)
    return command


def _plain_help(command: TyperCommand | TyperGroup) -> None:
    """Plain click help everywhere, like the root (no rich boxes in help piped to a pager or a file)."""
    command.rich_markup_mode = None
    for child in getattr(command, "commands", {}).values():
        _plain_help(child)
