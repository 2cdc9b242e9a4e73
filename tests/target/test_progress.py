"""Progress: one line at a steady interval, with done of total, rate and time left."""

from __future__ import annotations

import logging
import typing as t

from target_enrow_phone.progress import Progress

if t.TYPE_CHECKING:
    import pytest


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_interval_however_often_it_ticks(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    progress = Progress(logging.getLogger("test-progress"), interval=30, clock=clock)
    caplog.set_level("INFO", logger="test-progress")
    for second in range(95):
        clock.now = 1000.0 + second
        progress.queued += 100
        progress.submitted = progress.queued // 2
        progress.tick()

    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3  # at 30, 60 and 90 s
    assert lines[0] == (
        "Progress: 1550 of 3100 searches queued so far submitted, in 0 batches "
        "(51.7 searches/s; about 30 s left for those queued)"
    )


def test_before_anything_was_submitted_the_time_left_is_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    progress = Progress(logging.getLogger("test-progress"), interval=1, clock=clock)
    caplog.set_level("INFO", logger="test-progress")
    progress.queued = 10
    clock.now += 2
    progress.tick()
    assert (
        caplog.records[0]
        .getMessage()
        .endswith("(0.0 searches/s; time left unknown for those queued)")
    )
