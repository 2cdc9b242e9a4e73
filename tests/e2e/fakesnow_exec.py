"""Run SQL statements on a fakesnow server; executed by the dbt-snowflake test venv's Python.

Reads {"port": ..., "statements": [[sql, params], ...]} as JSON on stdin. It imports only
what that venv has (the Snowflake connector), so the test that builds the statements
keeps the logic and this stays a plain executor.
"""

from __future__ import annotations

import json
import sys

import snowflake.connector


def main() -> int:
    """Connect as dbt-snowflake does (http to 127.0.0.1) and run every statement."""
    plan = json.load(sys.stdin)
    conn = snowflake.connector.connect(
        account="fakesnow",
        user="loader",
        password="fakesnow",  # noqa: S106 - the emulator takes any password
        host="127.0.0.1",
        port=plan["port"],
        protocol="http",
    )
    with conn:
        cur = conn.cursor()
        for statement, params in plan["statements"]:
            cur.execute(statement, params)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
