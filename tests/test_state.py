"""The compact state, the paced STATE writer and the progress line, with a fake clock."""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import json
import logging
import typing as t

import pytest
from singer_sdk import Stream, Tap
from singer_sdk.helpers._state import StateWriter

from tap_enrow_phone.errors import StateError

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import TapState
from tap_enrow_phone.output import BufferedSingerWriter, PacedStateWriter
from tap_enrow_phone.progress import Progress
from tap_enrow_phone.state import FinishedIds, finished_key, upgrade_state
from tap_enrow_phone.tap import TapEnrowPhone
from tests.helpers import REPO, parse_messages

UUID = "e3b61122-d6a6-4ea7-b331-9b734682a76a"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_enrow_id_is_kept_as_it_is_and_a_long_one_as_a_short_digest() -> None:
    assert finished_key(UUID) == UUID
    long_id = "x" * 200
    key = finished_key(long_id)
    assert key.startswith("#")
    assert len(key) == 23
    assert key != finished_key("x" * 199)
    # What one finished id costs in a STATE line: the key, two quotes and a comma.
    assert max(len(json.dumps(finished_key(i))) + 1 for i in (UUID, long_id, "a" * 40)) <= 64


def test_finished_ids_are_kept_in_the_bookmark_once_each_in_order() -> None:
    bookmark: dict[str, t.Any] = {}
    finished = FinishedIds(bookmark)
    for item_id in ("b", "a", "b", "y" * 50):
        finished.add(item_id)
    assert bookmark == {"finished": ["b", "a", finished_key("y" * 50)]}
    assert "y" * 50 in finished
    assert "c" not in finished
    assert len(finished) == 3


def test_an_old_state_is_upgraded_and_other_streams_are_kept() -> None:
    old = json.loads((REPO / "tests" / "fixtures" / "state-0.1.0.json").read_text())
    new = upgrade_state(old)
    assert new["bookmarks"]["batches"] == {
        "finished": ["b-demo-linkedin-completed", "b-demo-names-legacy", "b-demo-failed"]
    }
    assert new["bookmarks"]["single_phone_results"] == {
        "finished": ["s-demo-found", "s-demo-not-found"]
    }
    assert new["bookmarks"]["phone_results"] == {}
    assert upgrade_state(new) == new


def test_a_refusal_never_quotes_the_state() -> None:
    with pytest.raises(StateError) as refused:
        upgrade_state({"bookmarks": {"batches": {"partitions": [{"context": {"id": ["+1555"]}}]}}})
    assert "+1555" not in str(refused.value)


def paced(
    clock: FakeClock, interval: float, allowance: int = 1_000_000
) -> tuple[PacedStateWriter, io.StringIO]:
    out = io.StringIO()
    writer = PacedStateWriter(
        BufferedSingerWriter(), lambda: interval, allowance=allowance, clock=clock
    )
    return writer, out


def states_in(text: str) -> list[dict[str, t.Any]]:
    return [m["value"] for m in parse_messages(text) if m["type"] == "STATE"]


def test_a_state_goes_out_at_most_once_per_interval_and_always_on_flush() -> None:
    clock = FakeClock()
    writer, out = paced(clock, interval=10)
    state: TapState = {"bookmarks": {"batches": {"finished": []}}}
    finished = state["bookmarks"]["batches"]["finished"]
    with contextlib.redirect_stdout(out):
        for n in range(30):  # one batch a second
            finished.append(f"b{n}")
            writer.write_state(state)
            clock.now += 1
        writer.flush()
        writer.flush()  # nothing new: nothing written
    written = [len(s["bookmarks"]["batches"]["finished"]) for s in states_in(out.getvalue())]
    # None for the state handed in; then one per 10 s; the rest at the flush.
    assert written == [11, 21, 30]


def test_the_state_bytes_of_a_run_stay_within_four_final_states_plus_the_allowance() -> None:
    clock = FakeClock()
    allowance = 10_000
    writer, out = paced(clock, interval=0, allowance=allowance)
    state: TapState = {"bookmarks": {"batches": {"finished": []}}}
    with contextlib.redirect_stdout(out):
        for n in range(5_000):
            state["bookmarks"]["batches"]["finished"].append(UUID[:-5] + f"{n:05d}")
            writer.write_state(state)
        writer.flush()
        state["bookmarks"]["single"] = {"finished": ["s1"]}  # a second stream ends
        writer.write_state(state)
        writer.flush()
    lines = [line for line in out.getvalue().splitlines() if '"STATE"' in line]
    final = len(lines[-1])
    assert sum(len(line) for line in lines) <= 4 * final + allowance
    assert writer.bytes_written <= 4 * final + allowance
    assert len(lines) > 10  # still a STATE every so often, not only at the end


def test_records_the_sdk_wants_covered_go_out_even_when_the_state_waits() -> None:
    clock = FakeClock()
    buffered = BufferedSingerWriter()
    writer = PacedStateWriter(buffered, lambda: 60, clock=clock)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        buffered.write_record("s", {"a": 1}, None, dt.datetime.now(dt.timezone.utc))
        writer.write_state({"bookmarks": {"s": {}}})  # not due yet
        assert [m["type"] for m in parse_messages(out.getvalue())] == ["RECORD"]


def test_the_tap_writes_state_through_the_paced_writer_the_sdk_calls() -> None:
    # The tap replaces the SDK's `_state_writer` (no public hook sets it); if the SDK
    # stops writing STATE through `Tap.state_writer`, this fails.
    tap = TapEnrowPhone(config={"api_key": "k", "batch_ids": ["a"]})
    assert isinstance(tap.state_writer, PacedStateWriter)
    assert isinstance(tap.state_writer, StateWriter)
    assert "self._tap.state_writer.write_state" in _source(Stream._write_state_message)
    assert "self._state_writer.write_state" in _source(Tap._handle_termination)


def _source(function: t.Callable[..., t.Any]) -> str:
    return inspect.getsource(function)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def progress_logger() -> tuple[logging.Logger, Lines]:
    logger = logging.getLogger("test-progress")
    logger.setLevel(logging.INFO)
    handler = Lines()
    logger.handlers = [handler]
    return logger, handler


def test_progress_is_one_line_per_interval_and_one_at_the_end() -> None:
    clock = FakeClock()
    logger, handler = progress_logger()
    progress = Progress(logger, "batches", 1_000, interval=15, clock=clock)
    for _ in range(1_000):  # 8 batches a second, 125 s in all
        clock.now += 0.125
        progress.advance()
    progress.finish()
    assert len(handler.lines) == 9  # at 15, 30, ... 120 s, and the end
    assert handler.lines[0] == "Progress: 120 of 1000 batches read (8.0/s, about 1 min 50 s left)."
    assert handler.lines[-2] == "Progress: 960 of 1000 batches read (8.0/s, about 5 s left)."
    assert handler.lines[-1] == "Progress: 1000 of 1000 batches read (8.0/s, done)."


def test_progress_goes_on_while_running_batches_are_waited_for() -> None:
    clock = FakeClock()
    logger, handler = progress_logger()
    progress = Progress(logger, "batches", 3, interval=15, clock=clock)
    progress.advance()
    clock.now += 4000
    progress.tick(waiting=2)
    [line] = handler.lines
    assert line == (
        "Progress: 1 of 3 batches read (0.0/s, about 2 h 13 min left), 2 running and waited for."
    )


def test_nothing_to_read_logs_no_progress() -> None:
    logger, handler = progress_logger()
    Progress(logger, "batches", 0).finish()
    assert handler.lines == []
