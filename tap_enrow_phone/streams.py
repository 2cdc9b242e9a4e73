"""Turn each batch's answer into records of the three streams.

One request per batch feeds all three: `batches` is the parent stream, partitioned by
batch id; it fetches the batch once and hands the parsed document to its two child
streams through the child context. The children pop the document in
`preprocess_context`, so it never reaches a log line, a metric or the state.
"""

from __future__ import annotations

import sys
import typing as t
from importlib import resources
from pathlib import Path

from singer_sdk import SchemaDirectory, StreamSchema

from tap_enrow_phone.documents import BatchDocument, parse_batch_document
from tap_enrow_phone.errors import BatchError, MalformedBatchError
from tap_enrow_phone.record_path import LeanRecordStream

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from importlib.resources.abc import Traversable

    from singer_sdk.helpers.types import Context, Record

    from tap_enrow_phone.fetcher import Fetched
    from tap_enrow_phone.tap import TapEnrowPhone

_DOCUMENT = "document"


def _schemas_dir() -> Path | Traversable:
    """`schemas/` inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("tap_enrow_phone") / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


SCHEMAS = SchemaDirectory(_schemas_dir())


class BatchesStream(LeanRecordStream):
    """`batches`: one record per batch read, and the parent of the other two streams."""

    name = "batches"
    primary_keys = ("id",)
    schema = StreamSchema(SCHEMAS)

    def __init__(self, tap: TapEnrowPhone) -> None:
        """Bind the stream to the tap that owns the HTTP client and the run report."""
        super().__init__(tap)
        self._enrow_tap = tap
        self._pending: list[dict[str, str]] | None = None
        self._fetches: Iterator[Fetched[object]] | None = None
        self._document: BatchDocument | None = None

    @property
    @override
    def partitions(self) -> list[dict[str, t.Any]] | None:
        """One partition per configured batch that the state does not mark as done."""
        if self._pending is None:
            done = {
                partition["context"].get("id")
                for partition in self.state_manager.get_state_partitions() or []
                if partition.get("done") and isinstance(partition.get("context"), dict)
            }
            batch_ids = self._enrow_tap.batch_ids
            # The partition context is the batch's key in `batches`: the SDK copies it
            # into the record, where `id` already is.
            self._pending = [{"id": b} for b in batch_ids if b not in done]
            self.logger.info(
                "%d batch(es) to read; %d skipped, finished in an earlier run.",
                len(self._pending),
                len(batch_ids) - len(self._pending),
            )
        return self._pending

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        if context is None:  # the SDK asks once with no context when no batch is left
            return
        fetched = next(self._fetch_iterator())
        batch_id = context["id"]
        if fetched.batch_id != batch_id:  # pragma: no cover - a broken invariant
            msg = f"fetched batch {fetched.batch_id!r} while syncing {batch_id!r}"
            raise RuntimeError(msg)
        if fetched.error is not None:
            self._enrow_tap.report_batch_error(fetched.error)
            return
        try:
            document = parse_batch_document(batch_id, fetched.value)
        except MalformedBatchError as error:
            self._enrow_tap.report_batch_error(error)
            return
        if document.rejected_results:
            self._enrow_tap.report_batch_error(
                BatchError(
                    batch_id,
                    f"{document.rejected_results} result item(s) are not the documented "
                    "shape and were skipped; the batch stays unfinished so the next run "
                    "reads it again.",
                )
            )

        self._document = document
        yield document.batch
        # The SDK resumes this generator only after the record and both child streams'
        # records were written, so the state may now say what was emitted.
        self._document = None
        partition_state = self.get_context_state(context)
        partition_state["status"] = document.status
        partition_state["done"] = document.is_terminal
        self.state_manager.is_flushed = False
        self._write_state_message()

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state_progress_markers(state)
        # `sync_all` calls this right after the sync of this, the only top-level
        # stream: the run is over, and its verdict can be given.
        self._enrow_tap.finish_run()

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"batch_id": record["id"], _DOCUMENT: self._document}

    def _fetch_iterator(self) -> Iterator[Fetched[object]]:
        if self._fetches is None:
            self._fetches = self._enrow_tap.fetch_batches([p["id"] for p in self.partitions or []])
        return self._fetches


class _BatchChildStream(LeanRecordStream):
    """A stream fed from the document its parent `batches` already fetched."""

    parent_stream_type = BatchesStream
    # The parent's partitions carry the per-batch state; children keep none, so no
    # context (and no payload) is ever written to the state.
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: TapEnrowPhone) -> None:
        """Start with no document; the parent hands one over per batch."""
        super().__init__(tap)
        self._document: BatchDocument | None = None

    @override
    def preprocess_context(self, context: Context) -> Context:
        context = dict(context)
        self._document = context.pop(_DOCUMENT)
        return context

    def _take_document(self) -> BatchDocument:
        document, self._document = self._document, None
        if document is None:  # pragma: no cover - the SDK always preprocesses first
            msg = f"{self.name} was synced without its parent's document"
            raise RuntimeError(msg)
        return document


class BatchStatsStream(_BatchChildStream):
    """`batch_stats`: the counters of each batch read."""

    name = "batch_stats"
    primary_keys = ("batch_id",)
    schema = StreamSchema(SCHEMAS)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        yield self._take_document().stats


class PhoneResultsStream(_BatchChildStream):
    """`phone_results`: one record per search of each finished batch."""

    name = "phone_results"
    primary_keys = ("batch_id", "index")
    schema = StreamSchema(SCHEMAS)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        return self._take_document().results
