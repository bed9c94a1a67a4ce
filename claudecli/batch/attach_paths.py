"""Where a batch file's attachments may come from: its own directory, or a directory named by ``--allow-outside``.

A batch file is untrusted input (a teammate's, a generator's, a download): a line must not be able to read
``/etc/shadow`` or ``~/.ssh/id_ed25519`` and send it to the API. So a local attachment path is taken relative
to the batch file's directory, resolved (``~``, ``..`` and every symlink followed) *before* the check, and the
real path must lie inside that directory or inside one of the ``--allow-outside`` directories (resolved the
same way). The refusal names neither the file's contents nor whether it exists. What is read afterwards is
the resolved path, not the name in the line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from claudecli.batch.ids import LineError
from claudecli.core.errors import UsageError


def real_path(path: Path) -> Path:
    """``path`` with every symlink, ``.`` and ``..`` resolved (as far as it exists)."""
    return Path(os.path.realpath(path))


def allowed_roots(dirs: Iterable[Path]) -> tuple[Path, ...]:
    """The ``--allow-outside`` directories, resolved; each must be an existing directory."""
    roots = []
    for directory in dirs:
        real = real_path(directory.expanduser())
        if not real.is_dir():
            raise UsageError(f"--allow-outside {directory}: not a directory")
        roots.append(real)
    return tuple(roots)


def confined(spec: str, base_dir: Path, allowed: tuple[Path, ...]) -> Path:
    """The real path of attachment ``spec`` of a batch file in ``base_dir`` (already resolved).

    Raises :class:`LineError` when it leads outside ``base_dir`` and every ``allowed`` directory.
    """
    real = real_path(base_dir / Path(spec).expanduser())  # an absolute spec replaces base_dir
    if any(real.is_relative_to(root) for root in (base_dir, *allowed)):
        return real
    shown = repr(spec) if str(real) == spec else f"{spec!r} (→ {real})"
    raise LineError(
        f"attachment {shown} is outside the input file's directory {base_dir}; "
        "pass --allow-outside DIR to attach files from DIR"
    )
