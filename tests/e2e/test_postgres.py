"""`meltano run tap-enrow-phone target-postgres`, checked row by row against the fake."""

from __future__ import annotations

import json
import typing as t

from tests.conftest import COMPLETED, FAILED, LEGACY, ONGOING, READABLE_DEMO_IDS
from tests.e2e.served import KEYS, last_served_rows
from tests.e2e.warehouse import postgres_primary_keys, postgres_rows

if t.TYPE_CHECKING:
    from pathlib import Path

    import psycopg

    from fake_enrow import FakeEnrowServer
    from tests.e2e.meltano_project import MeltanoProject

RUN = ("run", "tap-enrow-phone", "target-postgres")
# Meltano's state id for that run in the dev environment.
STATE_ID = "dev:tap-enrow-phone-to-target-postgres"


def _load(meltano: MeltanoProject, fake_api: FakeEnrowServer, *extra: str) -> None:
    meltano.point_tap_at(fake_api.url, READABLE_DEMO_IDS)
    meltano(*RUN[:1], *extra, *RUN[1:])


def test_every_row_and_column_equals_what_the_fake_served_and_keys_are_primary_keys(
    meltano: MeltanoProject,
    fake_api: FakeEnrowServer,
    pg_schema: str,
    pg: psycopg.Connection[t.Any],
) -> None:
    _load(meltano, fake_api)

    loaded = postgres_rows(pg, pg_schema)
    assert loaded == last_served_rows(fake_api, READABLE_DEMO_IDS)
    # The demo set covers both documented shapes and every status.
    assert {r["status"] for r in loaded["batches"]} == {"completed", "ongoing", "failed"}
    assert {r["batch_id"] for r in loaded["phone_results"]} == {COMPLETED, LEGACY, FAILED}
    assert postgres_primary_keys(pg, pg_schema) == KEYS


def test_second_run_completes_the_ongoing_batch_in_place_and_skips_finished_ones(
    meltano: MeltanoProject,
    fake_api: FakeEnrowServer,
    pg_schema: str,
    pg: psycopg.Connection[t.Any],
) -> None:
    _load(meltano, fake_api)
    first = postgres_rows(pg, pg_schema)
    assert not [r for r in first["phone_results"] if r["batch_id"] == ONGOING]

    _load(meltano, fake_api)

    # Only the batch that was ongoing is asked again: Meltano handed the tap its state.
    assert fake_api.stats()["requests"] == {
        COMPLETED: 1,
        LEGACY: 1,
        ONGOING: 2,
        FAILED: 1,
    }
    second = postgres_rows(pg, pg_schema)
    assert second == last_served_rows(fake_api, READABLE_DEMO_IDS)
    assert len(second["batches"]) == len(second["batch_stats"]) == len(READABLE_DEMO_IDS)
    ongoing_stats = next(r for r in second["batch_stats"] if r["batch_id"] == ONGOING)
    assert ongoing_stats["status"] == "completed"
    assert [r["index"] for r in second["phone_results"] if r["batch_id"] == ONGOING] == [0, 1, 2, 3]

    state = json.loads(meltano("state", "get", STATE_ID).stdout)
    partitions = state["singer_state"]["bookmarks"]["batches"]["partitions"]
    assert {p["context"]["id"]: p["done"] for p in partitions} == dict.fromkeys(
        READABLE_DEMO_IDS, True
    )


def test_full_refresh_reads_every_batch_again_without_duplicating_rows(
    meltano: MeltanoProject,
    fake_api: FakeEnrowServer,
    pg_schema: str,
    pg: psycopg.Connection[t.Any],
) -> None:
    _load(meltano, fake_api)
    _load(meltano, fake_api)
    before = postgres_rows(pg, pg_schema)
    reads_before = fake_api.stats()["requests"]

    _load(meltano, fake_api, "--full-refresh")

    reads_after = fake_api.stats()["requests"]
    assert {b: reads_after[b] - reads_before[b] for b in READABLE_DEMO_IDS} == dict.fromkeys(
        READABLE_DEMO_IDS, 1
    )
    after = postgres_rows(pg, pg_schema)
    assert after == before == last_served_rows(fake_api, READABLE_DEMO_IDS)


def test_batch_messages_land_the_same_rows(
    meltano: MeltanoProject,
    fake_api: FakeEnrowServer,
    pg_schema: str,
    pg: psycopg.Connection[t.Any],
    tmp_path: Path,
) -> None:
    batch_root = tmp_path / "batch-files"
    batch_root.mkdir()
    meltano.env["TAP_ENROW_PHONE_BATCH_CONFIG"] = json.dumps(
        {
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": {"root": batch_root.as_uri(), "prefix": "enrow-"},
        }
    )

    _load(meltano, fake_api)

    assert sorted(p.name for p in batch_root.iterdir())  # the records went through files
    assert postgres_rows(pg, pg_schema) == last_served_rows(fake_api, READABLE_DEMO_IDS)
