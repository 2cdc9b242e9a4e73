"""Syncing batches: one request each, what each status emits, and what the state keeps."""

from __future__ import annotations

import json
import typing as t

import pytest

from fake_enrow.data import Batch, generated_batch
from tests.conftest import COMPLETED, FAILED, LEGACY, ONGOING, READABLE_DEMO_IDS
from tests.helpers import catalog_selecting, run_tap

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer

ALL_STREAMS = {"batches", "batch_stats", "phone_results"}


@pytest.mark.parametrize(
    "selected",
    [
        ALL_STREAMS,
        {"batches"},
        {"batch_stats"},
        {"phone_results"},
        {"batch_stats", "phone_results"},
    ],
    ids=lambda s: "+".join(sorted(s)),
)
def test_one_request_per_batch_feeds_every_selected_stream(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], selected: set[str]
) -> None:
    out = run_tap(config, catalog=catalog_selecting(selected))

    assert out.error is None
    assert fake_api.stats()["requests"] == dict.fromkeys(READABLE_DEMO_IDS, 1)
    assert set(out.records) == selected


def test_no_stream_selected_sends_no_request(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    run_tap(config, catalog=catalog_selecting(set()))
    assert fake_api.stats()["total_requests"] == 0


def test_completed_batch_feeds_all_three_streams(config: dict[str, t.Any]) -> None:
    out = run_tap({**config, "batch_ids": [COMPLETED]})

    assert out.records["batches"] == [
        {"id": COMPLETED, "status": "completed", "custom": {"crm_list": "q3"}}
    ]
    assert out.records["batch_stats"] == [
        {
            "batch_id": COMPLETED,
            "status": "completed",
            "requested": 3,
            "finished": None,
            "found": 2,
            "credits_cost": 80,
            "credits_to_refund": 40,
        }
    ]
    assert [(r["index"], r["qualification"]) for r in out.records["phone_results"]] == [
        (0, "found"),
        (1, "found"),
        (2, "not_found"),
    ]
    assert out.last_state["bookmarks"]["batches"] == {"finished": [COMPLETED]}


def test_ongoing_batch_emits_batch_and_stats_only_and_is_read_again(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    first = run_tap({**config, "batch_ids": [ONGOING]})
    assert first.ids("batches") == [ONGOING]
    assert first.records["batch_stats"][0]["status"] == "ongoing"
    assert first.records["batch_stats"][0]["finished"] == 2
    assert "phone_results" not in first.records
    assert first.is_finished(ONGOING) is False

    second = run_tap({**config, "batch_ids": [ONGOING]}, state=first.last_state)
    assert second.records["batches"][0]["status"] == "completed"
    assert len(second.records["phone_results"]) == 4
    assert second.is_finished(ONGOING) is True
    assert fake_api.stats()["requests"] == {ONGOING: 2}


def test_failed_batch_emits_its_results_and_is_terminal(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    first = run_tap({**config, "batch_ids": [FAILED]})
    assert first.records["batches"][0]["status"] == "failed"
    assert first.records["batch_stats"][0]["status"] == "failed"
    assert len(first.records["phone_results"]) == 1

    run_tap({**config, "batch_ids": [FAILED]}, state=first.last_state)
    assert fake_api.stats()["requests"] == {FAILED: 1}


def test_state_skips_terminal_batches_and_rereads_ongoing_ones(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    first = run_tap(config)
    second = run_tap(config, state=first.last_state)
    third = run_tap(config, state=second.last_state)

    assert fake_api.stats()["requests"] == {COMPLETED: 1, LEGACY: 1, FAILED: 1, ONGOING: 2}
    assert second.ids("batches") == [ONGOING]
    assert set(third.records) == {"account"}  # read once per run, whatever the state


def test_a_run_without_state_syncs_every_batch_again(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    run_tap(config)
    again = run_tap(config)
    assert again.ids("batches") == READABLE_DEMO_IDS
    assert fake_api.stats()["requests"][COMPLETED] == 2


def test_with_no_state_interval_a_state_follows_each_batch_never_before_its_records(
    config: dict[str, t.Any],
) -> None:
    out = run_tap({**config, "state_interval": 0})
    seen_records: set[str] = set()
    for message in out.messages:
        if message["type"] == "RECORD" and message["stream"] != "account":
            record = message["record"]
            seen_records.add(record.get("batch_id") or record["id"])
        elif message["type"] == "STATE":
            finished = message["value"]["bookmarks"].get("batches", {}).get("finished", [])
            assert set(finished) <= seen_records
    done_states = [len(s["bookmarks"].get("batches", {}).get("finished", [])) for s in out.states]
    assert sorted(set(done_states)) == [0, 1, 2, 3]


def test_state_and_context_hold_no_key_and_no_payload(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    out = run_tap(config)
    state_text = json.dumps(out.states)
    assert config["api_key"] not in state_text
    assert fake_api.served_numbers
    for number in fake_api.served_numbers:
        assert number not in state_text
    assert set(out.last_state["bookmarks"]["batches"]) == {"finished"}
    assert all(isinstance(i, str) for i in out.last_state["bookmarks"]["batches"]["finished"])
    assert out.last_state["bookmarks"]["phone_results"] == {}
    assert out.last_state["bookmarks"]["batch_stats"] == {}


def test_drifted_shapes_load_cleanly(config: dict[str, t.Any]) -> None:
    out = run_tap({**config, "batch_ids": [LEGACY]})
    assert out.error is None
    assert out.records["batch_stats"][0]["found"] == 1
    assert out.records["batches"][0]["custom"] is None
    assert [(r["index"], r["country"]) for r in out.records["phone_results"]] == [
        (0, "FR"),
        (1, None),
    ]


def test_output_follows_the_order_of_the_ids_whatever_the_concurrency(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    ids = [f"gen-order{i:02d}-{(i * 7) % 13 + 1}" for i in range(30)]
    fake_api.latency = 0.01
    out = run_tap({**config, "batch_ids": ids, "max_concurrency": 8})
    assert out.ids("batches") == ids
    assert list(dict.fromkeys(out.ids("phone_results"))) == ids
    assert fake_api.stats()["max_in_flight"] <= 8
    assert fake_api.stats()["max_in_flight"] > 1


@pytest.mark.parametrize("limit", [1, 3])
def test_requests_in_flight_never_exceed_max_concurrency(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], limit: int
) -> None:
    fake_api.latency = 0.02
    ids = [f"gen-conc{i:02d}-2" for i in range(12)]
    out = run_tap({**config, "batch_ids": ids, "max_concurrency": limit})
    assert out.error is None
    assert fake_api.stats()["max_in_flight"] == limit


def test_ids_from_setting_and_file_are_merged_trimmed_and_deduplicated(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: t.Any
) -> None:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(
        f"# exported from the CRM\n\n  {LEGACY}  \n{COMPLETED}  # again\n{FAILED}\n"
    )
    out = run_tap(
        {**config, "batch_ids": [f" {COMPLETED} ", LEGACY], "batch_ids_file": str(ids_file)}
    )
    assert out.ids("batches") == [COMPLETED, LEGACY, FAILED]
    assert fake_api.stats()["requests"] == {COMPLETED: 1, LEGACY: 1, FAILED: 1}


def test_a_batch_of_three_thousand_results_is_emitted_whole(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    batch = generated_batch("b-big", 3000)
    fake_api.catalog.add(batch)
    out = run_tap({**config, "batch_ids": ["b-big"]})
    assert [r["index"] for r in out.records["phone_results"]] == list(range(3000))


def test_unknown_extra_fields_are_ignored(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    fake_api.catalog.add(
        Batch(
            "b-extra", ["completed"], generated_batch("x", 2).results, extra={"new_section": [1, 2]}
        )
    )
    out = run_tap({**config, "batch_ids": ["b-extra"]})
    assert out.error is None
    assert len(out.records["phone_results"]) == 2
