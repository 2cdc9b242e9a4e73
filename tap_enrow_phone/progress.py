"""One INFO line at a steady interval about a long piece of work, never one per item.

A run over thousands of ids, or a wait for running batches, says how far it is (done of
total), how fast it goes and how long it should still take, every `interval` seconds and
once at the end. The clock and the interval are injectable, so tests need no timing.
"""

from __future__ import annotations

import time
import typing as t

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

# Often enough to show a run is alive, rare enough to stay a handful of lines an hour.
PROGRESS_INTERVAL = 15.0


class Progress:
    """How far one stream is through its ids, logged every `interval` seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        total: int,
        *,
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start counting now; `what` names the items, e.g. "batches"."""
        self._logger = logger
        self._what = what
        self.total = total
        self.done = 0
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last_line = self._started

    def advance(self, waiting: int = 0) -> None:
        """One more item is done; log if an interval has passed."""
        self.done += 1
        self.tick(waiting)

    def tick(self, waiting: int = 0) -> None:
        """Log if an interval has passed (call it while waiting, too)."""
        if self._clock() - self._last_line >= self._interval:
            self._log(waiting)

    def finish(self) -> None:
        """Log the last line, when there was anything to do."""
        if self.total:
            self._log(0)

    def _log(self, waiting: int) -> None:
        now = self._clock()
        self._last_line = now
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = self.total - self.done
        if left == 0:
            eta = "done"
        elif rate > 0:
            eta = f"about {_duration(left / rate)} left"
        else:
            eta = "time left unknown yet"
        waited = f", {waiting} running and waited for" if waiting else ""
        self._logger.info(
            "Progress: %d of %d %s read (%.1f/s, %s)%s.",
            self.done,
            self.total,
            self._what,
            rate,
            eta,
            waited,
        )


def _duration(seconds: float) -> str:
    """`seconds` as people read it: 42 s, 3 min 5 s, 2 h 7 min."""
    whole = round(seconds)
    if whole < 60:  # noqa: PLR2004 - a minute
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:  # noqa: PLR2004 - an hour
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
