"""Who may say yes: the approval matrix off a terminal (side effects prove what ran), a person's answers, and
that neither a .env nor the environment can define a tool or approve one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from claudecli.core.config import load_settings
from claudecli.core.dotenv_policy import Policy, policy_for
from claudecli.core.errors import ConfigError, UsageError
from claudecli.tools.approval import PersonAnswer
from claudecli.tools.base import Tool, ToolCall
from claudecli.tools.box import ToolEvent
from claudecli.tools.options import ToolOptions
from tests.tools_support import call, run, toolbox

PY = json.dumps(sys.executable)


def touch_tool(name: str, marker: Path, approval: str | None = None) -> str:
    """A [tools.NAME] whose side effect is creating ``marker`` (and echoing its input)."""
    code = f"import sys; open({str(marker)!r}, 'a').write(sys.stdin.read() + '\\n')"
    line = f'approval = "{approval}"\n' if approval else ""
    return f'[tools.{name}]\ndescription = "Touch a file"\ncommand = [{PY}, "-c", {json.dumps(code)}]\n{line}'


@pytest.fixture
def marks(tmp_path: Path, write_config) -> dict[str, Path]:
    paths = {"asker": tmp_path / "asker.mark", "strict": tmp_path / "strict.mark"}
    write_config(touch_tool("asker", paths["asker"]) + touch_tool("strict", paths["strict"], "explicit"))
    return paths


def run_once(options: ToolOptions, *calls: ToolCall, ask_person=None):
    events: list[ToolEvent] = []
    box = toolbox(options, ask_person)
    try:
        return run(box, *calls, events=events), events
    finally:
        box.close()


def test_off_a_terminal_an_ask_tool_does_not_run_and_the_reason_names_the_flags(base_env, marks):
    [result], events = run_once(ToolOptions(toolsets=("asker",)), call("asker"))
    assert not marks["asker"].exists()
    assert result.is_error and result.declined
    assert "--approve asker or --yes" in result.content
    assert [(event.kind, event.result and event.result.content) for event in events] == [
        ("declined", result.content)
    ]


@pytest.mark.parametrize("flags", [{"yes": True}, {"approve": ("asker",)}], ids=["--yes", "--approve"])
def test_yes_or_approve_runs_an_ask_tool(base_env, marks, flags):
    [result], events = run_once(ToolOptions(toolsets=("asker",), **flags), call("asker", n=1))
    assert not result.is_error, result
    assert marks["asker"].read_text() == '{"n": 1}\n'
    assert [event.kind for event in events] == ["start", "done"]


def test_yes_is_not_enough_for_an_explicit_tool(base_env, marks):
    [result], _ = run_once(ToolOptions(toolsets=("strict",), yes=True), call("strict"))
    assert not marks["strict"].exists()
    assert "--approve strict (--yes is not enough" in result.content
    [result], _ = run_once(ToolOptions(toolsets=("strict",), approve=("strict",)), call("strict"))
    assert not result.is_error and marks["strict"].exists()


def test_run_command_is_not_run_with_yes_alone(base_env, tmp_path):
    marker = tmp_path / "ran"
    command = call("run_command", command=["touch", str(marker)])
    [result], _ = run_once(ToolOptions(toolsets=("shell",), root=tmp_path, yes=True), command)
    assert not marker.exists()
    assert result.declined and "--approve run_command" in result.content
    [result], _ = run_once(ToolOptions(toolsets=("shell",), root=tmp_path, approve=("run_command",)), command)
    assert marker.exists() and not result.is_error


def test_an_auto_config_tool_runs_without_flags(base_env, tmp_path, write_config):
    marker = tmp_path / "auto.mark"
    write_config(touch_tool("quiet", marker, "auto"))
    [result], _ = run_once(ToolOptions(toolsets=("quiet",)), call("quiet"))
    assert not result.is_error and marker.exists()


class Person:
    """A scripted person: answers in turn, and remembers what they were asked."""

    def __init__(self, *answers: PersonAnswer) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, dict]] = []

    def __call__(self, tool: Tool, tool_call: ToolCall) -> PersonAnswer:
        self.asked.append((tool.name, tool_call.input))
        return self.answers.pop(0)


def test_a_person_says_no_yes_always_and_edits(base_env, marks):
    person = Person(PersonAnswer("n"), PersonAnswer("a"), PersonAnswer("e", {"edited": True}))
    results, _ = run_once(
        ToolOptions(toolsets=("asker", "strict")),
        call("asker", n=1),  # n
        call("asker", n=2),  # a: runs, and later asker calls are not asked about
        call("asker", n=3),
        call("strict", n=4),  # e: runs with the edited arguments
        ask_person=person,
    )
    assert [r.is_error for r in results] == [True, False, False, False]
    assert results[0].content == "declined by the user"
    assert [name for name, _ in person.asked] == ["asker", "asker", "strict"]
    assert marks["asker"].read_text() == '{"n": 2}\n{"n": 3}\n'
    assert marks["strict"].read_text() == '{"edited": true}\n'


def test_a_person_is_not_asked_about_auto_or_approved_tools(base_env, marks, tmp_path):
    person = Person()
    (tmp_path / "f.txt").write_text("x")
    results, _ = run_once(
        ToolOptions(toolsets=("fs", "asker"), root=tmp_path, approve=("asker",)),
        call("read_file", path="f.txt"),
        call("asker"),
        ask_person=person,
    )
    assert not any(r.is_error for r in results) and person.asked == []


def test_a_terminal_that_went_away_declines_like_no_terminal(base_env, marks):
    def gone(tool: Tool, tool_call: ToolCall) -> PersonAnswer:
        raise OSError("no tty")

    [result], _ = run_once(ToolOptions(toolsets=("asker",)), call("asker"), ask_person=gone)
    assert result.declined and "--approve asker" in result.content and not marks["asker"].exists()


def test_unknown_toolset_names_the_known_ones(base_env, marks):
    with pytest.raises(UsageError) as caught:
        toolbox(ToolOptions(toolsets=("nope",)))
    assert "--tools nope" in caught.value.message and "fs, shell, asker, strict" in caught.value.message


def test_a_name_collision_names_both_sources(base_env, tmp_path, write_config):
    functions = tmp_path / "f.py"
    functions.write_text("def read_file(path: str) -> str:\n    return path\n")
    with pytest.raises(UsageError) as caught:
        toolbox(ToolOptions(toolsets=("fs",), root=tmp_path, functions=(functions,)))
    assert "'read_file'" in caught.value.message
    assert "from fs" in caught.value.message and "functions:f.py" in caught.value.message


def test_approve_must_name_an_enabled_tool(base_env, marks):
    with pytest.raises(UsageError, match="--approve run-command: no such tool"):
        toolbox(ToolOptions(toolsets=("asker",), approve=("run-command",)))


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('command = "rm -rf /"', "must be an argv list"),
        ('command = ["x"]\napproval = "never"', "approval must be one of"),
        ('command = ["x"]\ntimeout = -1', "timeout must be a positive number"),
        ('command = ["x"]\nshell = true', "unknown key 'shell'"),
        ('command = ["x"]\ninput_schema = { type = "string" }', 'type = "object"'),
    ],
)
def test_config_tool_mistakes_are_config_errors(base_env, write_config, table, problem):
    write_config(f'[tools.bad]\ndescription = "d"\n{table}\n')
    with pytest.raises(ConfigError, match=problem) as caught:
        load_settings()
    assert "[tools.bad]" in caught.value.message


def test_a_config_tool_may_not_take_a_builtin_toolset_name(base_env, write_config):
    write_config('[tools.shell]\ndescription = "d"\ncommand = ["x"]\n')
    with pytest.raises(ConfigError, match="built-in toolset"):
        load_settings()


def test_tools_in_a_profile_are_ignored_with_a_warning(base_env, write_config):
    write_config('default_profile = "p"\n[profiles.p.tools.x]\ndescription = "d"\ncommand = ["x"]\n')
    settings = load_settings()
    assert settings.tools == {}
    assert any("define [tools.NAME] at the top level" in warning for warning in settings.file_warnings)


DOTENV_ATTEMPTS = """
CLAUDECLI_TOOLS=asker
CLAUDECLI_APPROVE=asker,strict
CLAUDECLI_YES=1
CLAUDECLI_FS_ALLOW_HIDDEN=1
CLAUDECLI_TOOLS_ASKER_APPROVAL=auto
"""


def test_a_dotenv_cannot_define_or_approve_tools_even_when_trusted(base_env, marks, run_cli):
    dotenv = Path.cwd() / ".env"
    dotenv.write_text(DOTENV_ATTEMPTS)
    for trusted in (False, True):
        if trusted:
            assert run_cli("config", "trust-env", str(dotenv)).exit_code == 0
        settings = load_settings()
        assert set(settings.tools) == {"asker", "strict"}
        assert all(tool.approval != "auto" for tool in settings.tools.values())
        [result], _ = run_once(ToolOptions(toolsets=("asker",)), call("asker"))
        assert result.declined and not marks["asker"].exists()
    assert policy_for("tools") is Policy.TRUSTED_ONLY  # and the loader never reads tables from a .env at all


def test_the_environment_cannot_define_or_approve_tools(base_env, marks, monkeypatch):
    for name, value in (("CLAUDECLI_TOOLS", "asker"), ("CLAUDECLI_APPROVE", "asker"), ("CLAUDECLI_YES", "1")):
        monkeypatch.setenv(name, value)
    [result], _ = run_once(ToolOptions(toolsets=("asker",)), call("asker"))
    assert result.declined and not marks["asker"].exists()


def test_each_call_is_asked_about_just_before_it_runs(base_env, marks):
    seen: list[bool] = []

    def person(tool: Tool, tool_call: ToolCall) -> PersonAnswer:
        seen.append(marks["asker"].exists())  # had the first call already run when the second was asked?
        return PersonAnswer("y")

    run_once(ToolOptions(toolsets=("asker",)), call("asker", n=1), call("asker", n=2), ask_person=person)
    assert seen == [False, True]
