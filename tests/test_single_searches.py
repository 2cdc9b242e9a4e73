"""Single searches: GET /phone/single into single_phone_results, with per-id state."""

from __future__ import annotations

import json
import typing as t

from fake_enrow import Fault
from tests.conftest import COMPLETED, SINGLE_FOUND, SINGLE_NOT_FOUND, SINGLE_ONGOING
from tests.helpers import run_tap, run_tap_cli

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer

SINGLES = [SINGLE_FOUND, SINGLE_NOT_FOUND, SINGLE_ONGOING]


def single_config(config: dict[str, t.Any], ids: list[str]) -> dict[str, t.Any]:
    """Single searches only: a run needs no batch id when it has single ids."""
    return {**{k: v for k, v in config.items() if k != "batch_ids"}, "single_search_ids": ids}


def single_state(out: t.Any, search_id: str) -> dict[str, t.Any]:
    for partition in out.last_state["bookmarks"]["single_phone_results"]["partitions"]:
        if partition["context"] == {"id": search_id}:
            return t.cast("dict[str, t.Any]", partition)
    raise KeyError(search_id)


def test_single_results_have_the_documented_fields_and_are_read_once(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    out = run_tap(single_config(config, [SINGLE_FOUND, SINGLE_NOT_FOUND]))

    assert out.error is None
    assert fake_api.stats()["requests"] == {SINGLE_FOUND: 1, SINGLE_NOT_FOUND: 1}
    assert out.records["single_phone_results"] == [
        {
            "id": SINGLE_FOUND,
            "qualification": "found",
            "number": "+15705559876",
            "country": "US",
            "custom": '{"crm_id":"0031"}',  # served as an object: kept as JSON text
            "params": {"linkedin_url": "https://www.linkedin.com/in/pam-beesly"},
        },
        {
            "id": SINGLE_NOT_FOUND,
            "qualification": "not_found",
            "number": None,
            "country": None,
            "custom": None,
            "params": {
                "firstname": "Creed",
                "lastname": "Bratton",
                "company_name": "Dunder Mifflin",
            },
        },
    ]
    assert "batches" not in out.records
    assert single_state(out, SINGLE_FOUND) == {
        "context": {"id": SINGLE_FOUND},
        "status": "found",
        "done": True,
    }


def test_ongoing_single_search_is_read_again_until_finished_then_skipped(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    cfg = single_config(config, SINGLES)
    first = run_tap(cfg)
    [ongoing] = [r for r in first.records["single_phone_results"] if r["id"] == SINGLE_ONGOING]
    assert ongoing["qualification"] == "ongoing"
    assert single_state(first, SINGLE_ONGOING)["done"] is False

    second = run_tap(cfg, state=first.last_state)
    assert [r["id"] for r in second.records["single_phone_results"]] == [SINGLE_ONGOING]
    assert second.records["single_phone_results"][0]["qualification"] == "found"
    assert second.records["single_phone_results"][0]["custom"] == "row-17"
    assert single_state(second, SINGLE_ONGOING)["done"] is True

    third = run_tap(cfg, state=second.last_state)
    assert "single_phone_results" not in third.records
    assert fake_api.stats()["requests"] == {SINGLE_FOUND: 1, SINGLE_NOT_FOUND: 1, SINGLE_ONGOING: 2}


def test_batches_and_single_searches_run_side_by_side(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    out = run_tap({**config, "batch_ids": [COMPLETED], "single_search_ids": [SINGLE_FOUND]})

    assert out.error is None
    assert fake_api.stats()["requests"] == {COMPLETED: 1, SINGLE_FOUND: 1}
    assert out.ids("batches") == [COMPLETED]
    assert [r["id"] for r in out.records["single_phone_results"]] == [SINGLE_FOUND]
    assert set(out.last_state["bookmarks"]) >= {"batches", "single_phone_results"}


def test_ids_from_setting_and_file_are_merged(config: dict[str, t.Any], tmp_path: Path) -> None:
    ids_file = tmp_path / "singles.txt"
    ids_file.write_text(f"# exported from the CRM\n{SINGLE_NOT_FOUND}\n\n  {SINGLE_FOUND}  # dup\n")
    cfg = single_config(config, [SINGLE_FOUND])
    out = run_tap({**cfg, "single_search_ids_file": str(ids_file)})

    assert [r["id"] for r in out.records["single_phone_results"]] == [
        SINGLE_FOUND,
        SINGLE_NOT_FOUND,
    ]


def test_an_id_answering_500_every_time_is_reported_alone_and_fails_the_run_at_the_end(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    unknown = "s-never-submitted"
    cfg = {**single_config(config, [SINGLE_FOUND, unknown, SINGLE_NOT_FOUND]), "max_retries": 1}
    out = run_tap_cli(cfg, tmp_path)

    assert out.returncode == 1
    assert [r["id"] for r in out.records["single_phone_results"]] == [
        SINGLE_FOUND,
        SINGLE_NOT_FOUND,
    ]
    assert fake_api.stats()["requests"][unknown] == 2  # retried like any 500 first
    errors = [line for line in out.stderr.splitlines() if "| ERROR" in line]
    assert any(
        f"Single search {unknown!r}: the API answered HTTP 500 to all 2 attempts" in line
        for line in errors
    )
    assert f"1 single search(es) could not be read: {unknown!r}" in errors[-1]
    assert "Traceback" not in out.stderr
    partitions = out.last_state["bookmarks"]["single_phone_results"]["partitions"]
    assert {"context": {"id": unknown}} not in [
        {"context": p["context"]} for p in partitions if p.get("done")
    ]


def test_a_transient_500_on_a_known_id_is_retried_and_the_result_arrives(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    fake_api.script(SINGLE_FOUND, Fault(500, {"message": "Internal server error"}))
    out = run_tap(single_config(config, [SINGLE_FOUND]))

    assert out.error is None
    assert [r["id"] for r in out.records["single_phone_results"]] == [SINGLE_FOUND]
    assert fake_api.stats()["requests"] == {SINGLE_FOUND: 2}


def test_an_unreadable_answer_is_reported_and_left_for_the_next_run(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    fake_api.script(SINGLE_FOUND, Fault(200, {"qualification": "maybe", "number": "+15705559876"}))
    out = run_tap_cli(single_config(config, [SINGLE_FOUND, SINGLE_NOT_FOUND]), tmp_path)

    assert out.returncode == 1
    assert f"Single search {SINGLE_FOUND!r}: the API answered with an unexpected" in out.stderr
    assert "+15705559876" not in out.stderr
    assert [r["id"] for r in out.records["single_phone_results"]] == [SINGLE_NOT_FOUND]
    again = run_tap(single_config(config, [SINGLE_FOUND, SINGLE_NOT_FOUND]), state=out.last_state)
    assert [r["id"] for r in again.records["single_phone_results"]] == [SINGLE_FOUND]


def test_logs_and_state_hold_no_number_and_no_key(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    out = run_tap_cli(
        single_config(config, SINGLES), tmp_path, env={"TAP_ENROW_PHONE_LOG_LEVEL": "DEBUG"}
    )

    assert out.returncode == 0, out.stderr
    assert fake_api.served_numbers
    state_text = json.dumps(out.states)
    for text in (out.stderr, state_text):
        assert config["api_key"] not in text
        for number in fake_api.served_numbers:
            assert number not in text
