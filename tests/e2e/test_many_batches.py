"""2,000+ batches through `meltano run` into Postgres, twice: the second run costs nothing.

The ids come from a file, as for a team that adds a line per bulk search. The first run
reads them all; Meltano keeps the tap's state; the second run asks only for the batch
that was still running, and `meltano state get` holds the compact form (one short entry
per finished batch, no partitions).
"""

from __future__ import annotations

import json
import typing as t

from psycopg import sql

from fake_enrow import DEMO_API_KEY
from tests.conftest import ONGOING
from tests.reliability.support import generated_ids

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import PostgresLoad

STATE_ID = "dev:tap-enrow-phone-to-target-postgres"
BATCHES = 2_000


def _count(load: PostgresLoad, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(load.schema, table))
    row = load.conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_a_second_meltano_run_over_2000_batches_reads_only_the_unfinished_one(
    postgres_load: PostgresLoad, tmp_path: Path
) -> None:
    ids = [*generated_ids("year", BATCHES, 1), ONGOING]
    ids_file = tmp_path / "batch_ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    meltano = postgres_load.meltano
    meltano.env.update(
        TAP_ENROW_PHONE_API_KEY=DEMO_API_KEY,
        TAP_ENROW_PHONE_API_URL=postgres_load.fake.url,
        TAP_ENROW_PHONE_BATCH_IDS_FILE=str(ids_file),
    )

    meltano("run", "tap-enrow-phone", "target-postgres")

    assert postgres_load.requests() == dict.fromkeys(ids, 1)
    assert _count(postgres_load, "batches") == len(ids)
    assert _count(postgres_load, "phone_results") == BATCHES  # the running one has none yet

    meltano("run", "tap-enrow-phone", "target-postgres")

    # The finished batches are not asked again; the one that was running is, and
    # its results land beside the others.
    assert postgres_load.requests() == {**dict.fromkeys(ids, 1), ONGOING: 2}
    assert _count(postgres_load, "batches") == len(ids)
    assert _count(postgres_load, "phone_results") == BATCHES + 4

    state = json.loads(meltano("state", "get", STATE_ID).stdout)["singer_state"]
    bookmark = state["bookmarks"]["batches"]
    assert set(bookmark) == {"finished"}
    assert bookmark["finished"] == ids
    assert len(json.dumps(state, separators=(",", ":"))) <= 64 * len(ids)
