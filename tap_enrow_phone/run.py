"""What the streams of one run share: checked settings, the HTTP client and the run report.

The tap builds one `SyncRun` and hands it to every stream; streams call into it and it
never calls back up, so data flows one way: tap -> streams -> run -> client.
"""

from __future__ import annotations

import typing as t
from collections import Counter
from functools import cached_property
from importlib import metadata

from tap_enrow_phone import settings
from tap_enrow_phone.client import EnrowClient, RetryPolicy
from tap_enrow_phone.errors import EnrowTapError, UnknownBatchError
from tap_enrow_phone.fetcher import fetch_in_order
from tap_enrow_phone.phone_details import PhoneDetails

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Iterator, Mapping

    from singer_sdk import Stream
    from singer_sdk.helpers.types import Record

    from tap_enrow_phone.errors import BatchError
    from tap_enrow_phone.fetcher import Fetched


class SyncRun:
    """One run's settings, client and report of the ids that could not be read."""

    def __init__(self, config: Mapping[str, t.Any], logger: logging.Logger) -> None:
        """Nothing is checked or opened until first needed."""
        self._config = config
        self._logger = logger
        self._errors: list[BatchError] = []
        self._top_level_streams: list[Stream] = []

    @cached_property
    def settings(self) -> settings.TapSettings:
        """The checked settings; raises `ConfigError` for the first bad one."""
        return settings.read_settings(self._config)

    @cached_property
    def phone_details(self) -> PhoneDetails | None:
        """The phone details enricher, when the setting asks for it.

        Built with the settings check, so a missing `phonenumbers` is a config error.
        """
        return PhoneDetails() if self.settings.phone_details else None

    @cached_property
    def client(self) -> EnrowClient:
        """The HTTP client shared by every stream of this run."""
        run = self.settings
        try:
            version = metadata.version("tap-enrow-phone")
        except metadata.PackageNotFoundError:  # pragma: no cover - source tree only
            version = "dev"
        return EnrowClient(
            api_key=run.api_key,
            api_url=run.api_url,
            timeout=run.request_timeout,
            retry_policy=RetryPolicy(max_retries=run.max_retries, max_wait=run.retry_max_wait),
            user_agent=f"tap-enrow-phone/{version}",
            pool_size=run.max_concurrency,
        )

    def fetch_batches(self, batch_ids: list[str]) -> Iterator[Fetched[object]]:
        """Fetch the given batches in order, `max_concurrency` at a time."""
        return fetch_in_order(
            batch_ids, self.client.get_bulk_results, self.settings.max_concurrency
        )

    def fetch_single_results(self, search_ids: list[str]) -> Iterator[Fetched[object]]:
        """Fetch the given single searches in order, `max_concurrency` at a time."""
        return fetch_in_order(
            search_ids, self.client.get_single_result, self.settings.max_concurrency
        )

    def with_phone_details(self, records: Iterable[Record]) -> Iterable[Record]:
        """The records, with phone details added when the phone_details setting is on."""
        if self.phone_details is None:
            return records
        return self.phone_details.add_to(records)

    def report(self, error: BatchError) -> None:
        """Note a batch or single search that could not be read; the others go on."""
        ignored = isinstance(error, UnknownBatchError) and self.settings.ignore_unknown_batches
        log = self._logger.warning if ignored else self._logger.error
        log("%s", error)
        if not ignored:
            self._errors.append(error)

    def sync_streams(self, streams: Iterable[Stream]) -> None:
        """Know the tap's top-level streams, in the order `sync_all` syncs them."""
        self._top_level_streams = [s for s in streams if not s.parent_stream_type]

    def stream_synced(self, stream: Stream) -> None:
        """Note that a top-level stream is done; after the last selected one, end the run.

        The SDK's `sync_all` (final, so not overridden) offers no hook after the last
        stream; each stream reports here instead, right after its sync.
        """
        selected = [s for s in self._top_level_streams if s.selected or s.has_selected_descendents]
        if selected and stream is selected[-1]:
            self.close()
            self.raise_if_failed()

    def close(self) -> None:
        """Release the client's connections, if it was ever opened."""
        if "client" in self.__dict__:
            self.client.close()

    def raise_if_failed(self) -> None:
        """Fail the run if any batch or single search could not be read.

        Called once every stream was synced, so one unreadable id never costs the others
        their records or their state.
        """
        if not self._errors:
            return
        counts = Counter(error.kind for error in self._errors)
        what = " and ".join(f"{count} {kind.lower()}(es)" for kind, count in counts.items())
        failed = ", ".join(repr(error.batch_id) for error in self._errors)
        msg = (
            f"{what} could not be read: {failed}. Everything else was synced; see "
            "the lines above for what to do about each."
        )
        raise EnrowTapError(msg)
