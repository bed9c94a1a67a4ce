"""The README's install and shell-completion steps name files that exist and are what the app generates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from claudecli.cli.completions import SHELLS, script
from tests.conftest import PROJECT_ROOT, subprocess_env

README = PROJECT_ROOT / "README.md"
COMPLETION_FILE = re.compile(r"completions/(claudecli\.(?:bash|zsh|fish))\b")


def section(title: str) -> str:
    """The README text under ``## title``, up to the next ``## `` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def test_the_completion_steps_name_one_committed_file_per_shell():
    steps = "".join(code_blocks(section("Shell completion")))
    named = set(COMPLETION_FILE.findall(steps))
    assert named == {f"claudecli.{shell}" for shell in SHELLS}
    for shell in SHELLS:
        path = PROJECT_ROOT / "completions" / f"claudecli.{shell}"
        assert path.is_file(), path
        assert path.read_text(encoding="utf-8") == script(shell), f"{path} is stale"
        # each shell's step copies or sources its own script
        step = next(line for line in steps.splitlines() if f"claudecli.{shell}" in line)
        assert not re.search(r"claudecli\.(bash|zsh|fish)", step.replace(f"claudecli.{shell}", "")), step


def test_the_regenerate_command_writes_exactly_the_committed_files(tmp_path: Path):
    assert "python -m claudecli.cli.completions" in section("Shell completion")
    done = subprocess.run(
        [sys.executable, "-m", "claudecli.cli.completions", str(tmp_path)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=True,
        cwd=PROJECT_ROOT,
    )
    assert sorted(Path(line).name for line in done.stdout.split()) == sorted(f"claudecli.{s}" for s in SHELLS)
    for shell in SHELLS:
        generated = (tmp_path / f"claudecli.{shell}").read_bytes()
        assert generated == (PROJECT_ROOT / "completions" / f"claudecli.{shell}").read_bytes()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_sourced_bash_script_completes_from_the_installed_command(base_env, tmp_path: Path):
    """The bash step for real: source the committed script, press Tab after `claudecli as`."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "claudecli").exists():
        pytest.skip("claudecli is not installed next to this interpreter")
    probe = (
        "source completions/claudecli.bash && complete -p claudecli >/dev/null && "
        "COMP_WORDS=(claudecli as) COMP_CWORD=1 && _claudecli_completion claudecli && "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = subprocess_env({"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)})
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ask"]


def test_the_install_section_covers_pipx_and_uv_from_a_checkout_and_from_git():
    steps = "".join(code_blocks(section("Install")))
    for command in (
        "pipx install .",
        "uv tool install .",
        "pipx install git+https://",
        "uv tool install git+https://",
    ):
        assert command in steps, command
