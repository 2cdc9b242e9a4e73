"""One INFO line at a steady interval while searches are submitted, never per record."""

from __future__ import annotations

import time
import typing as t

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable


class Progress:
    """Counts searches queued and submitted; `tick()` logs when the interval is up."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Start the clock now."""
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self.queued = 0
        self.submitted = 0
        self.batches = 0

    def tick(self) -> None:
        """Log one line if `interval` seconds passed since the last one."""
        now = self._clock()
        if now - self._last < self._interval:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        rate = self.submitted / elapsed
        left = self.queued - self.submitted
        eta = f"about {left / rate:.0f} s left" if rate > 0 else "time left unknown"
        self._logger.info(
            "Progress: %d of %d searches queued so far submitted, in %d batches "
            "(%.1f searches/s; %s for those queued)",
            self.submitted,
            self.queued,
            self.batches,
            rate,
            eta,
        )
