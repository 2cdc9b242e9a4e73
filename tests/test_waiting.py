"""wait_for_running_batches: running batches are polled after the others, within max_wait."""

from __future__ import annotations

import logging
import typing as t

from fake_enrow import Batch, Fault
from fake_enrow.data import found
from tests.conftest import COMPLETED, LEGACY, ONGOING
from tests.helpers import run_tap

if t.TYPE_CHECKING:
    import pytest

    from fake_enrow import FakeEnrowServer

NEVER_FINISHES = "b-still-running"
THIRD_READ_COMPLETES = "b-completes-on-third-read"


def waiting_config(config: dict[str, t.Any], ids: list[str], **extra: t.Any) -> dict[str, t.Any]:
    return {
        **config,
        "batch_ids": ids,
        "wait_for_running_batches": True,
        "poll_interval": 0.05,
        "max_wait": 5,
        **extra,
    }


def record_positions(out: t.Any, batch_id: str) -> list[int]:
    """Positions in the output of every record that belongs to one batch."""
    return [
        i
        for i, m in enumerate(out.messages)
        if m["type"] == "RECORD"
        and batch_id in (m["record"].get("batch_id"), m["record"].get("id"))
    ]


def test_a_running_batch_is_polled_after_the_others_and_emitted_finished(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    out = run_tap(waiting_config(config, [ONGOING, COMPLETED, LEGACY]))

    assert out.error is None
    # The running batch holds nobody up: the others come first, in id order.
    assert out.ids("batches") == [COMPLETED, LEGACY, ONGOING]
    assert max(record_positions(out, LEGACY)) < min(record_positions(out, ONGOING))
    assert out.records["batches"][-1]["status"] == "completed"
    assert len([r for r in out.records["phone_results"] if r["batch_id"] == ONGOING]) == 4
    assert out.is_finished(ONGOING) is True
    assert fake_api.stats()["requests"] == {ONGOING: 2, COMPLETED: 1, LEGACY: 1}


def test_a_batch_still_running_at_max_wait_is_emitted_ongoing_and_not_done(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    fake_api.catalog.add(Batch(NEVER_FINISHES, ["ongoing"], [found(0, "+15705550000", "US")]))
    cfg = waiting_config(config, [NEVER_FINISHES, COMPLETED], poll_interval=0.05, max_wait=0.3)
    out = run_tap(cfg)

    assert out.error is None
    assert out.ids("batches") == [COMPLETED, NEVER_FINISHES]
    assert out.records["batches"][-1]["status"] == "ongoing"
    assert out.records["batch_stats"][-1]["status"] == "ongoing"
    assert NEVER_FINISHES not in out.ids("phone_results")
    assert out.is_finished(NEVER_FINISHES) is False
    assert out.is_finished(COMPLETED) is True
    # Polled every poll_interval within max_wait: 0.3 / 0.05 gives at most 6 polls.
    assert 3 <= fake_api.stats()["requests"][NEVER_FINISHES] <= 7

    again = run_tap(cfg, state=out.last_state)
    assert again.ids("batches") == [NEVER_FINISHES]


def test_several_running_batches_keep_the_id_order(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    fake_api.catalog.add(
        Batch(
            THIRD_READ_COMPLETES,
            ["ongoing", "ongoing", "completed"],
            [found(0, "+15705550001", "US")],
        )
    )
    out = run_tap(waiting_config(config, [THIRD_READ_COMPLETES, COMPLETED, ONGOING]))

    assert out.error is None
    assert out.ids("batches") == [COMPLETED, THIRD_READ_COMPLETES, ONGOING]
    assert {r["status"] for r in out.records["batches"]} == {"completed"}
    assert fake_api.stats()["requests"] == {THIRD_READ_COMPLETES: 3, COMPLETED: 1, ONGOING: 2}


def test_without_the_setting_a_running_batch_is_emitted_in_place_and_read_next_run(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    out = run_tap({**config, "batch_ids": [ONGOING, COMPLETED]})

    assert out.ids("batches") == [ONGOING, COMPLETED]
    assert out.records["batches"][0]["status"] == "ongoing"
    assert out.is_finished(ONGOING) is False
    assert fake_api.stats()["requests"] == {ONGOING: 1, COMPLETED: 1}


def test_a_batch_that_fails_to_read_while_polled_is_reported_and_not_done(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    # First read: the normal (ongoing) answer; second read: the id has expired.
    fake_api.script(
        ONGOING, Fault(), Fault(400, {"message": "Could not retrieve bulk search results"})
    )
    out = run_tap(waiting_config(config, [ONGOING, COMPLETED]))

    assert out.error is not None
    assert f"1 batch(es) could not be read: {ONGOING!r}" in str(out.error)
    assert out.ids("batches") == [COMPLETED]
    assert out.is_finished(COMPLETED) is True
    assert out.is_finished(ONGOING) is False


def test_the_progress_line_counts_a_waited_batch_once_when_it_is_out(
    config: dict[str, t.Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    out = run_tap(waiting_config(config, [ONGOING, COMPLETED, LEGACY]))

    assert out.error is None
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Progress:")]
    # One line at the end (the run is shorter than the interval), the waited batch counted once.
    [line] = progress
    assert line.startswith("Progress: 3 of 3 batches read (")
    assert line.endswith(", done).")
