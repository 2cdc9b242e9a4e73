"""The scale-out example of meltano.yml, uncommented: two instances run in parallel."""

from __future__ import annotations

import json
import typing as t
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import COMPLETED, FAILED, LEGACY, ONGOING
from tests.e2e.meltano_project import MeltanoProject
from tests.helpers import REPO

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import PostgresLoad

EXAMPLE_START = "    # - name: tap-enrow-phone--eu"
EU_IDS = [COMPLETED, LEGACY, ONGOING]
US_IDS = ["gen-us-40", FAILED]


def scale_out_project(root: Path) -> None:
    """Write meltano.yml with the commented example switched on, the tap from this repo."""
    text = (REPO / "meltano.yml").read_text()
    start = text.index(EXAMPLE_START)
    # The example is the run of comment lines that starts there.
    end = start
    while text.startswith("    #", end):
        end = text.index("\n", end) + 1
    example = [
        "    " + line.removeprefix("    # ")
        for line in text[start:end].splitlines()
        if not line.lstrip("# ").startswith(("#", "Large slices", "SDK-based"))
    ]
    text = text[:start] + "\n".join(example) + "\n" + text[end:]
    text = text.replace("pip_url: -e .\n", f"pip_url: -e {REPO}\n", 1)
    (root / "meltano.yml").write_text(text)
    (root / "batches").mkdir()
    (root / "batches" / "eu.txt").write_text("\n".join(EU_IDS) + "\n")
    (root / "batches" / "us.txt").write_text("\n".join(US_IDS) + "\n")


def test_instances_run_in_parallel_each_with_its_own_ids_and_state(
    postgres_load: PostgresLoad, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    scale_out_project(root)
    project = MeltanoProject(tmp_path / "sys", tmp_path, dict(postgres_load.meltano.env), root)
    del project.env["TAP_ENROW_PHONE_BATCH_IDS"]  # each instance reads its own file
    project("install", "tap-enrow-phone--eu", "tap-enrow-phone--us", "target-postgres")

    # The first run creates the tables; two targets creating the same table at the same
    # instant collide in Postgres, so the README says to run one instance alone first.
    project("run", "tap-enrow-phone--eu", "target-postgres")
    # In parallel: eu reads its batch that was ongoing, us its two batches, both into the
    # same tables.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(project, "run", f"tap-enrow-phone--{region}", "target-postgres")
            for region in ("eu", "us")
        ]
        for run in runs:
            run.result()

    assert postgres_load.requests() == {**dict.fromkeys(EU_IDS + US_IDS, 1), ONGOING: 2}
    assert postgres_load.loaded() == postgres_load.served(EU_IDS + US_IDS)
    for region, ids in (("eu", EU_IDS), ("us", US_IDS)):
        state_id = f"dev:tap-enrow-phone--{region}-to-target-postgres"
        state = json.loads(project("state", "get", state_id).stdout)
        partitions = state["singer_state"]["bookmarks"]["batches"]["partitions"]
        assert [p["context"]["id"] for p in partitions] == ids
    # The us instance sent its records as BATCH files.
    assert list((root / "output" / "batch-files").glob("enrow-us-*.json.gz"))
