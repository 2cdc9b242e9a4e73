"""Print, as JSON, what a DuckDB file holds: per table, its row count, column types and
the values of one column. Run with the Python of the target's own virtualenv:

    python duckdb_tables.py FILE SCHEMA COLUMN
"""

from __future__ import annotations

import json
import sys
import typing as t

import duckdb


def main(database: str, schema: str, column: str) -> None:
    types: dict[str, dict[str, str]] = {}
    tables: dict[str, dict[str, t.Any]] = {}
    with duckdb.connect(database, read_only=True) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
            [schema],
        ).fetchall()
        for table, name, data_type in columns:
            types.setdefault(table, {})[name] = data_type
        for table, table_types in types.items():
            relation = f'"{schema}"."{table}"'
            counted = conn.execute(f"SELECT count(*) FROM {relation}").fetchone()  # noqa: S608
            tables[table] = {"types": table_types, "rows": counted[0] if counted else 0}
            if column in table_types:
                values = conn.execute(f'SELECT "{column}" FROM {relation}').fetchall()  # noqa: S608
                tables[table]["values"] = [value for (value,) in values]
    sys.stdout.write(json.dumps(tables))


if __name__ == "__main__":
    main(*sys.argv[1:4])
