"""Fetch many batches with a bounded number of requests in flight, in order.

Batches are handed out in the order of the configured ids whatever order the answers
arrive in, so output is deterministic. At most `max_in_flight` requests run at once and
at most one finished answer waits beyond them, so memory is bounded by the window, never
by the number of batches.
"""

from __future__ import annotations

import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from tap_enrow_phone.errors import BatchError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

T = t.TypeVar("T")


@dataclass(frozen=True)
class Fetched(t.Generic[T]):
    """What became of one id: its value, or the per-batch error that stopped it."""

    batch_id: str
    value: T | None
    error: BatchError | None


def fetch_in_order(
    batch_ids: Iterable[str],
    fetch: Callable[[str], T],
    max_in_flight: int,
) -> Iterator[Fetched[T]]:
    """Yield `fetch(id)` for each id, in order, running up to `max_in_flight` at once.

    A `BatchError` is handed back with its id so the caller can go on with the others;
    any other error (a rejected key, retries exhausted) stops the whole fetch. The first
    id is fetched alone: a bad key then costs one request, not a window of them.
    """
    ids = iter(batch_ids)
    first = next(ids, None)
    if first is None:
        return
    yield _settle(first, partial(fetch, first))
    if max_in_flight <= 1:
        for batch_id in ids:
            yield _settle(batch_id, partial(fetch, batch_id))
        return

    window: deque[tuple[str, Future[T]]] = deque()
    pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="enrow-fetch")
    try:
        for batch_id in ids:
            window.append((batch_id, pool.submit(fetch, batch_id)))
            # One answer beyond the window may wait to be consumed while the window
            # keeps `max_in_flight` requests busy.
            if len(window) > max_in_flight:
                done_id, future = window.popleft()
                yield _settle(done_id, future.result)
        while window:
            done_id, future = window.popleft()
            yield _settle(done_id, future.result)
    finally:
        # On an error or an abandoned generator, send nothing more.
        pool.shutdown(wait=True, cancel_futures=True)


def _settle(batch_id: str, get: Callable[[], T]) -> Fetched[T]:
    try:
        return Fetched(batch_id, get(), None)
    except BatchError as error:
        return Fetched(batch_id, None, error)
