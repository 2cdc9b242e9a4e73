"""Ask meltanolabs-target-snowflake's own connector what it would create for each stream.

Reads the tap's SCHEMA messages (JSON lines) on stdin; prints, as JSON, per stream, the
Snowflake type of every column (the connector's SQLAlchemy type name) and the CREATE TABLE statement. Nothing connects to
Snowflake: the connector's engine is a SQLAlchemy mock engine that records the DDL.
Run with the Python of the target's own virtualenv.
"""

from __future__ import annotations

import json
import sys

import sqlalchemy as sa
from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
from target_snowflake.connector import SnowflakeConnector

CONFIG = {
    "account": "offline-check",
    "user": "LOADER",
    "password": "offline",  # never used: nothing connects
    "database": "ANALYTICS",
    "warehouse": "LOADING",
    "default_target_schema": "ENROW",
}


def main() -> None:
    dialect = SnowflakeDialect()
    connector = SnowflakeConnector(config=CONFIG)
    statements: list[str] = []
    connector._cached_engine = sa.create_mock_engine(
        "snowflake://offline",
        lambda sql, *_, **__: statements.append(str(sql.compile(dialect=dialect))),
    )
    report = {}
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") != "SCHEMA":
            continue
        schema = message["schema"]
        # The type's own name (NUMBER), not only its SQL (DECIMAL, Snowflake's synonym).
        types = {
            name: type(connector.to_sql_type(prop)).__name__
            for name, prop in schema["properties"].items()
        }
        statements.clear()
        connector.create_empty_table(
            f"ANALYTICS.ENROW.{message['stream']}", schema, primary_keys=message["key_properties"]
        )
        report[message["stream"]] = {"types": types, "ddl": " ".join(statements)}
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main()
