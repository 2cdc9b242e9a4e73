"""`meltano run tap-enrow-phone target-postgres`, checked row by row against the fake."""

from __future__ import annotations

import json
import typing as t

from fake_enrow.data import DEMO_ACCOUNT, DEMO_SINGLE_SEARCH_IDS
from tests.conftest import COMPLETED, FAILED, LEGACY, ONGOING, READABLE_DEMO_IDS
from tests.e2e.served import KEYS, last_served_single_rows
from tests.e2e.warehouse import postgres_primary_keys, table_rows

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import PostgresLoad

# Meltano's state id for that run in the dev environment.
STATE_ID = "dev:tap-enrow-phone-to-target-postgres"


def _run(load: PostgresLoad, *options: str) -> None:
    load.meltano.point_tap_at(load.fake.url, READABLE_DEMO_IDS)
    load.meltano("run", *options, "tap-enrow-phone", "target-postgres")


def test_every_row_and_column_equals_what_the_fake_served_and_keys_are_primary_keys(
    postgres_load: PostgresLoad,
) -> None:
    _run(postgres_load)

    loaded = postgres_load.loaded()
    assert loaded == postgres_load.served(READABLE_DEMO_IDS)
    # The demo set covers both documented shapes and every status.
    assert {r["status"] for r in loaded["batches"]} == {"completed", "ongoing", "failed"}
    assert {r["batch_id"] for r in loaded["phone_results"]} == {COMPLETED, LEGACY, FAILED}
    assert postgres_primary_keys(postgres_load.conn, postgres_load.schema) == {
        **KEYS,
        "account": ("read_at",),
        "single_phone_results": ("id",),
    }


def test_second_run_completes_the_ongoing_batch_in_place_and_skips_finished_ones(
    postgres_load: PostgresLoad,
) -> None:
    _run(postgres_load)
    first = postgres_load.loaded()
    assert not [r for r in first["phone_results"] if r["batch_id"] == ONGOING]

    _run(postgres_load)

    # Only the batch that was ongoing is asked again: Meltano handed the tap its state.
    assert postgres_load.requests() == {COMPLETED: 1, LEGACY: 1, ONGOING: 2, FAILED: 1}
    second = postgres_load.loaded()
    assert second == postgres_load.served(READABLE_DEMO_IDS)
    assert len(second["batches"]) == len(second["batch_stats"]) == len(READABLE_DEMO_IDS)
    ongoing_stats = next(r for r in second["batch_stats"] if r["batch_id"] == ONGOING)
    assert ongoing_stats["status"] == "completed"
    assert [r["index"] for r in second["phone_results"] if r["batch_id"] == ONGOING] == [0, 1, 2, 3]

    state = json.loads(postgres_load.meltano("state", "get", STATE_ID).stdout)
    assert set(state["singer_state"]["bookmarks"]["batches"]["finished"]) == set(READABLE_DEMO_IDS)


def test_full_refresh_reads_every_batch_again_without_duplicating_rows(
    postgres_load: PostgresLoad,
) -> None:
    _run(postgres_load)
    _run(postgres_load)
    before = postgres_load.loaded()
    reads_before = postgres_load.requests()

    _run(postgres_load, "--full-refresh")

    reads_after = postgres_load.requests()
    assert {b: reads_after[b] - reads_before[b] for b in READABLE_DEMO_IDS} == dict.fromkeys(
        READABLE_DEMO_IDS, 1
    )
    assert postgres_load.loaded() == before == postgres_load.served(READABLE_DEMO_IDS)


def test_batch_messages_land_the_same_rows(postgres_load: PostgresLoad, tmp_path: Path) -> None:
    batch_root = tmp_path / "batch-files"
    batch_root.mkdir()
    postgres_load.meltano.env["TAP_ENROW_PHONE_BATCH_CONFIG"] = json.dumps(
        {
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": {"root": batch_root.as_uri(), "prefix": "enrow-"},
        }
    )

    _run(postgres_load)

    assert sorted(batch_root.glob("enrow-*.json.gz"))  # the records went through files
    assert postgres_load.loaded() == postgres_load.served(READABLE_DEMO_IDS)


def test_single_searches_and_account_land_row_by_row_and_keep_history(
    postgres_load: PostgresLoad,
) -> None:
    meltano, conn, schema = postgres_load.meltano, postgres_load.conn, postgres_load.schema
    meltano.point_tap_at(postgres_load.fake.url, [COMPLETED])
    meltano.env["TAP_ENROW_PHONE_SINGLE_SEARCH_IDS"] = json.dumps(DEMO_SINGLE_SEARCH_IDS)

    for run in (1, 2):
        meltano("run", "tap-enrow-phone", "target-postgres")

        singles = sorted(table_rows(conn, schema, "single_phone_results"), key=lambda r: r["id"])
        assert singles == last_served_single_rows(postgres_load.fake, DEMO_SINGLE_SEARCH_IDS)
        accounts = table_rows(conn, schema, "account")
        # One balance row per run: the warehouse keeps the credit history.
        assert len(accounts) == run
        for account in accounts:
            assert account["credits"] == DEMO_ACCOUNT["credits"]
            assert account["webhooks"] == DEMO_ACCOUNT["webhooks"]
            assert account["read_at"] is not None

    # The search that was running is read again and updated in place; finished ones are not.
    assert {r["id"]: r["qualification"] for r in singles}["s-demo-ongoing-then-found"] == "found"
    reads = postgres_load.requests()
    assert {i: reads[i] for i in DEMO_SINGLE_SEARCH_IDS} == {
        "s-demo-found": 1,
        "s-demo-not-found": 1,
        "s-demo-ongoing-then-found": 2,
    }
