"""No secret reaches anything claudecli writes: a canary credential, echoed back, through every writer.

The canary is each kind of secret in turn (API key, auth token, the output of ``api_key_command``, a base URL's
password, the admin key). The fake echoes the credential a request presented in an error message (a careless
gateway) or, with ``[[echo]]``, repeats a prompt that quotes it (a key pasted into a prompt). Each case then
looks for the canary in stdout, stderr, every file under the data and cache directories (ledger, sessions,
journal, input history, WAL files included) and every output file, and checks that the mask took its place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from claudecli.chat.conversation import Exchange
from claudecli.chat.session_store import SessionMeta, SessionStore
from claudecli.core.scrub import MASK, ScrubbedStream, Scrubber, scrub
from claudecli.core.usage import TokenUsage
from claudecli.ledger.store import CallRecord, Ledger
from tests.conftest import TEST_KEY
from tests.fakeapi import Fault
from tests.test_store_recovery import _make_newer

CANARY = "sk-ant-canary-7f3c9a1e5b2d4068"
SPACED_CANARY = "sk-ant-canary first-half second-half-93b1"  # streamed in three pieces by the fake
UNDERSCORED_CANARY = "sk-ant-canary__bold__7f3c9a1e5b2d4068x"  # Markdown would render `__bold__` as bold
MESSAGES = "/v1/messages"


@dataclass(frozen=True)
class Source:
    """Where the canary comes from, and whether the fake accepts requests authenticated with it."""

    name: str
    env: Callable[[str, str], dict[str, str | None]]  # (fake base URL, canary) -> environment
    config: str = ""
    messages_work: bool = True
    secret: str = CANARY


SOURCES = {
    source.name: source
    for source in (
        Source("api_key", lambda url, c: {"ANTHROPIC_API_KEY": c}),
        Source("auth_token", lambda url, c: {"ANTHROPIC_API_KEY": None, "ANTHROPIC_AUTH_TOKEN": c}),
        Source(
            "api_key_command",
            lambda url, c: {"ANTHROPIC_API_KEY": None},
            config=f'api_key_command = ["printf", "{CANARY}"]\n',
        ),
        # httpx sends the URL's user:password as Basic auth, which the fake (like the API) refuses.
        Source(
            "base_url_password",
            lambda url, c: {"ANTHROPIC_BASE_URL": url.replace("http://", f"http://gateway:{c}@")},
            messages_work=False,
        ),
        Source("admin_key", lambda url, c: {"ANTHROPIC_ADMIN_KEY": c}),
        Source("spaced_api_key", lambda url, c: {"ANTHROPIC_API_KEY": c}, secret=SPACED_CANARY),
        Source("underscored_api_key", lambda url, c: {"ANTHROPIC_API_KEY": c}, secret=UNDERSCORED_CANARY),
    )
}


@dataclass
class Case:
    source: Source
    run_cli: Callable
    fake_api: object
    tmp_path: Path
    home: Path

    def run(self, *args: str, env: dict[str, str | None] | None = None):
        merged = {**self.source.env(self.fake_api.base_url, self.source.secret), **(env or {})}
        return self.run_cli(*args, env=merged)

    def echo_fault(self, path: str = MESSAGES, code: int = 401) -> None:
        kind = "authentication_error" if code == 401 else "api_error"
        self.fake_api.enqueue(Fault.status(code, kind, "gateway rejected", echo_credential=True), path=path)

    def outputs_dir(self) -> Path:
        path = self.tmp_path / "outputs"
        path.mkdir(exist_ok=True)
        return path


Outputs = dict[str, str]


def write_ask(case: Case) -> Outputs:
    case.echo_fault()
    result = case.run("ask", "hello")
    assert result.exit_code == 3, result
    return {"stdout": result.stdout, "stderr": result.stderr}


def write_ask_json(case: Case) -> Outputs:
    case.echo_fault()
    result = case.run("ask", "--json", "hello")
    assert result.exit_code == 3, result
    assert "gateway rejected" in json.loads(result.stdout)["error"]
    return {"stdout": result.stdout, "stderr": result.stderr}


def write_ask_debug(case: Case) -> Outputs:
    case.echo_fault(code=500)  # a 5xx is retried: the fault is queued once per attempt
    case.echo_fault(code=500)
    case.echo_fault(code=500)
    result = case.run("--debug", "ask", "hello")
    assert result.exit_code == 7 and "gateway rejected" in result.stderr, result  # no traceback: not exit 1
    return {"stdout": result.stdout, "stderr": result.stderr}


def write_ask_answer(case: Case) -> Outputs:
    """The answer quotes the secret (it was pasted into the prompt); bodies are logged in the ledger."""
    env = {"CLAUDECLI_LOG_BODIES": "true"}
    prompt = f"[[echo]] my key is {case.source.secret} ok"
    plain = case.run("ask", prompt, env=env)
    as_json = case.run("ask", "--json", prompt, env=env)
    assert plain.exit_code == 0 and as_json.exit_code == 0, (plain, as_json)
    assert f"my key is {MASK} ok" in plain.stdout
    return {"stdout": plain.stdout + as_json.stdout, "stderr": plain.stderr + as_json.stderr}


def write_ask_on_a_terminal(case: Case) -> Outputs:
    """Markdown on a 20-column terminal folds a long word and styles `__x__`: the secret must be masked first."""
    from tests.test_ask_pty import finish, spawn
    from tests.test_chat_pty import ANSI

    env = {**case.source.env(case.fake_api.base_url, case.source.secret), "COLUMNS": "20"}
    child = spawn("ask", f"[[echo]] key {case.source.secret} ok", env=env)
    output = ANSI.sub("", finish(child))
    assert child.exitstatus == 0, output
    return {"terminal": output}


def write_batch_run_errors(case: Case) -> Outputs:
    jobs = case.tmp_path / "jobs.txt"
    jobs.write_text("first\n", encoding="utf-8")
    case.echo_fault(code=400)  # a refused line: written as an errored record
    to_stdout = case.run("batch", "run", "--text", str(jobs))
    case.echo_fault(code=400)
    out = case.outputs_dir() / "out.csv"
    to_file = case.run("batch", "run", "--text", str(jobs), "--format", "csv", "-o", str(out))
    assert to_stdout.exit_code == 0 and to_file.exit_code == 0, (to_stdout, to_file)
    assert '"status": "errored"' in to_stdout.stdout
    case.echo_fault()  # a rejected key: the run stops, with the error on stderr
    stopped = case.run("batch", "run", "--text", str(jobs), "-o", str(case.outputs_dir() / "stopped.jsonl"))
    assert stopped.exit_code == 3, stopped
    return {
        "stdout": to_stdout.stdout + to_file.stdout + stopped.stdout,
        "stderr": to_stdout.stderr + to_file.stderr + stopped.stderr,
        "file": out.read_text(encoding="utf-8"),
    }


def write_batch_answers(case: Case) -> Outputs:
    """batch run, submit, status, results and collect, with an answer (and an error) quoting the key."""
    jobs = case.tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": f"[[echo]] key {case.source.secret}"}) + "\n", encoding="utf-8")
    ran_out = case.outputs_dir() / "ran.jsonl"
    ran = case.run("batch", "run", str(jobs), "-o", str(ran_out), env={"CLAUDECLI_LOG_BODIES": "true"})
    submitted = case.run("batch", "submit", str(jobs), "--name", "nightly")
    assert ran.exit_code == 0 and submitted.exit_code == 0, (ran, submitted)
    batch_id = submitted.stdout.strip()
    case.echo_fault(path=f"/v1/messages/batches/{batch_id}")
    failed_collect = case.run("batch", "collect", "--out-dir", str(case.outputs_dir()))
    assert failed_collect.exit_code == 3, failed_collect
    results = case.run("batch", "results", "nightly")
    collected = case.run("batch", "collect", "--out-dir", str(case.outputs_dir()))
    assert results.exit_code == 0 and collected.exit_code == 0, (results, collected)
    assert f"key {MASK}" in results.stdout
    runs = (ran, submitted, failed_collect, results, collected)
    return {
        "stdout": "".join(r.stdout for r in runs),
        "stderr": "".join(r.stderr for r in runs),
        "files": "".join(p.read_text(encoding="utf-8") for p in sorted(case.outputs_dir().iterdir())),
    }


def write_config_show(case: Case) -> Outputs:
    plain = case.run("config", "show")
    as_json = case.run("config", "show", "--json")
    assert plain.exit_code == 0 and as_json.exit_code == 0, (plain, as_json)
    return {"stdout": plain.stdout + as_json.stdout, "stderr": plain.stderr + as_json.stderr}


def write_cost_org(case: Case) -> Outputs:
    for what in ("usage", "cost"):
        case.echo_fault(path=f"/v1/organizations/analytics/{what}")
    result = case.run("cost", "report", "--org", "--json")
    assert result.exit_code == 3, result
    return {"stdout": result.stdout, "stderr": result.stderr}


def write_chat(case: Case) -> Outputs:
    """chat in a pseudo-terminal: the typed line is the user's own echo, so only the answer is looked at."""
    from tests.test_chat_pty import ANSI, PROMPT, Chat

    chat = Chat("--plain", env=case.source.env(case.fake_api.base_url, case.source.secret))
    shown = chat.turn(f"[[echo]] my key is {case.source.secret} ok")
    assert f"my key is {MASK} ok" in shown, shown
    export = case.outputs_dir() / "chat.md"
    chat.command(f"/export {export}", "wrote")
    assert f"my key is {MASK} ok" in export.read_text(encoding="utf-8")
    case.echo_fault()
    chat.line("hello")
    chat.expect("gateway rejected")
    error_line = ANSI.sub("", chat.expect(r"\n"))
    chat.expect(PROMPT)
    chat.child.send("\x15")  # Ctrl-U: clear the prompt put back on the line, so Ctrl-D leaves
    assert chat.leave() == 0
    return {"answer": shown.split("\n", 1)[1], "error": error_line}


WRITERS: dict[str, tuple[Callable[[Case], Outputs], tuple[str, ...]]] = {
    "ask": (write_ask, ("api_key",)),
    "ask --json": (write_ask_json, ("api_key", "auth_token", "api_key_command", "base_url_password")),
    "ask --debug": (write_ask_debug, ("api_key", "auth_token", "api_key_command", "base_url_password")),
    "answer": (write_ask_answer, ("api_key", "auth_token", "api_key_command", "spaced_api_key")),
    "ask on a terminal": (write_ask_on_a_terminal, ("underscored_api_key", "spaced_api_key")),
    "batch run errors": (
        write_batch_run_errors,
        ("api_key", "auth_token", "api_key_command", "base_url_password"),
    ),
    "batch answers": (write_batch_answers, ("api_key", "api_key_command")),
    "config show": (write_config_show, ("api_key_command", "base_url_password", "admin_key", "auth_token")),
    "cost --org": (write_cost_org, ("admin_key",)),
    "chat": (write_chat, ("api_key",)),
}

CASES = [
    pytest.param(
        writer,
        source,
        id=f"{writer}-{source}",
        marks=[pytest.mark.pty] if writer in ("chat", "ask on a terminal") else [],
    )
    for writer, (_, sources) in WRITERS.items()
    for source in sources
]


def stored_files(home: Path, tmp_path: Path) -> dict[str, bytes]:
    """Every file claudecli may have written: state, caches, outputs (not the config file the user wrote)."""
    roots = [home / "data", home / "cache", tmp_path / "outputs"]
    return {
        str(path): path.read_bytes()
        for root in roots
        if root.exists()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize(("writer", "source"), CASES)
def test_a_canary_secret_reaches_no_output(
    writer, source, cli_env, run_cli, fake_api, tmp_path, home, write_config
):
    case = Case(SOURCES[source], run_cli, fake_api, tmp_path, home)
    if case.source.config:
        write_config(case.source.config)
    write, _ = WRITERS[writer]
    outputs = write(case)
    secret = case.source.secret
    pieces = {secret[start : start + 12] for start in range(len(secret) - 11)}  # a folded or split secret
    for name, text in outputs.items():
        assert not [piece for piece in pieces if piece in text], f"{name}: {text}"
    assert any(MASK in text for text in outputs.values()), outputs  # the secret was there, and masked
    forms = [secret.encode(), json.dumps(secret)[1:-1].encode(), secret.encode("utf-16-le")]
    for path, data in stored_files(home, tmp_path).items():
        assert not any(form in data for form in forms), path


def test_short_secrets_are_not_masked(cli_env, run_cli):
    """A credential under 8 characters is left alone: masking it would wreck ordinary output."""
    result = run_cli("ask", "[[echo]] abc1234 and abc12345", env={"ANTHROPIC_API_KEY": "abc1234"})
    assert result.exit_code == 0 and result.stdout == "[[echo]] abc1234 and abc12345\n", result


def test_a_secret_split_across_writes_is_masked_at_every_split(capsys):
    secrets = [CANARY]
    text = f"before {CANARY} middle {CANARY[:10]} after {CANARY}"
    for first in range(len(text)):
        for second in range(first, len(text), 7):
            sink = _Collect()
            stream = ScrubbedStream(sink, Scrubber(lambda: secrets))
            for piece in (text[:first], text[first:second], text[second:]):
                stream.write(piece)
                stream.flush()
            stream.release()
            assert sink.text == scrub(text, secrets) == f"before {MASK} middle {CANARY[:10]} after {MASK}"


def test_escaped_forms_of_a_secret_are_masked():
    secret = 'pa"ss/wörd&1'
    assert scrub(json.dumps({"k": secret}), [secret]) == json.dumps({"k": MASK})
    assert scrub(json.dumps({"k": secret}, ensure_ascii=False), [secret]) == '{"k": "********"}'
    assert scrub("http://u:pa%22ss%2Fw%C3%B6rd%261@host", [secret]) == "http://u:********@host"
    assert scrub(f"{TEST_KEY}", ["", "short"]) == TEST_KEY


class _Collect:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_config_show_names_only_the_key_commands_program(run_cli, base_env, write_config):
    write_config('api_key_command = ["/usr/local/bin/get-key", "--vault", "team", "anthropic"]\n')
    result = run_cli("config", "show", "--json")
    shown = json.loads(result.stdout)["settings"]["api_key_command"]["value"]
    assert shown == "get-key ******** (set)" and "team" not in result.stdout
    assert re.search(r"api_key_command\s+get-key \*{8} \(set\)", run_cli("config", "show").stdout)


# -- stores: write-ahead rows and spooled rows are scrubbed too ---------------------------------------------


def _mask_key(text: str) -> str:
    return text.replace(TEST_KEY, MASK)


def test_write_ahead_and_completed_ledger_rows_are_scrubbed(tmp_path):
    path = tmp_path / "usage.db"
    with Ledger(path, log_bodies=True, scrub=_mask_key) as ledger:
        record = CallRecord(command="ask", model="m", usage=TokenUsage(), status="in_flight", tag=TEST_KEY)
        call_id = ledger.begin(record)
        assert TEST_KEY.encode() not in path.read_bytes()  # the in_flight row already masks it
        done = CallRecord(
            command="ask",
            model="m",
            usage=TokenUsage(),
            tag=TEST_KEY,
            prompt_text=TEST_KEY,
            answer_text=TEST_KEY,
        )
        assert ledger.complete_many([(call_id, done)]) == [call_id]
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert TEST_KEY.encode() not in data and MASK.encode() in data


def test_rows_spooled_beside_a_newer_store_are_scrubbed(tmp_path):
    ledger_path, sessions_path = tmp_path / "usage.db", tmp_path / "sessions.db"
    with Ledger(ledger_path, log_bodies=True) as ledger:
        ledger.record(CallRecord(command="ask", model="m", usage=TokenUsage()))
    with SessionStore(sessions_path):
        pass
    _make_newer(ledger_path, "calls")
    _make_newer(sessions_path, "turns")
    troubles: list[str] = []
    notify = lambda happened, todo: troubles.append(todo)  # noqa: E731
    with Ledger(ledger_path, log_bodies=True, scrub=_mask_key, notify=notify) as ledger:
        record = CallRecord(command="ask", model="m", usage=TokenUsage(), tag=TEST_KEY, answer_text=TEST_KEY)
        assert ledger.record(record) is None  # spooled
    with SessionStore(sessions_path, scrub=_mask_key, notify=notify) as store:
        meta = SessionMeta(id="s1", name="s", model="m", system=TEST_KEY)
        exchange = Exchange(prompt_text=TEST_KEY, user_content=TEST_KEY, answer=TEST_KEY, model="m")
        assert store.record(meta, exchange) is None  # spooled
    assert troubles
    spools = sorted(tmp_path.glob("*.spool.jsonl"))
    assert len(spools) == 2
    for spool in spools:
        assert TEST_KEY not in spool.read_text() and MASK in spool.read_text(), spool
