"""The state, tried for real with the installed command: bad states, old states, history.

A state of another shape is refused in one line before any request; a state written by
release 0.1.0 (one partition per id) is read without reading a finished batch again and
is rewritten compact; and a state with years of finished batches costs no request.
"""

from __future__ import annotations

import json
import typing as t

import pytest

from fake_enrow import DEMO_API_KEY
from tests.conftest import (
    COMPLETED,
    FAILED,
    LEGACY,
    ONGOING,
    READABLE_DEMO_IDS,
    SINGLE_FOUND,
    SINGLE_NOT_FOUND,
    SINGLE_ONGOING,
)
from tests.helpers import REPO, run_tap_cli
from tests.reliability.support import DEBUG_ENV, error_lines, generated_ids

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer
    from tests.reliability.conftest import Figures

# The last STATE of a real run of release 0.1.0 (commit 69e1a82) over the demo batches
# and single searches, as Meltano would hand it to the new release.
STATE_0_1_0 = REPO / "tests" / "fixtures" / "state-0.1.0.json"


def _partitions(*contexts: object) -> dict[str, t.Any]:
    return {"bookmarks": {"batches": {"partitions": list(contexts)}}}


# name -> (the --state file's text, what the one error line must say)
BAD_STATES: dict[str, tuple[str, str]] = {
    "not-json": ("{bookmarks: oops", "the state file is not JSON"),
    "empty-file": ("", "the state file is empty"),
    "blank-file": (" \n", "the state file is empty"),
    "a-list": ("[1, 2]", "the state is a list, not a JSON object"),
    "a-string": ('"done"', "the state is a string, not a JSON object"),
    "bookmarks-null": ('{"bookmarks": null}', "bookmarks is null, not an object"),
    "bookmarks-a-list": ('{"bookmarks": []}', "bookmarks is a list, not an object"),
    "stream-bookmark-a-string": (
        '{"bookmarks": {"batches": "done"}}',
        "bookmarks.batches is a string, not an object",
    ),
    "other-stream-bookmark-null": (
        '{"bookmarks": {"phone_results": null}}',
        "bookmarks.phone_results is null, not an object",
    ),
    "partitions-a-string": (
        json.dumps({"bookmarks": {"batches": {"partitions": "all"}}}),
        "bookmarks.batches.partitions is a string, not a list",
    ),
    "context-id-a-list": (
        json.dumps(_partitions({"context": {"id": [COMPLETED]}, "done": True})),
        "bookmarks.batches.partitions[0] does not hold a context with a text id",
    ),
    "context-missing": (
        json.dumps(_partitions({"done": True})),
        "bookmarks.batches.partitions[0] does not hold a context with a text id",
    ),
    "partition-a-number": (
        json.dumps(_partitions(7)),
        "bookmarks.batches.partitions[0] does not hold a context with a text id",
    ),
    "finished-a-string": (
        json.dumps({"bookmarks": {"single_phone_results": {"finished": SINGLE_FOUND}}}),
        "bookmarks.single_phone_results.finished is not a list of ids",
    ),
    "finished-holds-a-number": (
        json.dumps({"bookmarks": {"batches": {"finished": [COMPLETED, 3]}}}),
        "bookmarks.batches.finished is not a list of ids",
    ),
}


@pytest.mark.parametrize("name", list(BAD_STATES))
def test_a_bad_state_is_refused_in_one_line_before_any_request(
    name: str,
    fake_api: FakeEnrowServer,
    config: dict[str, t.Any],
    tmp_path: Path,
    figures: Figures,
) -> None:
    text, expected = BAD_STATES[name]

    out = run_tap_cli(config, tmp_path, state=text, env=DEBUG_ENV)

    assert out.returncode == 1
    [line] = error_lines(out.stderr)
    assert expected in line
    assert "meltano state clear" in line
    assert "--full-refresh" in line
    assert "Traceback" not in out.stderr
    assert out.records == {}
    assert fake_api.stats()["total_requests"] == 0
    figures.bad_inputs_refused["state"] += 1


@pytest.mark.parametrize("mark", ["false", "true", 1, None])
def test_only_a_real_done_mark_counts_as_finished(
    mark: object, fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    state = _partitions(
        {"context": {"id": COMPLETED}, "status": "completed", "done": mark},
        {"context": {"id": LEGACY}, "status": "completed", "done": True},
    )

    out = run_tap_cli({**config, "batch_ids": [COMPLETED, LEGACY]}, tmp_path, state=state)

    assert out.returncode == 0, out.stderr
    # A mark that is not `true` is read again; the real one is skipped.
    assert fake_api.stats()["requests"] == {COMPLETED: 1}
    assert out.ids("batches") == [COMPLETED]
    assert out.last_state["bookmarks"]["batches"] == {"finished": [LEGACY, COMPLETED]}


def test_a_state_of_release_0_1_0_is_read_without_rereading_and_rewritten_compact(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    old = json.loads(STATE_0_1_0.read_text())
    singles = [SINGLE_FOUND, SINGLE_NOT_FOUND, SINGLE_ONGOING]
    cfg = {**config, "single_search_ids": singles}

    out = run_tap_cli(cfg, tmp_path, state=old, env=DEBUG_ENV)

    assert out.returncode == 0, out.stderr
    # Only what 0.1.0 left unfinished is asked for.
    assert fake_api.stats()["requests"] == {ONGOING: 1, SINGLE_ONGOING: 1}
    assert out.ids("batches") == [ONGOING]
    # Every STATE is in the new form, and keeps what 0.1.0 had finished.
    for state in out.states:
        for stream in ("batches", "single_phone_results"):
            assert set(state["bookmarks"][stream]) == {"finished"}
    assert out.finished() == {COMPLETED, LEGACY, FAILED}  # ONGOING was still running
    assert out.finished("single_phone_results") == {SINGLE_FOUND, SINGLE_NOT_FOUND}
    # The next run, from the rewritten state, reads only what is still unfinished.
    again = run_tap_cli(cfg, tmp_path, state=out.last_state)
    assert again.ids("batches") == [ONGOING]
    assert again.finished() == set(READABLE_DEMO_IDS)


def test_years_of_finished_batches_cost_no_request_and_a_compact_state(
    fake_api: FakeEnrowServer, tmp_path: Path
) -> None:
    history = [f"{n:08x}-d6a6-4ea7-b331-9b734682a76a" for n in range(20_000)]
    new = generated_ids("new", 10, 2)
    ids_file = tmp_path / "batch_ids.txt"
    ids_file.write_text("\n".join([*history, *new]) + "\n")
    state = {"bookmarks": {"batches": {"finished": history}}}
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids_file": str(ids_file)}

    out = run_tap_cli(config, tmp_path, state=state)

    assert out.returncode == 0, out.stderr
    assert fake_api.stats()["requests"] == dict.fromkeys(new, 1)
    assert out.ids("batches") == new
    finished = out.last_state["bookmarks"]["batches"]["finished"]
    assert finished == [*history, *new]
    final_bytes = len(json.dumps(out.last_state, separators=(",", ":")))
    assert final_bytes <= 64 * len(finished)
    assert "10 batch(es) to read; 20000 skipped" in out.stderr


def test_state_output_stays_linear_even_with_a_state_after_every_batch(
    config: dict[str, t.Any], tmp_path: Path
) -> None:
    ids = generated_ids("lin", 2_000, 1)
    # An interval of 0 asks for a STATE after every batch: only the byte budget holds
    # the output linear (one partition per batch per STATE made 2,000 batches ~60 MB).
    out = run_tap_cli({**config, "batch_ids": ids, "state_interval": 0}, tmp_path)

    assert out.returncode == 0, out.stderr
    assert out.ids("batches") == ids
    encoded = [len(json.dumps(s, separators=(",", ":"))) for s in out.states]
    assert sum(encoded) <= 4 * encoded[-1] + 1_000_000
    assert len(out.states) > 100  # small states still go out often
    assert encoded[-1] <= 64 * len(ids)
