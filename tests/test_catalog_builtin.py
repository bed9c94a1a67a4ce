"""The built-in (offline) models list follows the installed SDK, so a new SDK that adds, drops or deprecates a
model fails here instead of shipping a stale list. The rules it checks are in ``claudecli/catalog/builtin.py``.
"""

from __future__ import annotations

import re
import typing
from datetime import datetime

import pytest
from anthropic.types import Model

from claudecli.catalog.builtin import FALLBACK_MODELS
from claudecli.catalog.lookup import resolve_model
from claudecli.core.errors import NotFoundError
from tests.fakeapi.models import default_models
from tests.test_models import DEAD_URL, in_process_context

DATED = re.compile(r"^(?P<base>.+)-(?P<date>\d{8})$")


def sdk_model_ids() -> set[str]:
    """Every id of the SDK's public ``Model`` type: ``Union[Literal[...], str]``."""
    literals = [arg for arg in typing.get_args(Model) if typing.get_origin(arg) is typing.Literal]
    assert len(literals) == 1, f"anthropic.types.Model changed shape: {Model}"
    return set(typing.get_args(literals[0]))


def sdk_deprecations() -> dict[str, datetime]:
    """The SDK's deprecation table (id -> end of life). It lives in a private module, the only place the
    SDK states it; if a new SDK moves it, this test must be pointed at the new place, not skipped."""
    from anthropic._data import DEPRECATED_MODELS

    def day(text: str) -> datetime:
        return datetime.strptime(re.sub(r"(\d+)(st|nd|rd|th)", r"\1", text), "%B %d, %Y")

    return {model_id: day(when) for model_id, when in DEPRECATED_MODELS.items()}


def builtin(lifecycle: str | None = None) -> dict[str, dict]:
    return {e["id"]: e for e in FALLBACK_MODELS if lifecycle is None or e["lifecycle"] == lifecycle}


def test_every_model_the_sdk_names_is_listed_and_nothing_else_callable():
    sdk = sdk_model_ids()
    undated = {model_id for model_id in sdk if not DATED.match(model_id)}
    callable_ids = {model_id for model_id, e in builtin().items() if e["lifecycle"] != "retired"}
    missing, extra = sorted(undated - callable_ids), sorted(callable_ids - undated)
    assert not missing and not extra, (
        f"SDK names {missing} that the built-in list lacks; {extra} it does not name"
    )


def test_dated_snapshot_ids_are_aliases_of_a_listed_model():
    for model_id in sdk_model_ids():
        match = DATED.match(model_id)
        if match:
            assert match["base"] in builtin(), f"{model_id}: its undated id {match['base']} is not listed"
            assert model_id not in builtin(), f"{model_id}: list the undated id only"


def test_retired_models_are_ones_the_sdk_dropped():
    retired = builtin("retired")
    assert "claude-sonnet-4-5" in retired and retired["claude-sonnet-4-5"]["retires_at"].startswith(
        "2026-11-30"
    )
    assert not set(retired) & sdk_model_ids()


def test_deprecated_exactly_when_the_sdk_says_with_its_end_of_life():
    sdk = {model_id: when for model_id, when in sdk_deprecations().items() if not DATED.match(model_id)}
    deprecated = builtin("deprecated")
    assert sorted(deprecated) == sorted(sdk) == ["claude-mythos-preview", "claude-opus-4-5"]
    for model_id, when in sdk.items():
        assert deprecated[model_id]["retires_at"] == f"{when:%Y-%m-%d}T00:00:00Z"


def test_every_entry_names_its_family():
    families = {e["line"] for e in FALLBACK_MODELS}
    assert families == {"opus", "sonnet", "haiku", "fable", "mythos"}
    for e in FALLBACK_MODELS:
        assert e["id"].startswith(f"claude-{e['line']}-"), e


def test_the_fake_api_agrees_with_the_builtin_list_on_lifecycle():
    listed = builtin()
    shared = [m for m in default_models() if m["id"] in listed]
    assert len(shared) >= 8
    for model in shared:
        assert model["lifecycle"] == listed[model["id"]]["lifecycle"], model["id"]


@pytest.mark.parametrize("model_id", ["claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5"])
def test_current_models_resolve_offline_without_a_deprecation_warning(base_env, model_id):
    app_ctx, err = in_process_context({**base_env, "ANTHROPIC_BASE_URL": DEAD_URL})
    assert resolve_model(app_ctx, model_id) == model_id
    assert "deprecated" not in err.getvalue()


def test_offline_lifecycle_of_deprecated_and_retired_models(base_env):
    app_ctx, err = in_process_context({**base_env, "ANTHROPIC_BASE_URL": DEAD_URL})
    assert resolve_model(app_ctx, "claude-opus-4-5") == "claude-opus-4-5"
    assert (
        "warning: claude-opus-4-5 is deprecated, retiring on 2027-01-22; use claude-opus-5-5 instead"
        in err.getvalue()
    )
    with pytest.raises(NotFoundError, match=r"retired on 2026-11-30.*use claude-sonnet-5-5 instead"):
        resolve_model(app_ctx, "claude-sonnet-4-5")
    assert resolve_model(app_ctx, "sonnet") == "claude-sonnet-5-5"
