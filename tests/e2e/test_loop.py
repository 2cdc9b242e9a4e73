"""The whole loop through real Meltano: a leads table in Postgres becomes bulk searches
(`tap-postgres--leads target-enrow-phone`), whose results then land next to the leads
(`tap-enrow-phone target-postgres`); SQL joins them back by `custom`."""

from __future__ import annotations

import json
import typing as t
import uuid

import pytest
from psycopg import sql

from fake_enrow import DEMO_API_KEY

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import psycopg

    from tests.e2e.conftest import PostgresLoad
    from tests.e2e.meltano_project import MeltanoProject

LOOP_PLUGINS = ("tap-postgres", "tap-postgres--leads", "target-enrow-phone")
# custom, linkedin_url, firstname, lastname, company_domain, company_name
LEADS = [
    ("crm-01", "https://www.linkedin.com/in/loop-ada", None, None, None, None),
    ("crm-02", "linkedin.com/in/loop-alan/", None, None, None, None),
    ("crm-03", None, "Grace", "Hopper", "loop-navy.example", None),
    ("crm-04", None, "Edsger", "Dijkstra", None, "Loop Centrum"),
    ("crm-05", "https://www.linkedin.com/in/loop-barbara", None, None, None, None),
    ("crm-06", None, "Katherine", "Johnson", "https://www.loop-nasa.example/", None),
    ("crm-07", "https://www.linkedin.com/in/loop-linus", None, None, None, None),
    ("crm-08", "https://www.linkedin.com/in/loop-margaret", None, None, None, None),
    # The same person as crm-01, written differently: not paid for twice.
    ("crm-09", "HTTPS://LINKEDIN.COM/in/loop-ada?trk=x", None, None, None, None),
    # Makes no valid search: skipped, never sent.
    ("crm-10", None, "Donald", None, None, "Loop Stanford"),
]
SUBMITTED = 8


@pytest.fixture(scope="session")
def loop_installed(installed_project: MeltanoProject) -> MeltanoProject:
    installed_project("install", *LOOP_PLUGINS)
    return installed_project


@pytest.fixture
def leads_schema(pg: psycopg.Connection[t.Any]) -> Iterator[str]:
    """A `leads` table in a schema of this test's own."""
    schema = f"e2e_leads_{uuid.uuid4().hex[:10]}"
    pg.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    pg.execute(
        sql.SQL(
            "CREATE TABLE {} (custom text PRIMARY KEY, linkedin_url text, firstname text, "
            "lastname text, company_domain text, company_name text)"
        ).format(sql.Identifier(schema, "leads"))
    )
    with pg.cursor() as cur:
        cur.executemany(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(schema, "leads")
            ),
            LEADS,
        )
    yield schema
    pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _point_the_loop(load: PostgresLoad, leads_schema: str, files: Path) -> None:
    ids_file = str(files / "batch_ids.txt")
    pg_env = {
        "HOST": load.meltano.env["TARGET_POSTGRES_HOST"],
        "PORT": load.meltano.env["TARGET_POSTGRES_PORT"],
        "USER": load.meltano.env["TARGET_POSTGRES_USER"],
        "PASSWORD": load.meltano.env["TARGET_POSTGRES_PASSWORD"],
        "DATABASE": load.meltano.env["TARGET_POSTGRES_DATABASE"],
    }
    load.meltano.env.update({f"TAP_POSTGRES_{k}": v for k, v in pg_env.items()})
    load.meltano.env.update(
        TAP_POSTGRES_FILTER_SCHEMAS=json.dumps([leads_schema]),
        TAP_POSTGRES__LEADS_FILTER_SCHEMAS=json.dumps([leads_schema]),
        TAP_POSTGRES__LEADS__SELECT=json.dumps([f"{leads_schema}-leads.*"]),
        TAP_ENROW_PHONE_API_KEY=DEMO_API_KEY,
        TARGET_ENROW_PHONE_API_URL=load.fake.url,
        TARGET_ENROW_PHONE_BATCH_IDS_FILE=ids_file,
        TARGET_ENROW_PHONE_LEDGER_PATH=str(files / "ledger.sqlite3"),
        TARGET_ENROW_PHONE_BATCH_SIZE="3",
        TAP_ENROW_PHONE_BATCH_IDS_FILE=ids_file,
        TAP_ENROW_PHONE_WAIT_FOR_RUNNING_BATCHES="true",
        TAP_ENROW_PHONE_POLL_INTERVAL="1",
    )


def _found_by_lead(load: PostgresLoad, leads_schema: str) -> list[tuple[str, str]]:
    """(lead, number) for every found result, joined back to the leads by `custom`."""
    query = sql.SQL(
        "SELECT l.custom, r.number FROM {leads} l JOIN {results} r "
        "ON r.custom = l.custom "
        "WHERE r.qualification = 'found' ORDER BY l.custom"
    ).format(
        leads=sql.Identifier(leads_schema, "leads"),
        results=sql.Identifier(load.schema, "phone_results"),
    )
    return [(c, n) for c, n in load.conn.execute(query).fetchall()]


def _served_found(load: PostgresLoad) -> list[tuple[str, str]]:
    found = []
    for batch_id in load.fake.submissions.batch_ids():
        batch = load.fake.catalog.get(batch_id)
        assert batch is not None
        found += [
            (r["custom"], r["number"]) for r in batch.results if r["qualification"] == "found"
        ]
    return sorted(found)


@pytest.mark.usefixtures("loop_installed")
def test_leads_become_searches_whose_found_numbers_join_back_to_the_leads(
    postgres_load: PostgresLoad,
    leads_schema: str,
    tmp_path: Path,
) -> None:
    _point_the_loop(postgres_load, leads_schema, tmp_path)

    postgres_load.meltano("run", "tap-postgres--leads", "target-enrow-phone")
    created = postgres_load.fake.submissions.batch_ids()
    assert len(created) == 3  # 8 searches in batches of 3
    submitted = postgres_load.fake.submissions.searches()
    assert sorted(s["custom"] for s in submitted) == [f"crm-0{n}" for n in range(1, 9)]
    assert len(submitted) == SUBMITTED

    postgres_load.meltano("run", "tap-enrow-phone", "target-postgres")
    joined = _found_by_lead(postgres_load, leads_schema)
    served = _served_found(postgres_load)
    assert served  # the fake finds about two thirds
    assert joined == served
    results = postgres_load.conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(postgres_load.schema, "phone_results")
        )
    ).fetchone()
    assert results == (SUBMITTED,)

    # A second run of both: nothing new is submitted, nothing is duplicated.
    postgres_load.meltano("run", "tap-postgres--leads", "target-enrow-phone")
    postgres_load.meltano("run", "tap-enrow-phone", "target-postgres")
    assert postgres_load.fake.submissions.batch_ids() == created
    assert len(postgres_load.fake.submissions.searches()) == SUBMITTED
    assert _found_by_lead(postgres_load, leads_schema) == served
    again = postgres_load.conn.execute(
        sql.SQL("SELECT count(*), count(DISTINCT (batch_id, index)) FROM {}").format(
            sql.Identifier(postgres_load.schema, "phone_results")
        )
    ).fetchone()
    assert again == (SUBMITTED, SUBMITTED)
