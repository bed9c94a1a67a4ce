"""Property-based fuzzing of everything a user, a cloned repository or a batch file can feed claudecli (issue 12).

Four sources of input: ``config.toml``, a ``.env`` in the current directory, the argument vector, and batch JSONL
lines. Each example runs the real CLI in process (``run_in_process``) against the fake API, and must hold:

- the exit code is a documented one (``ExitCode``), and never 1, which is the code of a bug;
- no traceback on stderr, and no secret on stdout or stderr;
- nothing is written outside the data directory (``CLAUDECLI_HOME``) and the outputs the command was asked for.

Example counts, randomness and the database come from the Hypothesis profile tests/conftest.py loads: "suite" (the
default) runs a few derandomized examples (the same every run, so CI is reproducible, nothing stored between runs)
so the whole file takes a few seconds; ``HYPOTHESIS_PROFILE=deep`` runs many fresh random ones, for a longer hunt.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from claudecli.core.errors import ExitCode
from claudecli.core.setting_values import SCALARS
from tests.conftest import TEST_KEY, Result, assert_secret_free, run_in_process

EXAMPLES = settings().max_examples  # the loaded profile's (tests/conftest.py)
DOCUMENTED = {int(code) for code in ExitCode} - {int(ExitCode.ERROR)}
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f5d0d50000000049454e44ae426082"
)
# No retries and a short timeout: a fuzzed setting must not make an example wait (the environment wins).
FAST = {"CLAUDECLI_MAX_RETRIES": "0", "CLAUDECLI_TIMEOUT": "5", "CLAUDECLI_RETRY_AFTER_CAP": "0"}


@dataclass
class Arena:
    """One test's directories: the data dir, the current directory, input files, and where outputs may go."""

    root: Path
    home: Path
    work: Path
    inputs: Path
    outputs: Path
    base_url: str

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """Every file under the test's root except the data dir and the outputs dir: path -> (size, mtime)."""
        found: dict[str, tuple[int, int]] = {}
        for directory, subdirs, files in os.walk(self.root):
            here = Path(directory)
            subdirs[:] = [name for name in subdirs if here / name not in (self.home, self.outputs)]
            for name in files + [d for d in subdirs]:
                info = (here / name).lstat()
                found[str(here / name)] = (info.st_size, info.st_mtime_ns)
        return found

    def run(self, *args: str, input: bytes | None = None) -> Result:
        """Run claudecli and check the properties every run must hold."""
        before = self.snapshot()
        result = run_in_process(*args, input=input, env=FAST)
        event(f"exit {result.exit_code}")  # --hypothesis-show-statistics: how the examples ended
        assert result.exit_code in DOCUMENTED, (args, result)
        assert "Traceback" not in result.stderr, (args, result)
        assert_secret_free(result.stdout, result.stderr)
        after = self.snapshot()
        assert after == before, (args, sorted(set(after.items()) ^ set(before.items())))
        for path in self.outputs.iterdir():  # outputs are for this example only
            if path.is_dir():
                for inner in path.iterdir():
                    inner.unlink()
                path.rmdir()
            else:
                path.unlink()
        return result


@pytest.fixture
def arena(cli_env, fake_api, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Arena]:
    user_home = tmp_path / "user-home"  # completion installers and the like write under $HOME: keep it here
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "notes.txt").write_text("some notes\n", encoding="utf-8")
    (inputs / "pixel.png").write_bytes(PNG_1PX)
    (inputs / "binary.bin").write_bytes(bytes(range(256)))
    (inputs / "schema.json").write_text('{"type": "object", "properties": {"a": {"type": "string"}}}')
    (inputs / "jobs.jsonl").write_text(json.dumps({"id": "q1", "prompt": "[[words:2]]"}) + "\n")
    (inputs / "prompt.md").write_text("You are terse.\n", encoding="utf-8")
    (inputs / "subdir").mkdir()
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    yield Arena(tmp_path, home, Path.cwd(), inputs, outputs, fake_api.base_url)


# --- values ------------------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(
    ["", " ", "nan", "inf", "-inf", "1e400", "-1", "0", "1", "99999999999999999999999", "lots", "true", "off",
     "5m", "1h", "2h", "haiku", "sonnet", "claude-3-opus-20240229", "claude-nonexistent-1", "x" * 300,
     "../../etc/passwd", "a/b", ".", "..", "-", "--", "@", "@@x", "{line}", "{", '{"a":', "[[words:3]]",
     "caf\u00e9 \u2615", "\u202eevil", "line\nbreak", "tab\there", "\x1b[31mred", "[bold]markup[/]", "%s%n",
     "$(touch pwned)", "`id`", "${HOME}", "*", "C:\\x", "\\\\server\\share"]
)  # fmt: skip
TEXT = st.one_of(ODD_TEXT, st.text(max_size=40))
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 1024, 8192, 64_000, 10**30, -5]),
)
BASE_URLS = st.sampled_from(
    ["http://127.0.0.1:9", "ftp://x", "localhost:1", "http://", "https://:1", "http://127.0.0.1:99999", ""]
)


def toml_value(value: object) -> str:
    """A value in TOML syntax (floats as TOML spells nan and inf); strings as JSON, which TOML mostly reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


SAFE_KEY_COMMANDS = st.sampled_from([["false"], "true", "/nonexistent/key-program", ["echo", "sk-ant-x"], []])
TOML_SCALARS = st.one_of(NUMBERS, st.booleans(), TEXT)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
CONFIG_KEYS = st.sampled_from(
    [name for name in SCALARS if name not in {"api_key_command", "base_url"}]
    + ["aliases", "prices", "default_profile", "profiles", "unknown_key"]
)


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    """A config.toml: mostly well-formed TOML with wrong or odd values; sometimes broken or binary."""
    kind = draw(st.sampled_from(["entries", "entries", "entries", "garbage", "binary", "deep"]))
    if kind == "garbage":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == "binary":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        depth = draw(st.integers(min_value=100, max_value=3000))
        return ("aliases = " + "[" * depth + "]" * depth + "\n").encode()
    lines = []
    for key in draw(st.lists(CONFIG_KEYS, max_size=6, unique=True)):
        lines.append(f"{key} = {toml_value(draw(TOML_VALUES))}")
    if draw(st.booleans()):
        lines.append(f"base_url = {toml_value(draw(BASE_URLS))}")
    if draw(st.booleans()):
        lines.append(f"api_key_command = {toml_value(draw(SAFE_KEY_COMMANDS))}")
    if draw(st.booleans()):
        name = draw(st.sampled_from(["work", "x y", "../up", "ok"]))
        lines.append(f"[profiles.{json.dumps(name)}]")
        lines.append(f"model = {toml_value(draw(TOML_SCALARS))}")
    if draw(st.booleans()):
        lines.append(f"[prices.{json.dumps(draw(TEXT))}]\ninput = {toml_value(draw(TOML_SCALARS))}")
    return "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"


ENV_NAMES = st.sampled_from(
    [f"CLAUDECLI_{name.upper()}" for name in SCALARS if name not in {"api_key_command", "base_url"}]
    + ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_ADMIN_KEY", "CLAUDECLI_PROFILE", "HTTPS_PROXY",
       "ANTHROPIC_CUSTOM_HEADERS", "ANTHROPIC_LOG", "PATH", "lower_case", "1BAD"]
)  # fmt: skip


@st.composite
def dotenv_files(draw: st.DrawFn) -> bytes:
    """A .env: assignments with odd values, quoting, ``export``, comments and broken lines; sometimes binary."""
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        return draw(st.binary(max_size=200))
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        shape = draw(st.sampled_from(["plain", "quoted", "single", "export", "comment", "broken", "url"]))
        name, value = draw(ENV_NAMES), draw(TEXT).replace("\n", " ")
        lines.append(
            {
                "plain": f"{name}={value}",
                "quoted": f"{name}={json.dumps(value)}",
                "single": f"{name}='{value}'",
                "export": f"export {name}={value}",
                "comment": f"# {value}",
                "broken": f"{value}",
                "url": f"CLAUDECLI_BASE_URL={draw(BASE_URLS)}",
            }[shape]
        )
    return "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"


# --- the properties ----------------------------------------------------------------------------------

CONFIG_COMMANDS = [
    ("config", "show"),
    ("config", "show", "--json"),
    ("config", "path"),
    ("cost", "estimate", "--offline", "-m", "haiku", "hi"),
    ("cost", "budget"),
    ("models", "--offline", "--json"),
    ("ask", "[[words:2]]"),
    ("batch", "list"),
]


@settings(max_examples=EXAMPLES)
@given(config=config_files(), command=st.sampled_from(CONFIG_COMMANDS))
def test_fuzzed_config_files(arena: Arena, config: bytes, command: tuple[str, ...]) -> None:
    path = arena.home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(config)
    try:
        arena.run(*command)
    finally:
        path.unlink()


@settings(max_examples=EXAMPLES)
@given(dotenv=dotenv_files(), command=st.sampled_from(CONFIG_COMMANDS))
def test_fuzzed_dotenv_files(arena: Arena, dotenv: bytes, command: tuple[str, ...]) -> None:
    path = arena.work / ".env"
    path.write_bytes(dotenv)
    try:
        arena.run(*command)
    finally:
        path.unlink()


@st.composite
def jsonl_lines(draw: st.DrawFn, inputs: str) -> bytes:
    """One batch input line: the short form, the API's shape, plain text or garbage, with odd values."""
    attach = st.sampled_from(["notes.txt", "pixel.png", "binary.bin", "subdir", "missing.txt", "../outside.txt",
                              "/etc/passwd", f"{inputs}/notes.txt", "https://example.com/a.png", "/dev/zero"])  # fmt: skip
    field_value = st.one_of(TEXT, NUMBERS, st.booleans(), st.none(), st.lists(TEXT, max_size=2))
    shape = draw(st.sampled_from(["short", "short", "api", "text", "garbage", "deep", "bytes"]))
    if shape == "short":
        obj: dict[str, object] = {"prompt": draw(st.one_of(TEXT, field_value))}
        for name in draw(
            st.lists(st.sampled_from(["id", "system", "model", "max_tokens", "attach", "extra"]))
        ):
            obj[name] = draw(st.one_of(field_value, attach, st.lists(attach, max_size=2)))
        return json.dumps(obj).encode()
    if shape == "api":
        params: dict[str, object] = {
            "model": draw(st.one_of(st.sampled_from(["claude-haiku-5-5", "haiku"]), field_value)),
            "max_tokens": draw(st.one_of(st.integers(min_value=1, max_value=64_000), field_value)),
            "messages": draw(
                st.one_of(
                    st.just([{"role": "user", "content": "[[words:2]]"}]),
                    st.lists(st.dictionaries(TEXT, field_value, max_size=2), max_size=2),
                    field_value,
                )
            ),
        }
        for name in draw(
            st.lists(st.sampled_from(["system", "thinking", "stream", "output_config", "tools"]))
        ):
            params[name] = draw(field_value)
        return json.dumps({"custom_id": draw(st.one_of(TEXT, field_value)), "params": params}).encode()
    if shape == "text":
        return draw(TEXT).replace("\n", " ").encode("utf-8", "surrogatepass")
    if shape == "deep":
        depth = draw(st.integers(min_value=500, max_value=5000))
        return b"[" * depth + b"]" * depth
    return draw(st.binary(max_size=80)).replace(b"\n", b" ")


@st.composite
def batch_inputs(draw: st.DrawFn, inputs: str) -> bytes:
    lines = draw(st.lists(jsonl_lines(inputs), min_size=0, max_size=5))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return prefix + ending.join(lines) + ending


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_fuzzed_batch_lines(arena: Arena, data: st.DataObject) -> None:
    path = arena.inputs / "fuzzed.jsonl"
    path.write_bytes(data.draw(batch_inputs(str(arena.inputs))))
    options = data.draw(
        st.lists(st.sampled_from(["--skip-invalid", "--text", "--template={line}!"]), unique=True)
    )
    command = data.draw(st.sampled_from(["submit --dry-run", "submit --dry-run", "run"]))
    extra = ["-o", str(arena.outputs / "out.jsonl")] if command == "run" else []
    try:
        arena.run("batch", *command.split(), *options, *extra, str(path))
    finally:
        path.unlink()


# --- argument vectors --------------------------------------------------------------------------------


def _paths(arena_inputs: str, outputs: str) -> dict[str, st.SearchStrategy[str]]:
    readable = st.sampled_from(
        [
            f"{arena_inputs}/{name}"
            for name in ("notes.txt", "pixel.png", "binary.bin", "schema.json", "subdir")
        ]
        + ["/dev/null", "/dev/zero", "/nonexistent/file.txt", "", "~"]
    )
    return {
        "file": readable,
        "at_file": readable.map(lambda path: "@" + path),
        "input": st.sampled_from(
            [
                f"{arena_inputs}/jobs.jsonl",
                f"{arena_inputs}/notes.txt",
                f"{arena_inputs}/binary.bin",
                f"{arena_inputs}/subdir",
                "/dev/null",
                "/nonexistent.jsonl",
                "-",
            ]
        ),
        "output": st.sampled_from(
            [f"{outputs}/out.jsonl", f"{outputs}/out.csv", f"{outputs}", f"{outputs}/missing-dir/out.jsonl"]
        ),
        "out_dir": st.sampled_from([f"{outputs}/results", f"{outputs}/missing/deeper"]),
    }


# Each command's options: name -> the kind of value it takes (None: a flag).
ASK_OPTIONS: dict[str, str | None] = {
    "-m": "model", "--fallback": "model", "-s": "system", "--max-tokens": "number", "--stop": "text",
    "--thinking": "thinking", "--effort": "text", "--show-thinking": None, "-a": "attach", "--schema": "schema",
    "--json": None, "--plain": None, "-q": None, "--tag": "text", "-o": "param", "--no-cache": None,
    "--cache-ttl": "text", "--no-stdin": None, "--force": None,
}  # fmt: skip
BATCH_OPTIONS: dict[str, str | None] = {
    "--text": None, "-m": "model", "-s": "system", "--max-tokens": "number", "--schema": "schema",
    "--thinking": "thinking", "--template": "text", "--skip-invalid": None, "--allow-outside": "file",
    "--format": "format", "-q": None,
}  # fmt: skip
COMMANDS: dict[tuple[str, ...], tuple[dict[str, str | None], list[str]]] = {
    ("ask",): (ASK_OPTIONS, ["prompt"]),
    ("cost", "estimate"): (
        {
            "-a": "attach",
            "-s": "system",
            "-m": "model",
            "--output-tokens": "number",
            "--offline": None,
            "--json": None,
            "--no-stdin": None,
        },
        ["prompt"],
    ),
    ("cost", "report"): (
        {"--since": "text", "--until": "text", "--by": "text", "--json": None, "--csv": None},
        [],
    ),
    ("cost", "prices"): ({"--json": None}, ["model"]),
    ("cost", "budget"): ({"--json": None}, []),
    ("models",): ({"--all": None, "--json": None, "--plain": None}, []),
    ("models", "show"): ({"--json": None}, ["model"]),
    ("batch", "submit"): (
        {
            **BATCH_OPTIONS,
            "--dry-run": None,
            "--name": "text",
            "--json": None,
            "--split-requests": "number",
            "--split-bytes": "number",
            "--force": None,
        },
        ["input"],
    ),
    ("batch", "run"): ({**BATCH_OPTIONS, "-o": "output", "-c": "number", "--retries": "number"}, ["input"]),
    ("batch", "list"): ({"--limit": "number", "--json": None}, []),
    ("batch", "status"): ({"--json": None, "--poll-interval": "number"}, ["text"]),
    ("batch", "results"): ({"-o": "output", "--format": "format"}, ["text"]),
    ("batch", "cancel"): ({}, ["text"]),
    ("batch", "delete"): ({}, ["text"]),
    ("batch", "collect"): ({"--out-dir": "out_dir", "--format": "format", "-q": None}, []),
    ("config", "show"): ({"--json": None}, []),
    ("config", "path"): ({"--json": None}, []),
    ("chat",): ({"-m": "model", "-s": "system", "--list": None, "--json": None, "--session": "text"}, []),
}
GLOBAL_OPTIONS = st.lists(
    st.sampled_from(["--plain", "-q", "--debug", "--profile=nope", "--profile=../x"]), max_size=2
)


@st.composite
def argument_vectors(draw: st.DrawFn, inputs: str, outputs: str) -> tuple[list[str], bytes | None]:
    paths = _paths(inputs, outputs)
    values: dict[str, st.SearchStrategy[str]] = {
        "model": st.one_of(
            st.sampled_from(["haiku", "sonnet", "claude-haiku-5-5", "claude-3-opus-20240229"]), TEXT
        ),
        "system": st.one_of(TEXT, paths["at_file"]),
        "number": st.one_of(NUMBERS.map(str), TEXT),
        "text": TEXT,
        "thinking": st.one_of(st.sampled_from(["adaptive", "off", "1024", "2048", "0", "999999999"]), TEXT),
        "attach": st.one_of(paths["file"], st.just("https://example.com/x.png"), TEXT),
        "schema": st.one_of(paths["file"], st.sampled_from(["name, age int", "{}", "[]", "a list[x]"]), TEXT),
        "param": st.builds(
            lambda k, v: f"{k}={v}", st.sampled_from(["metadata.user_id", "model", "a.b.c", ""]), TEXT
        ),
        "format": st.sampled_from(["jsonl", "csv", "text", "xml", ""]),
        "prompt": st.one_of(st.just("[[words:3]]"), TEXT),
        **paths,
    }
    command = draw(st.sampled_from(list(COMMANDS)))
    options, positionals = COMMANDS[command]
    argv = [*draw(GLOBAL_OPTIONS), *command]
    if options:
        for option in draw(st.lists(st.sampled_from(list(options)), max_size=4)):
            kind = options[option]
            argv += [option] if kind is None else [option, draw(values[kind])]
    argv += [draw(values[kind]) for kind in positionals]
    if command == ("batch", "submit") and "--dry-run" not in argv and draw(st.booleans()):
        argv.append("--dry-run")
    stdin = draw(st.one_of(st.none(), st.binary(max_size=40), st.just(b"piped [[words:1]]")))
    return argv, stdin


@settings(max_examples=2 * EXAMPLES)
@given(data=st.data())
def test_fuzzed_argument_vectors(arena: Arena, data: st.DataObject) -> None:
    argv, stdin = data.draw(argument_vectors(str(arena.inputs), str(arena.outputs)))
    arena.run(*argv, input=stdin)


def test_the_fuzz_catches_a_secret_in_output() -> None:
    """The properties are real checks: a leaked key fails them."""
    with pytest.raises(AssertionError):
        assert_secret_free(f"oops {TEST_KEY}")
