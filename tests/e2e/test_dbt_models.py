"""The ELT jobs: `meltano run enrow-elt-*` loads the fake's data, then dbt builds and tests
the models in transform/; their rows are checked here against an account of the demo data
worked out in Python (scripts/demo_expected_rows.py)."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest
from psycopg import sql

from fake_enrow.data import Batch, found
from scripts.demo_expected_rows import expected_batch_quality, expected_latest_phone
from tests.conftest import (
    COMPLETED,
    ONGOING,
    READABLE_DEMO_IDS,
    SINGLE_FOUND,
    SINGLE_NOT_FOUND,
    SINGLE_ONGOING,
)
from tests.e2e.dbt_models import analytics_schema, duckdb_query, postgres_query

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer
    from tests.e2e.conftest import PostgresLoad
    from tests.e2e.meltano_project import MeltanoProject

SINGLES = [SINGLE_FOUND, SINGLE_NOT_FOUND, SINGLE_ONGOING]
# Michael Scott's lead id in the demo CRM, the `custom` of his demo search.
MICHAEL = "00Q5e000001MsCott"
BATCH_QUALITY = """
    SELECT batch_id, status, requested, found, hit_rate, credits_spent, credits_refunded,
           credits_per_found_number, results_loaded
    FROM {schema}.enrow_batch_quality ORDER BY batch_id"""
LATEST_PHONE = """
    SELECT lead_key, lead_key_type, phone_number, country, source, batch_id, search_index,
           single_search_id, numbers_found_for_lead
    FROM {schema}.enrow_latest_phone_per_lead ORDER BY lead_key"""
TIMES = """
    SELECT batch_id, first_seen_at, finished_at FROM {schema}.enrow_batch_quality
    ORDER BY batch_id"""
SPEND = """
    SELECT sum(credits_spent) AS spent, sum(credits_refunded) AS refunded,
           sum(numbers_found) AS found
    FROM {schema}.enrow_credit_spend_daily"""
BALANCES = "SELECT credits_balance, credits_change FROM {schema}.enrow_credit_balance_history ORDER BY read_at"


@pytest.fixture
def dbt_files(meltano: MeltanoProject, tmp_path: Path) -> MeltanoProject:
    """dbt writes its compiled SQL and logs under the test's own directory."""
    meltano.env.update(
        DBT_TARGET_PATH=str(tmp_path / "dbt-target"), DBT_LOG_PATH=str(tmp_path / "dbt-logs")
    )
    return meltano


@pytest.fixture
def pg_models(
    postgres_load: PostgresLoad,
    dbt_files: MeltanoProject,  # noqa: ARG001 - dbt's files go under the test's directory
) -> t.Iterator[str]:
    """The schema the models land in beside the test's raw schema, dropped afterwards."""
    schema = analytics_schema(postgres_load.schema)
    yield schema
    postgres_load.conn.execute(
        sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
    )


def _without_batch(rows: list[dict[str, t.Any]], batch_id: str) -> list[dict[str, t.Any]]:
    return [r for r in rows if r.get("batch_id") != batch_id]


def test_postgres_elt_job_builds_models_that_follow_a_batch_from_ongoing_to_completed(
    postgres_load: PostgresLoad, pg_models: str
) -> None:
    meltano, conn = postgres_load.meltano, postgres_load.conn
    meltano.point_tap_at(postgres_load.fake.url, READABLE_DEMO_IDS)
    meltano.env["TAP_ENROW_PHONE_SINGLE_SEARCH_IDS"] = json.dumps(SINGLES)

    # With the demo checks on, dbt compares the models with the demo seeds, which expect
    # every batch finished: one is still running, so dbt's test fails and so does the run,
    # after the load and the models were done.
    meltano.env["DBT_POSTGRES_DEMO_CHECKS"] = "true"
    failed = meltano("run", "enrow-elt-postgres", check=False)
    assert failed.returncode != 0
    assert "assert_batch_quality_matches_the_demo_data" in failed.stderr

    # The raw schema was the test's own and dbt read it without being told twice.
    first = postgres_query(conn, BATCH_QUALITY, pg_models)
    ongoing = next(r for r in first if r["batch_id"] == ONGOING)
    assert ongoing == {
        "batch_id": ONGOING,
        "status": "ongoing",
        "requested": 4,
        "found": None,
        "hit_rate": None,
        "credits_spent": None,
        "credits_refunded": None,
        "credits_per_found_number": None,
        "results_loaded": 0,
    }
    finished = [b for b in READABLE_DEMO_IDS if b != ONGOING]
    assert _without_batch(first, ONGOING) == expected_batch_quality(finished)
    assert postgres_query(conn, LATEST_PHONE, pg_models) == expected_latest_phone(
        finished, [SINGLE_FOUND, SINGLE_NOT_FOUND]
    )

    # Second run: the batch and the single search finished, and dbt's own comparison
    # with the demo seeds passes too.
    meltano("run", "enrow-elt-postgres")

    assert postgres_query(conn, BATCH_QUALITY, pg_models) == expected_batch_quality(
        READABLE_DEMO_IDS
    )
    assert postgres_query(conn, LATEST_PHONE, pg_models) == expected_latest_phone(
        READABLE_DEMO_IDS, SINGLES
    )
    times = {r["batch_id"]: r for r in postgres_query(conn, TIMES, pg_models)}
    # First seen in the first run, finished in the second: the history survived the upsert.
    assert times[ONGOING]["first_seen_at"] < times[ONGOING]["finished_at"]
    assert times[COMPLETED]["first_seen_at"] == times[COMPLETED]["finished_at"]
    assert postgres_query(conn, SPEND, pg_models) == [{"spent": 280, "refunded": 80, "found": 7}]
    # One balance per run; the demo account's credits did not move.
    assert postgres_query(conn, BALANCES, pg_models) == [
        {"credits_balance": 36000, "credits_change": None},
        {"credits_balance": 36000, "credits_change": 0},
    ]


def test_duckdb_elt_job_keeps_the_latest_number_per_lead_across_runs(
    dbt_files: MeltanoProject, fake_api: FakeEnrowServer
) -> None:
    meltano = dbt_files
    meltano.point_tap_at(fake_api.url, READABLE_DEMO_IDS)
    meltano.env["TAP_ENROW_PHONE_SINGLE_SEARCH_IDS"] = json.dumps(SINGLES)
    database = Path(meltano.env["TARGET_DUCKDB_FILEPATH"])
    python = meltano.sys_dir / "utilities" / "dbt-duckdb" / "venv" / "bin" / "python"

    def query(text: str) -> list[dict[str, t.Any]]:
        return duckdb_query(python, database, text.format(schema="enrow_analytics"))

    meltano("run", "enrow-elt-duckdb")
    assert {r["batch_id"]: r["status"] for r in query(BATCH_QUALITY)}[ONGOING] == "ongoing"

    # Michael Scott searched again in a new batch under his CRM id, his URL written
    # differently, with a new number: the newer number wins and his older one still counts.
    fake_api.catalog.add(
        Batch(
            "b-e2e-michael-again",
            ["completed"],
            [
                found(
                    0,
                    "+15705550000",
                    "US",
                    linkedin_url="HTTPS://www.LinkedIn.com/in/michael-scott/?trk=x",
                    custom=MICHAEL,
                )
            ],
        )
    )
    meltano.point_tap_at(fake_api.url, [*READABLE_DEMO_IDS, "b-e2e-michael-again"])
    meltano("run", "enrow-elt-duckdb")

    quality = query(BATCH_QUALITY)
    assert _without_batch(quality, "b-e2e-michael-again") == expected_batch_quality(
        READABLE_DEMO_IDS
    )
    latest = {r["lead_key"]: r for r in query(LATEST_PHONE)}
    michael = latest.pop(MICHAEL)
    assert michael["phone_number"] == "+15705550000"
    assert michael["batch_id"] == "b-e2e-michael-again"
    assert michael["numbers_found_for_lead"] == 2
    assert list(latest.values()) == [
        r for r in expected_latest_phone(READABLE_DEMO_IDS, SINGLES) if r["lead_key"] != MICHAEL
    ]
    times = {r["batch_id"]: r for r in query(TIMES)}
    # No metadata columns in DuckDB: the build's own clock dates the statuses.
    assert times[ONGOING]["first_seen_at"] < times[ONGOING]["finished_at"]
    assert query(SPEND) == [{"spent": 320, "refunded": 80, "found": 8}]
