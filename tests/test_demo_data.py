"""The demo data carries what users' data carries, and every demo reads all of it."""

from __future__ import annotations

import json
import re

from fake_enrow.data import DEMO_BATCH_IDS, DEMO_EXPIRED_ID, DEMO_SINGLE_SEARCH_IDS, demo_batches
from tests.helpers import REPO


def test_demo_searches_carry_their_own_custom_strings() -> None:
    results = [r for batch in demo_batches() for r in batch.results]
    customs = [r["custom"] for r in results if "custom" in r]
    # Most searches carry one, as they do once a tool that tracks leads submits them...
    assert len(customs) > len(results) // 2
    assert all(isinstance(custom, str) for custom in customs)
    assert any(not custom.isascii() for custom in customs)
    # ...and a search submitted without one has no `custom` key, as the docs allow.
    assert len(customs) < len(results)


def test_demo_config_and_quick_start_read_every_readable_demo_batch() -> None:
    config = json.loads((REPO / "demo" / "config.json").read_text())
    quickstart = (REPO / "scripts" / "quickstart.sh").read_text()
    (quickstart_batches,) = re.findall(r"TAP_ENROW_PHONE_BATCH_IDS='(\[.*?\])'", quickstart)
    (quickstart_singles,) = re.findall(r"TAP_ENROW_PHONE_SINGLE_SEARCH_IDS='(\[.*?\])'", quickstart)

    assert config["batch_ids"] == json.loads(quickstart_batches) == DEMO_BATCH_IDS
    assert config["single_search_ids"] == json.loads(quickstart_singles) == DEMO_SINGLE_SEARCH_IDS
    assert DEMO_EXPIRED_ID not in DEMO_BATCH_IDS  # reading it fails the run, as with Enrow
