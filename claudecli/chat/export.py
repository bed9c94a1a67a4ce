"""/export PATH.md: the conversation as a Markdown document (written atomically, private: it holds prompts)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from claudecli.chat.conversation import Exchange
from claudecli.core.errors import UsageError
from claudecli.core.fsutil import atomic_write_text, require_parent, special_file
from claudecli.core.names import RULE_TEXT, is_safe_name
from claudecli.render.summary import format_usd

if TYPE_CHECKING:
    from claudecli.chat.state import ChatState


def _attachment_lines(exchange: Exchange) -> list[str]:
    content = exchange.user_content
    if not isinstance(content, list):
        return []
    return [
        f"*attached: {block.get('title') or block.get('type')}*"
        for block in content
        if isinstance(block, dict) and block.get("type") != "text"
    ]


def transcript_markdown(chat: ChatState) -> str:
    meta = chat.meta
    lines = [
        f"# {chat.label}",
        "",
        f"- model: `{meta.model}`",
        f"- session: `{meta.id}`",
        f"- exported: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- cost so far: {format_usd(chat.totals.cost_usd)}",
        "",
    ]
    if meta.system:
        lines += ["## System prompt", "", meta.system.strip(), ""]
    if meta.summary:
        lines += ["## Summary of earlier turns", "", meta.summary.strip(), ""]
    for exchange in chat.conversation.exchanges:
        lines += ["## You", "", *_attachment_lines(exchange), exchange.prompt_text.strip(), ""]
        lines += [f"## Claude ({exchange.model})", "", exchange.as_text(), ""]
        if exchange.partial:
            note = "interrupted" if exchange.status == "interrupted" else f"incomplete: {exchange.status}"
            lines += [f"*[{note}: partial answer]*", ""]
    return "\n".join(lines).rstrip() + "\n"


def export_path(raw: str) -> Path:
    """Where ``/export RAW`` writes: a bare name goes in the current directory and must pass the name rule; a
    path (``~/notes/x.md``, ``./my notes.md``) is the user's choice, but its directory must already exist."""

    if "/" in raw or os.sep in raw or raw.startswith("~"):
        path = Path(raw).expanduser()
        require_parent(path, "/export")
        return path
    if not is_safe_name(raw):
        raise UsageError(
            f"/export: {raw!r} cannot be used as a file name: {RULE_TEXT}", hint=f"or /export ./{raw}"
        )
    return Path(raw)


def export(chat: ChatState, argument: str) -> Path:
    """Write the transcript; refuses to overwrite a file unless ``--force`` follows the path."""
    words = argument.split()
    force = "--force" in words
    raw = " ".join(word for word in words if word != "--force").strip()
    if not raw:
        raise UsageError("/export needs a file name", hint="/export notes.md")
    path = export_path(raw)
    if path.is_dir():
        raise UsageError(f"/export: {path} is a directory")
    # A dangling link: exists() follows it and says no, but writing there replaces the link.
    if path.is_symlink() and not path.exists():
        raise UsageError(
            f"/export: {path} already exists (a symbolic link)", hint=f"/export {raw} --force replaces it"
        )
    if special_file(path):
        raise UsageError(f"/export: {path} is not a regular file")
    if path.exists() and not force:
        raise UsageError(f"/export: {path} already exists", hint=f"/export {raw} --force overwrites it")

    try:
        atomic_write_text(path, chat.app_ctx.scrub(transcript_markdown(chat)), private=True)
    except OSError as exc:
        raise UsageError(f"/export: cannot write {path}: {exc.strerror}") from None
    return path
