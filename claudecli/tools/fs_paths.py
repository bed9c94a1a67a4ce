"""Where the ``fs`` tools may look: inside one root, never at hidden or credential files (unless allowed).

A path the model names is joined to the root, resolved (``..`` collapsed, every symlink followed) and only
then checked to be inside the root, so ``../../etc/passwd``, ``/etc/passwd`` and a symlink pointing out are all
refused the same way. A refusal never says whether the path exists.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from claudecli.tools.sanitize import escape_controls, unescape_name

# Names (matched case-insensitively against every component of a path) that may hold credentials or keys.
# Anything starting with "." (dotfiles and dot-directories: .env, .git, .ssh, .aws, .netrc ...) is hidden too.
SENSITIVE_NAMES = (
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "*.ppk",
    "*.gpg",
    "*.tfstate",
    "*.tfstate.*",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "credentials*",
    "secrets.*",
    "*.env",
)


class Refused(Exception):
    """A path the fs tools will not touch; the message is shown to the model."""


def is_hidden_name(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(".") or any(
        fnmatch.fnmatchcase(lowered, pattern) for pattern in SENSITIVE_NAMES
    )


@dataclass(frozen=True)
class Confinement:
    root: Path  # resolved
    allow_hidden: bool = False

    @classmethod
    def at(cls, root: Path, allow_hidden: bool = False) -> Confinement:
        return cls(root.resolve(strict=True), allow_hidden)

    def resolve(self, given: object) -> Path:
        """The real path ``given`` names, if the tools may use it; ``Refused`` otherwise."""
        if not isinstance(given, str):
            raise Refused("path must be a string")
        if "\x00" in given:
            raise Refused("path must not contain a NUL character")
        text = given.strip() or "."
        candidate = Path(text)  # "~" is a name like any other: nothing outside the root is reachable
        joined = candidate if candidate.is_absolute() else self.root / candidate
        if "\\" in text and not os.path.lexists(joined):  # a name as list_dir showed it, escaped
            listed = Path(unescape_name(text))
            unescaped = listed if listed.is_absolute() else self.root / listed
            if os.path.lexists(unescaped):
                joined = unescaped
        try:
            real = joined.resolve(strict=False)
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
            raise Refused(f"{given}: cannot resolve this path") from None
        if not real.is_relative_to(self.root):
            raise Refused(f"{given}: outside the root {self.root} (refused)")
        if not self.allow_hidden:
            self._check_visible(given, joined, real)
        return real

    def _check_visible(self, given: str, joined: Path, real: Path) -> None:
        """Refuse a hidden name in the path as written or as resolved (a symlink to ``.env`` is ``.env``)."""
        written = Path(os.path.normpath(joined))
        parts = [*self.relative_parts(real)]
        if written.is_relative_to(self.root):
            parts += written.relative_to(self.root).parts
        if any(is_hidden_name(part) for part in parts):
            raise Refused(
                f"{given}: hidden or credential files (dotfiles, .env, keys) are not readable; "
                "the user may allow them with --fs-allow-hidden"
            )

    def relative_parts(self, real: Path) -> tuple[str, ...]:
        return real.relative_to(self.root).parts

    def shown(self, real: Path) -> str:
        """A path as the model should see it: relative to the root, on one line (control characters escaped)."""
        relative = real.relative_to(self.root)
        return escape_controls(str(relative)) if relative.parts else "."

    def visible(self, real: Path) -> bool:
        """Whether an entry found while walking may be shown: inside the root (after symlinks) and not hidden."""
        if not self.allow_hidden and is_hidden_name(real.name):
            return False
        try:
            target = real.resolve(strict=False)
        except (OSError, RuntimeError, ValueError):
            return False
        if not target.is_relative_to(self.root):
            return False
        return self.allow_hidden or not any(is_hidden_name(part) for part in self.relative_parts(target))
