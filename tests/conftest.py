"""Shared fixtures: an isolated claudecli home, the fake Anthropic API, and ways to run the CLI.

Every test runs with CLAUDECLI_HOME in a temp dir, no inherited ANTHROPIC_*/CLAUDECLI_* variables, an empty
ANTHROPIC_CONFIG_DIR (so the SDK never finds a real profile), and the current directory in a temp dir (so no
stray .env is read).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, settings

from tests.fakeapi.fixtures import fake_api  # noqa: F401  (re-exported fixture)

TEST_KEY = "sk-ant-test-SECRET-0123456789abcdef"
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Hypothesis: "suite" (the default, CI) runs a few derandomized examples per property, the same every run, so the
# whole suite stays fast and reproducible; "deep" (HYPOTHESIS_PROFILE=deep) hunts with many fresh random ones.
# Tests size their example counts from the profile's max_examples (see tests/test_fuzz.py).
_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "suite", max_examples=15, derandomize=True, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.register_profile(
    "deep", max_examples=500, derandomize=False, database=None, deadline=None, suppress_health_check=_QUIET
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile claudecli and the test helpers once, before any worker starts a CLI process; with xdist, start
    the zygotes (tests/zygote.py) the workers share, without waiting for them.

    Hundreds of tests start ``python -m claudecli``; where PYTHONDONTWRITEBYTECODE is set (or the checkout is
    read-only to the interpreter) each of them would compile every module again: 0.1-0.3 s per process.
    ``compileall`` writes the bytecode whatever that variable says; the interpreter then only reads it.
    """
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller has done it
        return
    import compileall

    for package in ("claudecli", "tests"):
        compileall.compile_dir(PROJECT_ROOT / package, quiet=1)
    _rewrite_test_modules_ahead(session.config)
    if getattr(session.config.option, "numprocesses", None):  # xdist workers: one zygote of each kind for all
        from tests.zygote import Zygote

        for kind in ("claudecli", "toy"):
            Zygote.share(kind)


def _rewrite_test_modules_ahead(config: pytest.Config) -> None:
    """Write pytest's assert-rewritten bytecode of every test module once, before the workers collect.

    pytest caches each test module with its asserts rewritten, but not where PYTHONDONTWRITEBYTECODE is set (as in
    this sandbox and its CI): then every xdist worker rewrote all ~90 modules again, ~6 s of CPU each. pytest
    reads such a cache even when it may not write one, so writing it here once saves that in every worker.
    This leans on pytest internals: if they are not as expected, nothing is written and the workers rewrite.
    """
    if config.getoption("assertmode", "rewrite") != "rewrite":
        return
    try:
        from _pytest.assertion import rewrite

        missing = []
        for source in sorted((PROJECT_ROOT / "tests").rglob("*.py")):
            if source.name.startswith("test_") or source.name == "conftest.py":
                pyc = rewrite.get_cache_dir(source) / (source.name[:-3] + rewrite.PYC_TAIL)
                if rewrite._read_pyc(source, pyc) is None:
                    missing.append((source, pyc))
        if not missing:
            return
        helper = os.fork()  # two cores: a child writes every other module
        try:
            for source, pyc in missing[(helper != 0) :: 2]:
                try:
                    source_hash, code = rewrite._rewrite_test(source, config)
                except Exception:  # a module that does not parse: its own collection will report it
                    continue
                pyc.parent.mkdir(exist_ok=True)
                rewrite._write_pyc(SimpleNamespace(trace=lambda _message: None), code, source_hash, pyc)
        finally:
            if helper == 0:
                os._exit(0)  # the child never goes on to run pytest, whatever happened
            os.waitpid(helper, 0)
    except (ImportError, AttributeError, TypeError, OSError):
        return


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def base_env(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment every CLI run gets (also applied to this process for in-process runs)."""
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "CLAUDECLI_")) or name in {"NO_COLOR", "FORCE_COLOR"}:
            monkeypatch.delenv(name, raising=False)
    sdk_config = tmp_path / "anthropic-config"
    sdk_config.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    env = {
        "CLAUDECLI_HOME": str(home),
        "ANTHROPIC_CONFIG_DIR": str(sdk_config),
        "ANTHROPIC_API_KEY": TEST_KEY,
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "40",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def cli_env(base_env: dict[str, str], fake_api, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # noqa: F811
    """``base_env`` pointed at the fake API."""
    env = {**base_env, "ANTHROPIC_BASE_URL": fake_api.base_url, "CLAUDECLI_RETRY_AFTER_CAP": "0.2"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def subprocess_env(extra: dict[str, str | None] | None = None) -> dict[str, str]:
    """This process's (already isolated) environment plus ``extra``; a None value removes the variable."""
    env = dict(os.environ)
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_in_subprocess(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str | None] | None = None,
    timeout: float = 60,
) -> Result:
    """``python -m claudecli ARGS`` in a real subprocess (real pipes: stdout is not a TTY)."""
    merged = subprocess_env(env)
    data = input.encode("utf-8") if isinstance(input, str) else input
    done = subprocess.run(
        [sys.executable, "-m", "claudecli", *args],
        input=data if data is not None else b"",
        capture_output=True,
        env=merged,
        timeout=timeout,
        cwd=os.getcwd(),
    )
    return Result(
        done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )


def run_forked_cli(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str | None] | None = None,
    timeout: float = 60,
) -> Result:
    """As :func:`run_in_subprocess`, but the process is forked from the zygote (tests/zygote.py)."""
    from tests.zygote import run_forked

    data = input.encode("utf-8") if isinstance(input, str) else input
    done = run_forked(
        args, input=data, capture_output=True, env=subprocess_env(env), timeout=timeout, cwd=os.getcwd()
    )
    return Result(
        done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    )


class _Pipe(io.TextIOWrapper):
    """A text stream over bytes that, like a pipe, is not a terminal and has a binary buffer."""

    def __init__(self, data: bytes = b"") -> None:
        super().__init__(
            io.BytesIO(data), encoding="utf-8", errors="strict", newline=None, write_through=True
        )

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8", "replace")


def run_in_process(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str | None] | None = None,
    timeout: float = 60,
) -> Result:
    """Run the real Typer app in this process: the same argv, pipes and environment, one SDK import per worker.

    Only process behaviour (signals, exit on a closed pipe, start-up, ptys) needs :func:`run_in_subprocess`;
    everything else is the same code path, so running it here keeps the suite fast.
    """
    from claudecli.cli.app import PROG_NAME, app

    data = input.encode("utf-8") if isinstance(input, str) else (input or b"")
    stdin, stdout, stderr = _Pipe(data), _Pipe(), _Pipe()
    saved_env = dict(os.environ)
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    for name, value in (env or {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        code = app(args=list(args), prog_name=PROG_NAME, standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception:  # what the interpreter does with an exception that escapes `main`
        traceback.print_exc(file=stderr)
        code = 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(int(code or 0), stdout.text(), stderr.text())


@pytest.fixture
def run_cli(base_env: dict[str, str]):
    """Run claudecli with ARGS in this process (see :func:`run_in_process`)."""
    return run_in_process


@pytest.fixture
def run_cli_forked(base_env: dict[str, str]):
    """Run ``python -m claudecli ARGS`` as a real process forked from the zygote (see :func:`run_forked_cli`)."""
    return run_forked_cli


@pytest.fixture
def run_cli_subprocess(base_env: dict[str, str]):
    """Run ``python -m claudecli ARGS`` in a real subprocess, for tests about process behaviour."""
    return run_in_subprocess


@pytest.fixture
def write_config(home: Path):
    """Write CLAUDECLI_HOME/config/config.toml."""

    def write(text: str) -> Path:
        path = home / "config" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def assert_no_traceback(text: str) -> None:
    assert "Traceback" not in text, text


def assert_secret_free(*texts: str) -> None:
    for text in texts:
        assert TEST_KEY not in text
        assert TEST_KEY[-12:] not in text


@pytest.fixture
def ledger_rows(home: Path) -> Iterator:
    """Read the ledger's rows as dicts (real SQLite)."""
    import sqlite3

    def read() -> list[dict]:
        path = home / "data" / "usage.db"
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute("SELECT * FROM calls ORDER BY id")]

    yield read
