"""Fixtures: Meltano plugins installed once per session, Postgres, a schema per test.

Without Postgres the Postgres tests skip, saying why; with CI=true they fail instead, so
a CI machine that lost its database cannot pass by skipping.
"""

from __future__ import annotations

import os
import typing as t
import uuid
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from tests.e2e.meltano_project import RUN_PLUGINS, MeltanoProject
from tests.e2e.served import Rows, last_served_rows
from tests.e2e.warehouse import postgres_rows

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer

PG_HOST = os.environ.get("PGHOST", "127.0.0.1")
PG_PORT = os.environ.get("PGPORT", "5432")
PG_USER = os.environ.get("PGUSER", "postgres")
PG_DATABASE = os.environ.get("PGDATABASE", "test")


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    """`meltano install` of the plugins the runs use, into a private .meltano dir."""
    project = MeltanoProject(
        sys_dir=tmp_path_factory.mktemp("meltano-sys"),
        state_dir=tmp_path_factory.mktemp("meltano-install"),
    )
    project("install", *RUN_PLUGINS)
    return project


@pytest.fixture
def meltano(
    installed_project: MeltanoProject, fake_api: FakeEnrowServer, tmp_path: Path
) -> MeltanoProject:
    """The project with its own stored state, files under tmp_path, the tap on the fake."""
    project = installed_project.for_test(
        tmp_path,
        TARGET_DUCKDB_FILEPATH=str(tmp_path / "warehouse.duckdb"),
        TARGET_JSONL_DESTINATION_PATH=str(tmp_path),
    )
    project.point_tap_at(fake_api.url, [])
    return project


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A reachable Postgres, or a skip (a failure under CI=true) saying why not."""
    dsn = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={PG_DATABASE} connect_timeout=5"
    try:
        psycopg.connect(dsn).close()
    except psycopg.OperationalError as exc:
        reason = (
            f"Postgres is not reachable at {PG_HOST}:{PG_PORT} (user {PG_USER}, database "
            f"{PG_DATABASE}): {' '.join(str(exc).split())} Start it, or set PGHOST/PGPORT/PGUSER/"
            "PGDATABASE."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return dsn


@pytest.fixture
def pg_schema(postgres_dsn: str, meltano: MeltanoProject) -> t.Iterator[str]:
    """A schema of its own for this test (parallel runs never meet), dropped afterwards.

    target-postgres is pointed at it, with the same server as the tests read.
    """
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    meltano.env.update(
        TARGET_POSTGRES_HOST=PG_HOST,
        TARGET_POSTGRES_PORT=PG_PORT,
        TARGET_POSTGRES_USER=PG_USER,
        # Trust authentication: target-postgres still wants a password set.
        TARGET_POSTGRES_PASSWORD=os.environ.get("PGPASSWORD", ""),
        TARGET_POSTGRES_DATABASE=PG_DATABASE,
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
    )
    yield schema
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def pg(postgres_dsn: str) -> t.Iterator[psycopg.Connection[t.Any]]:
    """A connection for reading back what was loaded."""
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        yield conn


@dataclass
class PostgresLoad:
    """A test's Meltano project loading its own Postgres schema from the fake."""

    meltano: MeltanoProject
    fake: FakeEnrowServer
    conn: psycopg.Connection[t.Any]
    schema: str

    def loaded(self) -> Rows:
        """Every row of the three tables, the tap's columns only."""
        return postgres_rows(self.conn, self.schema)

    def served(self, batch_ids: list[str]) -> Rows:
        """What the fake last served for these batches, as rows."""
        return last_served_rows(self.fake, batch_ids)

    def requests(self) -> dict[str, int]:
        """Requests the fake received per batch id."""
        return t.cast("dict[str, int]", self.fake.stats()["requests"])


@pytest.fixture
def postgres_load(
    meltano: MeltanoProject,
    fake_api: FakeEnrowServer,
    pg: psycopg.Connection[t.Any],
    pg_schema: str,
) -> PostgresLoad:
    """Meltano, the fake and a Postgres schema of this test's own, together."""
    return PostgresLoad(meltano, fake_api, pg, pg_schema)
