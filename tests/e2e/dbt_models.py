"""Helpers for the dbt model tests: the analytics schema, queries, and Snowflake shapes."""

from __future__ import annotations

import json
import subprocess
import typing as t
from decimal import Decimal

from psycopg import sql
from psycopg.rows import dict_row

from tests.helpers import REPO

if t.TYPE_CHECKING:
    from pathlib import Path

    import psycopg

Row = dict[str, t.Any]
# The tables target-snowflake writes and the key it upserts on, as the tap declares them.
SNOWFLAKE_METADATA_COLUMNS = (
    ("_SDC_EXTRACTED_AT", "TIMESTAMP_NTZ"),
    ("_SDC_RECEIVED_AT", "TIMESTAMP_NTZ"),
    ("_SDC_BATCHED_AT", "TIMESTAMP_NTZ"),
    ("_SDC_DELETED_AT", "TIMESTAMP_NTZ"),
    ("_SDC_SEQUENCE", "NUMBER(38,0)"),
    ("_SDC_TABLE_VERSION", "NUMBER(38,0)"),
)


def analytics_schema(raw_schema: str) -> str:
    """Where the models land by default: the raw schema plus _analytics."""
    return f"{raw_schema}_analytics"


def postgres_query(conn: psycopg.Connection[t.Any], query: str, schema: str) -> list[Row]:
    """Rows of a query whose `{schema}` placeholder names the analytics schema."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql.SQL(query).format(schema=sql.Identifier(schema)))
        return [{k: _plain(v) for k, v in row.items()} for row in cur.fetchall()]


def duckdb_query(duckdb_python: Path, database: Path, query: str) -> list[Row]:
    """Rows of a query on a DuckDB file, read by the DuckDB that dbt-duckdb uses."""
    program = (
        "import duckdb, json, sys\n"
        "conn = duckdb.connect(sys.argv[1], read_only=True)\n"
        "cur = conn.execute(sys.argv[2])\n"
        "names = [d[0] for d in cur.description]\n"
        "print(json.dumps([dict(zip(names, r)) for r in cur.fetchall()], default=str))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and program
        [str(duckdb_python), "-c", program, str(database), query],
        capture_output=True,
        text=True,
        check=True,
    )
    return [{k: _plain(v) for k, v in row.items()} for row in json.loads(done.stdout)]


def _plain(value: object) -> object:
    """Numbers as float or int whatever the driver returns, for comparisons."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def snowflake_type(schema: dict[str, t.Any]) -> str:
    """The column type target-snowflake gives a JSON schema property."""
    types = schema.get("type", [])
    kinds = [k for k in (types if isinstance(types, list) else [types]) if k != "null"]
    if len(kinds) != 1 or kinds[0] in {"object", "array"}:
        return "VARIANT"
    if kinds[0] == "string":
        return "TIMESTAMP_NTZ" if schema.get("format") == "date-time" else "VARCHAR"
    return {"integer": "NUMBER(38,0)", "number": "FLOAT", "boolean": "BOOLEAN"}[kinds[0]]


def snowflake_load_statements(
    messages: list[dict[str, t.Any]], database: str, schema: str
) -> list[tuple[str, list[t.Any]]]:
    """SQL that leaves the raw tables as target-snowflake's upserts would: the last record
    per key, objects in VARIANT columns, upper-case names, metadata columns."""
    schemas: dict[str, dict[str, t.Any]] = {}
    latest: dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]] = {}
    for message in messages:
        if message["type"] == "SCHEMA":
            schemas[message["stream"]] = message
        elif message["type"] == "RECORD":
            keys = schemas[message["stream"]]["key_properties"]
            record = message["record"]
            latest.setdefault(message["stream"], {})[tuple(record[k] for k in keys)] = record
    statements: list[tuple[str, list[t.Any]]] = [
        (f"CREATE DATABASE IF NOT EXISTS {database}", []),
        (f"CREATE SCHEMA IF NOT EXISTS {database}.{schema}", []),
    ]
    for stream, message in schemas.items():
        properties = message["schema"]["properties"]
        columns = [(name.upper(), snowflake_type(p)) for name, p in properties.items()]
        table = f"{database}.{schema}.{stream.upper()}"
        ddl = ", ".join(f"{n} {kind}" for n, kind in (*columns, *SNOWFLAKE_METADATA_COLUMNS))
        statements.append((f"CREATE OR REPLACE TABLE {table} ({ddl})", []))
        for record in latest.get(stream, {}).values():
            values = ["PARSE_JSON(%s)" if kind == "VARIANT" else "%s" for _, kind in columns]
            params = [
                json.dumps(record.get(name))
                if kind == "VARIANT" and record.get(name) is not None
                else record.get(name)
                for name, (_, kind) in zip(properties, columns, strict=True)
            ]
            names = ", ".join(n for n, _ in columns)
            insert = f"INSERT INTO {table} ({names}, _SDC_EXTRACTED_AT) SELECT {', '.join(values)}, SYSDATE()"
            statements.append((insert, params))
    return statements


FAKESNOW_EXEC = REPO / "tests" / "e2e" / "fakesnow_exec.py"
