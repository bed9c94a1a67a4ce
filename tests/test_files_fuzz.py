"""Hypothesis on what a user or the API can put in a file id or a file name (example counts come from the Hypothesis profile
tests/conftest.py loads): ids are refused locally or answered 404, never a crash; a downloaded name stays a plain name."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claudecli.core.errors import UsageError
from claudecli.files.ids import ID_RULE, check_file_id, file_ref
from claudecli.files.names import MAX_NAME_BYTES, safe_name
from tests.conftest import assert_no_traceback, run_in_process

ID_LIKE = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"file_[A-Za-z0-9_-]{1,30}", fullmatch=True),
    st.text(alphabet="file_/.?#%\\ \x00\n", max_size=20).map(lambda s: "file_" + s),
)
NAMES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet='./\\:<>|?*"\x00\x1b\u202e\u200b a.é', max_size=40),
    st.from_regex(r"(\.\./)*[a-z]{0,300}\.(pdf|sh)", fullmatch=True),
)


@given(ID_LIKE)
def test_a_file_id_is_accepted_only_in_its_shape(text):
    try:
        checked = check_file_id(text)
    except UsageError:
        assert ID_RULE.fullmatch(text) is None
        return
    assert checked == text and "/" not in text and "." not in text


@given(ID_LIKE)
def test_an_attachment_spec_is_a_path_an_id_or_a_usage_error(text):
    try:
        found = file_ref(text)
    except UsageError:
        assert text.startswith("file:")
        return
    assert found is None or ID_RULE.fullmatch(found)


@given(NAMES, st.from_regex(r"file_[A-Za-z0-9]{4,10}", fullmatch=True))
def test_a_downloaded_name_stays_in_its_directory_and_shows_what_it_is(name, fallback):
    safe = safe_name(name, fallback)
    assert safe and safe not in (".", "..")
    assert "/" not in safe and "\\" not in safe and not safe.startswith((".", " "))
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in safe)
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe_name(safe, fallback) == safe  # stable: a safe name is left as it is


@pytest.mark.usefixtures("cli_env")
@settings(max_examples=2 * settings().max_examples)
@given(ID_LIKE)
def test_files_show_with_any_id_ends_with_a_documented_code(fake_api, text):
    result = run_in_process("files", "show", "--", text)
    assert result.exit_code in (2, 4), result
    assert_no_traceback(result.stderr)
    assert result.stderr.count("\n") == 1
