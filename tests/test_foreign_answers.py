"""JSON of another shape under a 200 (a gateway's own answer): one line and a documented exit code, never a bug.

The SDK builds its types from a 200 without checking them, so such an answer arrives with fields missing; each
command checks what it reads (see also tests/test_failures.py for web pages and streams with no message).
"""

from __future__ import annotations

import json

from tests.fakeapi import Fault
from tests.test_failures import check_one_line_error

OTHER_SHAPE = Fault.body(b'{"ok": true}', 200, "application/json")
QUICK = {"CLAUDECLI_MAX_RETRIES": "0"}


def test_a_token_count_without_input_tokens_is_a_server_error(cli_env, run_cli, fake_api):
    """It was "unexpected TypeError", exit 1."""
    fake_api.enqueue(OTHER_SHAPE, path="/v1/messages/count_tokens")
    result = run_cli("cost", "estimate", "-m", "claude-haiku-5-5", "hello", env=QUICK)
    check_one_line_error(result, 7, "cannot read", "token count")


def test_a_create_answered_with_no_batch_is_reconciled_never_resent_blindly(
    cli_env, run_cli, fake_api, tmp_path
):
    """It was "unexpected AttributeError", exit 1, with the part left as if being created. Now the create's
    outcome is unknown, as after a lost answer: the next run reconciles it, and the hint names --resubmit."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"id": "a", "prompt": "hi"}) + "\n", encoding="utf-8")
    fake_api.enqueue(OTHER_SHAPE, path="/v1/messages/batches")
    result = run_cli("batch", "submit", str(jobs), env=QUICK)
    check_one_line_error(result, 7, "cannot read", "not a batch")
    assert "reconciles it" in result.stderr
    again = run_cli("batch", "submit", str(jobs), env=QUICK)
    check_one_line_error(again, 8, "no batch has shown up yet")
    assert "--resubmit" in again.stderr and "--force" not in again.stderr
