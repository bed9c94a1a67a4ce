"""The --json contract: every command's document, pinned (pipx's result-contract test is the model).

Each document is one line of ASCII JSON on stdout, an object with ``schema_version`` first, and at least the keys
listed here. Removing or renaming one of them is a breaking change: bump ``render.emit.SCHEMA_VERSION`` and say
so in the README's changelog. A failure under --json still prints exactly one document.
"""

from __future__ import annotations

import json

import pytest

from claudecli.render.emit import SCHEMA_VERSION
from tests.conftest import assert_no_traceback

CONTRACT: list[tuple[tuple[str, ...], set[str]]] = [
    (("ask", "--json", "[[words:2]]"), {"status", "text", "content", "model", "stop_reason", "usage", "cost_usd",
                                        "latency_ms", "ttft_ms", "request_id"}),
    (("ask", "--json", "--web-search", "[[search:x]]"), {"status", "text", "content", "model", "stop_reason", "usage",
                                                         "cost_usd", "request_id", "loop_id", "tool_calls", "steps"}),
    (("models", "--json"), {"source", "fetched_at", "models"}),
    (("models", "show", "haiku", "--json"), {"source", "fetched_at", "model"}),
    (("cost", "estimate", "--json", "hello"), {"counted_by", "models"}),
    (("cost", "report", "--json"), {"source", "by", "since", "until", "groups", "total"}),
    (("cost", "prices", "--json"), {"models"}),
    (("cost", "budget", "--json"), {"budgets"}),
    (("config", "show", "--json"), {"profile", "settings"}),
    (("config", "path", "--json"), {"config_file", "config_dir", "data_dir", "cache_dir", "ledger", "sessions",
                                    "batch_journal"}),
    (("chat", "--list", "--json"), {"items"}),
    (("files", "list", "--json"), {"items"}),
    (("files", "upload", "{jobs}", "--json"), {"items"}),
    (("batch", "list", "--json"), {"items"}),
    (("batch", "submit", "{jobs}", "--dry-run", "--json"), {"batch_ids", "requests", "skipped",
                                                           "estimated_cost_usd", "already_submitted", "dry_run"}),
]  # fmt: skip

FAILURES: list[tuple[tuple[str, ...], int]] = [
    (("ask", "--json", "--no-such-flag"), 2),  # a usage error, before any command ran
    (("ask", "--json", "--max-tokens", "0", "hi"), 2),
    (("models", "show", "no-such-model", "--json"), 4),
    (("batch", "status", "no-such-batch", "--json"), 4),
    (("files", "show", "file_nope", "--json"), 4),
    (("files", "upload", "/no/such/file", "--json"), 2),
]


def one_document(stdout: str) -> dict:
    assert stdout.count("\n") == 1 and stdout.endswith("\n"), stdout
    assert stdout.isascii(), stdout
    document = json.loads(stdout)
    assert isinstance(document, dict)
    assert next(iter(document)) == "schema_version" and document["schema_version"] == SCHEMA_VERSION
    return document


@pytest.mark.parametrize(
    ("args", "keys"), CONTRACT, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_json_document_keeps_its_contract(cli_env, run_cli, tmp_path, args, keys):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a"}\n', encoding="utf-8")
    result = run_cli(*(arg.replace("{jobs}", str(jobs)) for arg in args))
    assert result.exit_code == 0, result
    document = one_document(result.stdout)
    assert set(document) >= keys | {"schema_version"}


@pytest.mark.parametrize(
    ("args", "code"), FAILURES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_a_failure_under_json_still_prints_one_document(cli_env, run_cli, args, code):
    result = run_cli(*args)
    assert result.exit_code == code, result
    assert_no_traceback(result.stderr)
    document = one_document(result.stdout)
    assert document["status"] == "error" and document["exit_code"] == code
    assert document["error"] and document["error"] in result.stderr


def test_a_non_ascii_answer_is_escaped_in_json(cli_env, run_cli):
    result = run_cli("ask", "--json", "[[echo]] naïve café ☕")
    assert result.exit_code == 0, result
    assert "café ☕" in one_document(result.stdout)["text"]
