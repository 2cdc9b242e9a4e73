"""The local targets: DuckDB (the embedded default, row counts checked) and JSONL files."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

from tests.conftest import READABLE_DEMO_IDS
from tests.e2e.served import PHONE_DETAILS_OFF, STREAMS, last_served_rows, sort_rows
from tests.e2e.warehouse import duckdb_summary

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer
    from tests.e2e.meltano_project import MeltanoProject

# Big enough for several rows per load: target-duckdb 0.8.0 with duckdb >= 1.3 drops the
# first row of each load, which only row counts reveal.
GENERATED = "gen-e2e-250"


def test_duckdb_holds_as_many_rows_as_the_fake_served(
    meltano: MeltanoProject, fake_api: FakeEnrowServer
) -> None:
    batch_ids = [*READABLE_DEMO_IDS, GENERATED]
    meltano.point_tap_at(fake_api.url, batch_ids)

    meltano("run", "tap-enrow-phone", "target-duckdb")

    database = Path(meltano.env["TARGET_DUCKDB_FILEPATH"])
    duckdb_python = meltano.sys_dir / "loaders" / "target-duckdb" / "venv" / "bin" / "python"
    summary = duckdb_summary(duckdb_python, database, "enrow")
    served = last_served_rows(fake_api, batch_ids)
    assert {s: summary[s]["rows"] for s in STREAMS} == {s: len(served[s]) for s in STREAMS}
    assert {s: summary[s]["distinct_keys"] for s in STREAMS} == {s: len(served[s]) for s in STREAMS}
    assert len(served["phone_results"]) > 250


def test_jsonl_files_hold_every_record_the_fake_served(
    meltano: MeltanoProject, fake_api: FakeEnrowServer
) -> None:
    meltano.point_tap_at(fake_api.url, READABLE_DEMO_IDS)

    meltano("run", "tap-enrow-phone", "target-jsonl")

    directory = Path(meltano.env["TARGET_JSONL_DESTINATION_PATH"])
    written: dict[str, list[dict[str, t.Any]]] = {}
    for stream in STREAMS:
        (path,) = directory.glob(f"{stream}-*.jsonl")  # one timestamped file per stream
        written[stream] = [json.loads(line) for line in path.read_text().splitlines()]
    # A field the tap leaves out of a record is an empty column in a warehouse.
    written["phone_results"] = [{**PHONE_DETAILS_OFF, **row} for row in written["phone_results"]]
    assert sort_rows(written) == last_served_rows(fake_api, READABLE_DEMO_IDS)
