"""Shell completion scripts, generated from the app itself (``python -m claudecli.cli.completions [DIR]``).

The scripts call back into ``claudecli`` with ``_CLAUDECLI_COMPLETE`` set, so completions always match the
installed version; that path never imports the SDK, so a Tab press stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROG_NAME = "claudecli"
COMPLETE_VAR = "_CLAUDECLI_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    text = get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell)
    return text if text.endswith("\n") else text + "\n"


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell in SHELLS:
        path = directory / f"{PROG_NAME}.{shell}"
        path.write_text(script(shell), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "completions")):
        print(path)
