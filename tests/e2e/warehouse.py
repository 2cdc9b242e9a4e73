"""Read back what the targets loaded: Postgres tables and DuckDB row counts."""

from __future__ import annotations

import json
import subprocess
import typing as t

from psycopg import sql

from tests.e2e.served import KEYS, STREAMS, Rows, sort_rows
from tests.helpers import REPO

if t.TYPE_CHECKING:
    from pathlib import Path

    import psycopg

# Columns target-postgres adds on its own (add_record_metadata).
_METADATA_PREFIX = "_sdc_"


def postgres_rows(conn: psycopg.Connection[t.Any], schema: str) -> Rows:
    """Every row of the three batch tables, the tap's columns only."""
    return sort_rows({stream: table_rows(conn, schema, stream) for stream in STREAMS})


def table_rows(conn: psycopg.Connection[t.Any], schema: str, table: str) -> list[dict[str, t.Any]]:
    """Every row of one table, the tap's columns only."""
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))
        names = [d.name for d in cur.description or []]
        return [
            {n: v for n, v in zip(names, row, strict=True) if not n.startswith(_METADATA_PREFIX)}
            for row in cur.fetchall()
        ]


def postgres_primary_keys(
    conn: psycopg.Connection[t.Any], schema: str
) -> dict[str, tuple[str, ...]]:
    """The primary key columns of each table, in key order."""
    query = """
        SELECT tc.table_name, kcu.column_name
        FROM information_schema.table_constraints tc
        JOIN information_schema.key_column_usage kcu
          ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
        WHERE tc.table_schema = %s AND tc.constraint_type = 'PRIMARY KEY'
        ORDER BY tc.table_name, kcu.ordinal_position
    """
    keys: dict[str, tuple[str, ...]] = {}
    for table, column in conn.execute(query, (schema,)).fetchall():
        keys[table] = (*keys.get(table, ()), column)
    return keys


def duckdb_summary(duckdb_python: Path, database: Path, schema: str) -> dict[str, t.Any]:
    """Row counts and key duplicates per table, read by the DuckDB the target loaded with."""
    done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            str(duckdb_python),
            str(REPO / "scripts" / "show_duckdb.py"),
            str(database),
            "--schema",
            schema,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return t.cast("dict[str, t.Any]", json.loads(done.stdout))


__all__ = ["KEYS", "duckdb_summary", "postgres_primary_keys", "postgres_rows"]
