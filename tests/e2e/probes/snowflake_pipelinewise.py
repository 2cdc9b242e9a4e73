"""Ask pipelinewise-target-snowflake's own code what it would create for each stream.

Reads the tap's SCHEMA messages (JSON lines) on stdin; prints, as JSON, per stream, the
Snowflake type of every column and the CREATE TABLE statement its DbSync builds. Nothing
connects to Snowflake: building the statement needs no connection.
Run with the Python of the target's own virtualenv.
"""

from __future__ import annotations

import json
import sys

from target_snowflake.db_sync import DbSync, column_type
from target_snowflake.file_format import FileFormatTypes

CONFIG = {
    "account": "offline-check",
    "dbname": "ANALYTICS",
    "user": "LOADER",
    "password": "offline",  # never used: nothing connects
    "warehouse": "LOADING",
    "file_format": "ENROW.CSV_FORMAT",
    "default_target_schema": "ENROW",
}


def main() -> None:
    report = {}
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") != "SCHEMA":
            continue
        db_sync = DbSync(CONFIG, message, file_format_type=FileFormatTypes.CSV)
        report[message["stream"]] = {
            "types": {
                name: column_type(prop) for name, prop in message["schema"]["properties"].items()
            },
            "ddl": db_sync.create_table_query(),
        }
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main()
