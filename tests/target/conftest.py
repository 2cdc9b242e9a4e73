"""Fixtures: the fake Enrow API (from tests/conftest.py) and a workspace per test."""

from __future__ import annotations

import typing as t

import pytest

from tests.target.support import Workspace

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer


@pytest.fixture
def workspace(tmp_path: Path, fake_api: FakeEnrowServer) -> Workspace:
    """An ids file and a ledger of this test's own, next to the fake."""
    return Workspace(tmp_path, fake_api)
