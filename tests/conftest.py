"""Fixtures: a fresh fake Enrow API per test, and a tap config pointing at it."""

from __future__ import annotations

import typing as t

import pytest

from fake_enrow import DEMO_API_KEY, FakeEnrowServer

COMPLETED = "b-demo-linkedin-completed"
LEGACY = "b-demo-names-legacy"
ONGOING = "b-demo-ongoing-then-completed"
FAILED = "b-demo-failed"
EXPIRED = "b-demo-expired"
READABLE_DEMO_IDS = [COMPLETED, LEGACY, ONGOING, FAILED]
SINGLE_FOUND = "s-demo-found"
SINGLE_NOT_FOUND = "s-demo-not-found"
SINGLE_ONGOING = "s-demo-ongoing-then-found"


@pytest.fixture
def fake_api() -> t.Iterator[FakeEnrowServer]:
    """The fake Enrow API on a free loopback port, with the demo batches."""
    with FakeEnrowServer() as server:
        yield server


@pytest.fixture
def config(fake_api: FakeEnrowServer) -> dict[str, t.Any]:
    """A config for the four readable demo batches; fast retries for fault tests."""
    return {
        "api_key": DEMO_API_KEY,
        "api_url": fake_api.url,
        "batch_ids": list(READABLE_DEMO_IDS),
        "retry_max_wait": 0.05,
        "request_timeout": 5,
    }
