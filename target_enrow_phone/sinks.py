"""The one sink: each stream's records become searches, sent a batch at a time."""

from __future__ import annotations

import typing as t

from singer_sdk.sinks import BatchSink

from tap_enrow_phone.errors import EnrowTapError

if t.TYPE_CHECKING:
    from collections.abc import Sequence

    from singer_sdk import Target
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_enrow_phone.leads import Search
    from target_enrow_phone.submitter import Submitter


class LeadsSink(BatchSink):
    """Queues the searches a stream's records make; `process_batch` submits them."""

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, t.Any],
        key_properties: Sequence[str] | None,
    ) -> None:
        """Keep the run's submitter, shared by every stream."""
        self.submitter: Submitter = target.submitter  # type: ignore[attr-defined]
        # Searches wait here, not in the batch context: the SDK logs the context at
        # DEBUG, and searches hold names and URLs.
        self._queued: list[Search] = []
        super().__init__(target, stream_name, schema, key_properties)

    @property
    def max_size(self) -> int:
        """Records per batch: the batch_size setting (3,000 at most, the API's limit)."""
        return self.submitter.settings.batch_size

    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """No JSON-schema validation: its errors quote values (names, URLs).

        `leads.make_search` checks the few columns a search needs and counts the
        records it skips, without showing any of them.
        """
        return None

    def process_record(self, record: dict[str, t.Any], context: dict[str, t.Any]) -> None:  # noqa: ARG002 - the SDK's signature
        """Queue the record's search, if it makes one that is to be sent."""
        search = self.submitter.admit(record)
        if search is not None:
            self._queued.append(search)

    def process_batch(self, context: dict[str, t.Any]) -> None:  # noqa: ARG002 - the SDK's signature
        """Submit the queued searches as one bulk search; hand its id to the tap."""
        searches, self._queued = self._queued, []
        try:
            self.submitter.submit(self.stream_name, searches)
        except EnrowTapError:
            # The run stops here: its summary line still says what was done.
            self.submitter.finish()
            raise
