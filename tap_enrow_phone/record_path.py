"""The lean record path: skip the SDK's per-record steps when they cannot change a record.

For every record the SDK drops deselected fields, conforms values to the schema, runs
the stream maps and builds a `RecordMessage`. The records of this tap are built by
`documents.py` to the exact shape and JSON types of the schemas, so with every field
selected, no stream map and no flattening, all of that returns the record unchanged,
and the record goes straight to the buffered writer. In any other case (a map, an
alias, flattening, a deselected field, another writer) the SDK path runs as usual.

Per batch, the SDK also repeats each child stream's SCHEMA message; it is sent once.
"""

from __future__ import annotations

import datetime as dt
import sys
import typing as t
from functools import cached_property

from singer_sdk import Stream
from singer_sdk.mapper import SameRecordTransform

from tap_enrow_phone.output import BufferedSingerWriter

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context, Record


class LeanRecordStream(Stream):
    """A stream whose records skip the SDK's no-op per-record steps when provably no-op."""

    _schema_written = False

    @override
    def _write_schema_message(self) -> None:
        # The SDK repeats the SCHEMA each time a child stream syncs, once per batch; the
        # schema cannot change during a run, and each repeat costs the target a check.
        if not self._schema_written:
            super()._write_schema_message()
            self._schema_written = True

    @override
    def _write_record_message(self, record: Record) -> None:
        if self._lean_writer is None:
            super()._write_record_message(record)
            return
        self._lean_writer.write_record(
            self.name, record, self._stream_version, dt.datetime.now(dt.timezone.utc)
        )
        self.state_manager.is_flushed = False

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        # Without child streams the context would be copied per record for nothing.
        if not self.child_streams:
            return ()
        return super().generate_child_contexts(record, context)

    @property
    def takes_lean_path(self) -> bool:
        """Whether records skip the SDK's per-record steps (decided at the first one)."""
        return self._lean_writer is not None

    @cached_property
    def _lean_writer(self) -> BufferedSingerWriter | None:
        """The writer for the lean path, or None when an SDK step could change records.

        Decided once: the catalog and the stream maps are fixed before the first record.
        """
        writer = self._tap.message_writer
        maps = self.stream_maps
        identity_map = (
            len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == self.name
            and not maps[0].flattening_enabled
        )
        every_field_selected = all(self.mask.values())
        if isinstance(writer, BufferedSingerWriter) and identity_map and every_field_selected:
            return writer
        return None
