"""Pytest fixtures for the fake API. tests/conftest.py imports `fake_api` from here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeAnthropic


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    """A fresh `FakeAnthropic` on 127.0.0.1 (ephemeral port), stopped after the test."""
    fake = FakeAnthropic()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
