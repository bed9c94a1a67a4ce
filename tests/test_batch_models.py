"""Batch lines name models the API at this base URL lists (issue 12, item 9).

A model absent from a freshly fetched list of the same base URL is a ``FILE:LINE`` error and nothing is sent; a
cached list that lacks it is fetched again first (a model newer than the cache); when no list can be fetched
the model is sent unchecked, with a warning.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import assert_no_traceback
from tests.fakeapi import Fault
from tests.fakeapi.models import model_entry

BATCHES = "/v1/messages/batches"
MODELS = "/v1/models"


def write_jsonl(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(obj) + "\n" for obj in objects), encoding="utf-8")
    return path


def jobs_with(tmp_path: Path, model: str) -> Path:
    return write_jsonl(
        tmp_path / "jobs.jsonl",
        {"id": "ok", "prompt": "hi", "model": "claude-haiku-5-5"},
        {"id": "odd", "prompt": "hi", "model": model},
    )


def test_unknown_model_is_a_file_line_error_and_nothing_is_sent(cli_env, run_cli, fake_api, tmp_path):
    jobs = jobs_with(tmp_path, "claude-nonexistent-9")
    for args in (("--dry-run",), ()):
        result = run_cli("batch", "submit", *args, str(jobs))
        assert result.exit_code == 2, result
        assert_no_traceback(result.stderr)
        assert f"{jobs}:2: model 'claude-nonexistent-9': claude-nonexistent-9 is not in the models list" in (
            result.stderr
        )
        assert "no price known" not in result.stderr
    assert fake_api.requests_to(BATCHES, method="POST") == []


def test_batch_run_refuses_an_unknown_model_too(cli_env, run_cli, fake_api, tmp_path):
    result = run_cli("batch", "run", str(jobs_with(tmp_path, "claude-nonexistent-9")))
    assert result.exit_code == 2, result
    assert ":2: model 'claude-nonexistent-9'" in result.stderr
    assert fake_api.requests_to("/v1/messages", method="POST") == []


def test_a_model_newer_than_the_cached_list_is_found_by_fetching_again(cli_env, run_cli, fake_api, tmp_path):
    assert run_cli("models").exit_code == 0  # caches the list
    fake_api.models = [
        model_entry("claude-haiku-6", "Claude Haiku 6", "2026-12-01T00:00:00Z", line="haiku"),
        *fake_api.models,
    ]
    fetches = len(fake_api.requests_to(MODELS, method="GET"))
    result = run_cli("batch", "submit", str(jobs_with(tmp_path, "claude-haiku-6")))
    assert result.exit_code == 0, result
    assert len(fake_api.requests_to(MODELS, method="GET")) == fetches + 1
    assert len(fake_api.requests_to(BATCHES, method="POST")) == 1


def test_when_no_list_can_be_fetched_the_model_is_sent_with_a_warning(cli_env, run_cli, fake_api, tmp_path):
    for _ in range(6):
        fake_api.enqueue(Fault.status(500, "api_error", "models are down"), path=MODELS)
    result = run_cli("batch", "submit", "--dry-run", str(jobs_with(tmp_path, "claude-gateway-special")))
    assert result.exit_code == 0, result
    warnings = [line for line in result.stderr.splitlines() if "cannot check model" in line]
    assert len(warnings) == 1 and "claude-gateway-special" in warnings[0] and "500" in warnings[0], (
        result.stderr
    )


def test_a_gateway_is_judged_by_its_own_list(cli_env, run_cli, fake_api, tmp_path):
    """The list comes from the base URL the batch goes to: a gateway's own model ids are known there."""
    fake_api.models = [
        model_entry("acme-claude-large", "Acme Large", "2026-10-01T00:00:00Z"),
        *fake_api.models,
    ]
    result = run_cli("batch", "submit", "--dry-run", str(jobs_with(tmp_path, "acme-claude-large")))
    assert result.exit_code == 0, result
    assert "cannot check" not in result.stderr


def test_a_dated_snapshot_id_is_the_listed_model(cli_env, run_cli, fake_api, tmp_path):
    result = run_cli("batch", "submit", "--dry-run", str(jobs_with(tmp_path, "claude-haiku-5-5-20260820")))
    assert result.exit_code == 0, result
    assert "not in the models list" not in result.stderr


def test_an_unknown_model_fetches_the_list_once(cli_env, run_cli, fake_api, tmp_path):
    """No cache: the list fetched to resolve the name is the API's own, so the miss needs no second fetch."""
    jobs = jobs_with(tmp_path, "claude-nonexistent-9")
    for command in (
        ["submit"],
        ["run"],
        ["run", "--fallback", "claude-sonnet-5-5"],
    ):  # the fallback resolves first
        (Path(cli_env["CLAUDECLI_HOME"]) / "cache" / "models.json").unlink(missing_ok=True)
        before = len(fake_api.requests_to(MODELS, method="GET"))
        result = run_cli("batch", *command, str(jobs))
        assert result.exit_code == 2, result
        assert f"{jobs}:2: model 'claude-nonexistent-9': claude-nonexistent-9 is not in the models list" in (
            result.stderr
        )
        assert len(fake_api.requests_to(MODELS, method="GET")) == before + 1, command


def test_a_fresh_cache_is_fetched_again_only_for_a_miss_and_only_once(cli_env, run_cli, fake_api, tmp_path):
    assert run_cli("models").exit_code == 0  # caches the list
    fetches = len(fake_api.requests_to(MODELS, method="GET"))
    known = write_jsonl(tmp_path / "known.jsonl", {"prompt": "hi", "model": "claude-haiku-5-5"})
    assert run_cli("batch", "submit", "--dry-run", str(known)).exit_code == 0
    assert len(fake_api.requests_to(MODELS, method="GET")) == fetches  # the fresh cache answers
    odd = write_jsonl(
        tmp_path / "odd.jsonl",
        {"prompt": "hi", "model": "claude-nonexistent-9"},
        {"prompt": "hi", "model": "claude-nonexistent-8"},
    )
    result = run_cli("batch", "submit", "--dry-run", str(odd))
    assert result.exit_code == 2 and result.stderr.count("is not in the models list") == 2, result
    assert len(fake_api.requests_to(MODELS, method="GET")) == fetches + 1


def test_a_failed_fetch_is_not_tried_again_for_the_miss(cli_env, run_cli, fake_api, tmp_path):
    for _ in range(6):
        fake_api.enqueue(Fault.status(500, "api_error", "models are down"), path=MODELS)
    result = run_cli("batch", "run", str(jobs_with(tmp_path, "claude-gateway-special")))
    assert result.exit_code == 0, result
    assert "cannot check model claude-gateway-special" in result.stderr
    assert len(fake_api.requests_to(MODELS, method="GET")) == 1


def test_a_batch_line_s_model_with_control_characters_is_refused_at_its_line(
    cli_env, run_cli, fake_api, tmp_path
):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "hi", "model": "haiku\nopus"}) + "\n", encoding="utf-8")
    result = run_cli("batch", "submit", str(jobs))
    assert result.exit_code == 2, result
    assert f"{jobs}:1: " in result.stderr and "without spaces or control characters" in result.stderr
    assert fake_api.batch_creates == 0
