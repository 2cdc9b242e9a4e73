"""Summarise a DuckDB file loaded by target-duckdb: row counts and a few rows per table.

Run it with the Python of target-duckdb's own virtualenv (it has the `duckdb` package at
the version that wrote the file):

    .meltano/loaders/target-duckdb/venv/bin/python scripts/show_duckdb.py output/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import json
import sys

import duckdb


def main(argv: list[str] | None = None) -> int:
    """Print the summary; `--json` prints row and distinct-key counts for tests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="the .duckdb file")
    parser.add_argument("--schema", default="enrow", help="schema the target loaded into")
    parser.add_argument("--rows", type=int, default=3, help="rows to show per table")
    parser.add_argument("--json", action="store_true", help="counts only, as JSON")
    args = parser.parse_args(argv)

    with duckdb.connect(args.database, read_only=True) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = ? ORDER BY table_name",
                [args.schema],
            ).fetchall()
        ]
        summary = {table: _table_summary(conn, args.schema, table) for table in tables}
        if args.json:
            print(json.dumps(summary))
            return 0
        for table in tables:
            print(f"\n{args.schema}.{table}: {summary[table]['rows']} rows")
            relation = conn.sql(f'SELECT * FROM "{args.schema}"."{table}" LIMIT {args.rows:d}')  # noqa: S608
            relation.show(max_width=120)
    return 0


def _table_summary(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, int]:
    keys = conn.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE schema_name = ? AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [schema, table],
    ).fetchone()
    key_list = ", ".join(f'"{k}"' for k in (keys[0] if keys else []))
    rows, distinct_keys = conn.execute(
        f'SELECT count(*), count(DISTINCT ({key_list or "NULL"})) FROM "{schema}"."{table}"'  # noqa: S608
    ).fetchone() or (0, 0)
    return {
        "rows": rows,
        "distinct_keys": distinct_keys,
        "key_columns": len(keys[0]) if keys else 0,
    }


if __name__ == "__main__":
    sys.exit(main())
