"""Turn the API's answers into the records of the tap's streams.

One request per batch feeds three streams: `batches` is the parent stream, partitioned by
batch id; it fetches the batch once and hands the parsed document to its two child
streams through the child context. The children pop the document in
`preprocess_context`, so it never reaches a log line, a metric or the state. Single
searches are partitioned by id the same way; the account is read once per run.
"""

from __future__ import annotations

import sys
import time
import typing as t
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from importlib import resources
from pathlib import Path

from singer_sdk import SchemaDirectory, Stream, StreamSchema

from tap_enrow_phone.documents import (
    BatchDocument,
    parse_account_document,
    parse_batch_document,
    parse_single_document,
)
from tap_enrow_phone.errors import BatchError, EnrowTapError
from tap_enrow_phone.output import PacedStateWriter
from tap_enrow_phone.progress import Progress
from tap_enrow_phone.record_path import LeanRecordStream
from tap_enrow_phone.state import FinishedIds

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from importlib.resources.abc import Traversable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

    from tap_enrow_phone.fetcher import Fetched
    from tap_enrow_phone.run import SyncRun

_DOCUMENT = "document"
_Parsed = t.TypeVar("_Parsed")
_T = t.TypeVar("_T")


def _schemas_dir() -> Path | Traversable:
    """`schemas/` inside the installed wheel, or at the top of a source checkout."""
    packaged = resources.files("tap_enrow_phone") / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


SCHEMAS = SchemaDirectory(_schemas_dir())


class _RunStream(Stream):
    """A stream of one run: it reads through the run the tap hands it, never the tap."""

    def __init__(self, tap: Tap, run: SyncRun) -> None:
        """Bind the stream to the run that owns the settings, the client and the report."""
        super().__init__(tap)
        self._run = run


class _TopLevelStream(_RunStream):
    """A stream the tap syncs itself (not a child); tells the run when it is done."""

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state_progress_markers(state)
        self.stream_finished()
        # `sync_all` calls this right after this stream's sync; after the last stream
        # the run is over, and its verdict can be given.
        self._run.stream_synced(self)

    def stream_finished(self) -> None:
        """Called once the stream was synced, before the run may end."""

    def write_state_now(self) -> None:
        """Write the latest state now, not at the next STATE interval."""
        writer = self._tap.state_writer
        if isinstance(writer, PacedStateWriter):
            writer.flush()


class _IdPartitionedStream(_TopLevelStream):
    """A top-level stream with one partition per configured id not finished yet.

    The stream's bookmark lists the finished ids (see `state.py`): later runs skip them
    without a request and read every other id again. The state is not partitioned, so
    a STATE grows by one short entry per finished id, never by a partition per id.
    Ids are fetched `max_concurrency` at a time, in order.
    """

    # What one id names, for the log; and many of them.
    id_kind: t.ClassVar[str]
    id_kind_plural: t.ClassVar[str]
    # The partitions are the ids to read; the state is kept for the whole stream.
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: Tap, run: SyncRun) -> None:
        """Start with nothing fetched."""
        super().__init__(tap, run)
        self._pending: list[dict[str, str]] | None = None
        self._fetches: Iterator[Fetched[object]] | None = None
        # Ids to read, counted before running batches are put back in the list.
        self._to_read = 0

    @cached_property
    def finished(self) -> FinishedIds:
        """The ids finished in this run or an earlier one, kept in the bookmark."""
        return FinishedIds(self.stream_state)

    @cached_property
    def progress(self) -> Progress:
        """How far the run is through the ids it reads."""
        return Progress(self.logger, self.id_kind_plural, self._to_read)

    def configured_ids(self) -> list[str]:
        """Every id the settings ask for, in order."""
        raise NotImplementedError

    def fetch(self, ids: list[str]) -> Iterator[Fetched[object]]:
        """Fetch the documents of `ids`, in order."""
        raise NotImplementedError

    @property
    @override
    def partitions(self) -> list[dict[str, t.Any]] | None:
        """One partition per configured id that the state does not mark as done."""
        if self._pending is None:
            ids = self.configured_ids()
            self._pending = [{"id": i} for i in ids if i not in self.finished]
            self._to_read = len(self._pending)
            self.logger.info(
                "%d %s(es) to read; %d skipped, finished in an earlier run.",
                len(self._pending),
                self.id_kind,
                len(ids) - len(self._pending),
            )
        return self._pending

    def next_fetched(self, item_id: str) -> Fetched[object]:
        """The fetched document of the partition being synced."""
        if self._fetches is None:
            self._fetches = self.fetch([p["id"] for p in self.partitions or []])
        fetched = self.next_or_stop(self._fetches)
        if fetched.batch_id != item_id:  # pragma: no cover - a broken invariant
            msg = f"fetched {fetched.batch_id!r} while syncing {item_id!r}"
            raise RuntimeError(msg)
        return fetched

    def parse_or_report(
        self, fetched: Fetched[object], parse: Callable[[str, object], _Parsed]
    ) -> _Parsed | None:
        """`parse` of the fetched document, or None once its error was reported.

        Either way the run goes on with the other ids.
        """
        if fetched.error is not None:
            self._run.report(fetched.error)
            return None
        try:
            return parse(fetched.batch_id, fetched.value)
        except BatchError as error:
            self._run.report(error)
            return None

    def next_or_stop(self, fetches: Iterator[_T]) -> _T:
        """The next fetched answer; on an error that stops the run, the state first.

        The ids finished since the last STATE are then not read again next run.
        """
        try:
            return next(fetches)
        except EnrowTapError:
            self.write_state_now()
            raise

    def mark_emitted(self, context: Context, *, done: bool) -> None:
        """Record in the state that the id is finished, when it is; count it as read.

        Called only after the records were written, so the state never runs ahead of
        them. The STATE itself goes out at the writer's pace.
        """
        if done:
            self.finished.add(context["id"])
            self.state_manager.is_flushed = False
            self._write_state_message()
        self.id_read()

    def id_read(self) -> None:
        """Count one more id as read; after the last one, write the state out.

        The SDK asks for a STATE at the end of the stream too, but not every caller of
        `Stream.sync` (its own test harness, for one) finalizes the stream afterwards.
        """
        self.progress.advance()
        if self.progress.done >= self.progress.total:
            self.write_state_now()

    @override
    def stream_finished(self) -> None:
        self.progress.finish()
        self.write_state_now()


@dataclass
class _RunningBatch:
    """A batch found running, waiting to be polled once the other batches are out."""

    document: BatchDocument
    last_read: float
    deadline: float


class BatchesStream(LeanRecordStream, _IdPartitionedStream):
    """`batches`: one record per batch read, and the parent of the other two streams."""

    name = "batches"
    primary_keys = ("id",)
    schema = StreamSchema(SCHEMAS)
    id_kind = "batch"
    id_kind_plural = "batches"

    def __init__(self, tap: Tap, run: SyncRun) -> None:
        """Start with no document and no batch waited for."""
        super().__init__(tap, run)
        self._document: BatchDocument | None = None
        self._running: dict[str, _RunningBatch] = {}

    @override
    def configured_ids(self) -> list[str]:
        return self._run.settings.batch_ids

    @override
    def fetch(self, ids: list[str]) -> Iterator[Fetched[object]]:
        return self._run.fetch_batches(ids)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        if context is None:  # the SDK asks once with no context when no batch is left
            return
        batch_id = context["id"]
        if batch_id in self._running:
            document = self._poll_until_finished(batch_id, self._running.pop(batch_id))
        else:
            document = self._read(self.next_fetched(batch_id))
            if document is not None and self._wait_for(context, document):
                return
        if document is None:
            self.id_read()  # reported; read again next run
            return

        self._document = document
        yield document.batch
        # The SDK resumes this generator only after the record and both child streams'
        # records were written, so the state may now say what was emitted.
        self._document = None
        self.mark_emitted(context, done=document.is_terminal)

    def _read(self, fetched: Fetched[object]) -> BatchDocument | None:
        """The parsed document, or None once its error was reported."""
        document = self.parse_or_report(fetched, parse_batch_document)
        if document is not None and document.rejected_results:
            self._run.report(
                BatchError(
                    fetched.batch_id,
                    f"{document.rejected_results} result item(s) are not the documented "
                    "shape and were skipped; the batch stays unfinished so the next run "
                    "reads it again.",
                )
            )
        if document is not None and document.repeated_indexes:
            self.logger.warning(
                "Batch %r: %d result item(s) repeat an index an earlier item has; the "
                "target keeps one row per batch_id and index, so they overwrite each "
                "other. Report this to Enrow support.",
                fetched.batch_id,
                document.repeated_indexes,
            )
        return document

    def _wait_for(self, context: Context, document: BatchDocument) -> bool:
        """Put a running batch off until after the others, when waiting is on.

        Its partition is visited again at the end of the list, so the batches behind it
        are emitted without waiting, and the output order stays deterministic: finished
        batches in id order, then the ones waited for, in id order.
        """
        waiting = self._run.settings.waiting
        if document.status != "ongoing" or waiting is None or self._pending is None:
            return False
        now = time.monotonic()
        self._running[document.batch_id] = _RunningBatch(document, now, now + waiting.max_wait)
        self._pending.append(dict(context))
        self.logger.info(
            "Batch %r is still running; it will be polled after the other batches.",
            document.batch_id,
        )
        return True

    def _poll_until_finished(self, batch_id: str, running: _RunningBatch) -> BatchDocument | None:
        """Read the batch every poll_interval until it finishes or max_wait is up."""
        waiting = self._run.settings.waiting
        if waiting is None:  # pragma: no cover - only waited for when waiting is on
            return running.document
        document = running.document
        while document.status == "ongoing":
            next_read = max(running.last_read + waiting.poll_interval, time.monotonic())
            if next_read > running.deadline:
                self.logger.info(
                    "Batch %r is still running after max_wait (%g s); it is emitted as "
                    "ongoing and read again next run.",
                    batch_id,
                    waiting.max_wait,
                )
                break
            time.sleep(max(next_read - time.monotonic(), 0.0))
            self.progress.tick(waiting=len(self._running) + 1)
            read = self._read(self.next_or_stop(self.fetch([batch_id])))
            running.last_read = time.monotonic()
            if read is None:
                return None
            document = read
        return document

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"batch_id": record["id"], _DOCUMENT: self._document}


class SinglePhoneResultsStream(_IdPartitionedStream):
    """`single_phone_results`: one record per single search read."""

    name = "single_phone_results"
    primary_keys = ("id",)
    schema = StreamSchema(SCHEMAS)
    id_kind = "single search"
    id_kind_plural = "single searches"

    @override
    def configured_ids(self) -> list[str]:
        return self._run.settings.single_search_ids

    @override
    def fetch(self, ids: list[str]) -> Iterator[Fetched[object]]:
        return self._run.fetch_single_results(ids)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        if context is None:  # the SDK asks once with no context when no id is left
            return
        record = self.parse_or_report(self.next_fetched(context["id"]), parse_single_document)
        if record is None:
            self.id_read()  # reported; read again next run
            return
        yield from self._run.with_phone_details([record])
        qualification = record["qualification"]
        self.mark_emitted(context, done=qualification != "ongoing")


class AccountStream(_TopLevelStream):
    """`account`: the credit balance and webhooks, read once per run."""

    name = "account"
    primary_keys = ("read_at",)
    schema = StreamSchema(SCHEMAS)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        document = self._run.client.get_account_info()
        yield parse_account_document(document, read_at=datetime.now(timezone.utc))


class _BatchChildStream(LeanRecordStream, _RunStream):
    """A stream fed from the document its parent `batches` already fetched."""

    parent_stream_type = BatchesStream
    # The parent's partitions carry the per-batch state; children keep none, so no
    # context (and no payload) is ever written to the state.
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: Tap, run: SyncRun) -> None:
        """Start with no document; the parent hands one over per batch."""
        super().__init__(tap, run)
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
        return self._run.with_phone_details(self._take_document().results)
