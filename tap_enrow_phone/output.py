"""Write Singer messages to stdout with msgspec, buffered, and flushed at each STATE.

The SDK's writers flush stdout after every message: one system call per record. Here
RECORD lines collect in memory and go out with the next other message, a STATE above
all (written after the records it covers, in the same stream, so a STATE can never
overtake them), when the buffer passes `FLUSH_THRESHOLD` (records may always go early),
and at exit.

A termination signal may land between any two bytecodes of the main thread, including
half-way through a line or a flush. The SDK's handler then writes a STATE and exits, so
`run_when_idle` holds it back until the message in progress is fully written.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import sys
import time
import typing as t
import weakref

import msgspec
from singer_sdk.contrib.msgspec import enc_hook
from singer_sdk.helpers._state import StateWriter
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.encoding.simple import (
    Message,
    RecordMessage,
    SchemaMessage,
    StateMessage,
)

from tap_enrow_phone.errors import OutputClosedError

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from singer_sdk.helpers.types import TapState

# Large enough that writes are few and big, small enough to stay out of the memory
# budget: records beyond it go out before their STATE, which is always allowed.
FLUSH_THRESHOLD = 256 * 1024
# The STATE bytes a run may write beyond twice its final state (see `PacedStateWriter`).
STATE_BYTES_ALLOWANCE = 1_000_000

# What a shell reports for a command killed by SIGPIPE (128 + 13), as `yes | head` does.
EXIT_OUTPUT_CLOSED = 141

_LIVE_WRITERS: weakref.WeakSet[BufferedSingerWriter] = weakref.WeakSet()


class BufferedSingerWriter(GenericSingerWriter[bytes, Message]):
    """Singer lines encoded by msgspec, held until a STATE, a full buffer, or exit."""

    def __init__(self, flush_threshold: int = FLUSH_THRESHOLD) -> None:
        """Start with an empty buffer; it is also flushed when the process exits."""
        self._encoder = msgspec.json.Encoder(enc_hook=enc_hook, decimal_format="number")
        self._flush_threshold = flush_threshold
        self._buffer = bytearray()
        self._busy = False
        self._when_idle: list[Callable[[], None]] = []
        _LIVE_WRITERS.add(self)

    @override
    def serialize_message(self, message: Message) -> bytes:
        return self._encoder.encode(_as_dict(message)) + b"\n"

    @override
    def write_message(self, message: Message) -> None:
        # Only records wait: every other message (STATE above all) goes out at once.
        self._write(_as_dict(message), flush=not isinstance(message, RecordMessage))

    def write_state(self, encoded_value: bytes) -> None:
        """Write a STATE message whose value is already encoded, and flush."""
        self._write_encoded(b'{"type":"STATE","value":' + encoded_value + b"}\n")

    def encode(self, value: object) -> bytes:
        """`value` as this writer encodes it."""
        return self._encoder.encode(value)

    def write_record(
        self,
        stream: str,
        record: dict[str, t.Any],
        version: int | None,
        time_extracted: dt.datetime,
    ) -> None:
        """Write one RECORD message, the same line as `RecordMessage` would give."""
        message: dict[str, t.Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        self._write(message, flush=False)

    def flush(self) -> None:
        """Send every buffered line to stdout now."""
        self._write_encoded(b"")

    def run_when_idle(self, action: Callable[[], None]) -> None:
        """Run `action` now, or right after the message being written, if any."""
        if self._busy:
            self._when_idle.append(action)
        else:
            action()

    def _write(self, message: dict[str, t.Any], *, flush: bool) -> None:
        self._busy = True  # a signal handler now waits: the buffer may hold half a line
        try:
            self._encoder.encode_into(message, self._buffer, -1)
            self._buffer += b"\n"
            if flush or len(self._buffer) >= self._flush_threshold:
                self._send()
        finally:
            self._leave()

    def _write_encoded(self, lines: bytes) -> None:
        """Append whole encoded lines, then send the buffer."""
        self._busy = True
        try:
            self._buffer += lines
            self._send()
        finally:
            self._leave()

    def _send(self) -> None:
        if not self._buffer:
            return
        stdout = sys.stdout
        binary = getattr(stdout, "buffer", None)
        try:
            if binary is not None:
                stdout.flush()  # text someone printed must not come after our lines
                binary.write(self._buffer)
                binary.flush()
            else:  # a text stream, e.g. tests capturing stdout
                stdout.write(self._buffer.decode())
                stdout.flush()
        except BrokenPipeError:
            # Nothing written from now on can reach anyone: stop the run, quietly.
            self._buffer.clear()
            raise OutputClosedError from None
        self._buffer.clear()

    def _leave(self) -> None:
        self._busy = False
        if self._when_idle:
            actions, self._when_idle = self._when_idle, []
            for action in actions:
                action()


class PacedStateWriter(StateWriter):
    """The SDK's state writer, writing a STATE at most every `interval` seconds.

    The state holds every finished id, so each STATE message is as large as the state.
    The SDK asks for one after every batch, which would make a run's output quadratic in
    its batches; here a request only notes the state, and a STATE goes out when
    `interval` has passed since the last one and the bytes of STATE written so far stay
    within the budget below, or when `flush` is called (at the end of each stream, and
    on the way out). A run killed in between reads again only the ids finished since its
    last STATE, which is free, and their rows are upserted by key.

    Budget: a STATE of size s goes out only if every STATE before it, plus it, come to
    at most 2 * s + `allowance` bytes. So the STATE of a whole run (with one forced STATE
    at the end of each of two id streams) stays within 4 x the final STATE plus the
    allowance, however long the run, while small states still go out at every interval.

    Repeats are compared by their encoded line, never by a deep copy of the state.
    """

    def __init__(
        self,
        message_writer: BufferedSingerWriter,
        interval: Callable[[], float],
        *,
        allowance: int = STATE_BYTES_ALLOWANCE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Write through `message_writer`; `interval` is read when first needed."""
        super().__init__(message_writer)
        self._buffered = message_writer
        self._interval = interval
        self._allowance = allowance
        self._clock = clock
        self._pending: TapState | None = None
        self._last_encoded: bytes | None = None
        # The state handed in needs no STATE of its own: the first one is due an
        # interval after the start (or at the first flush).
        self._last_written = clock()
        self.bytes_written = 0

    @override
    def write_state(self, state: TapState) -> None:
        self._pending = state
        if self._due():
            encoded = self._buffered.encode(state)
            # Asked again no sooner than an interval from now, whether written or not.
            self._last_written = self._clock()
            if self.bytes_written + len(encoded) <= 2 * len(encoded) + self._allowance:
                self._write(encoded)
                return
        # The records the SDK wants covered still go out now, as with every STATE.
        self._buffered.flush()

    def _due(self) -> bool:
        return self._clock() - self._last_written >= self._interval()

    def flush(self) -> None:
        """Write the latest state now, unless it is the one written last."""
        if self._pending is not None:
            self._write(self._buffered.encode(self._pending))
            self._last_written = self._clock()

    def _write(self, encoded: bytes) -> None:
        self._pending = None
        if encoded != self._last_encoded:
            self._buffered.write_state(encoded)
            self._last_encoded = encoded
            self.bytes_written += len(encoded)


def _as_dict(message: Message) -> dict[str, t.Any]:
    if isinstance(message, (StateMessage, SchemaMessage)):
        # `Message.to_dict` deep-copies through `dataclasses.asdict`; encoded at once,
        # a shallow view gives the same line.
        return {
            f.name: value
            for f in dataclasses.fields(message)
            if (value := getattr(message, f.name)) is not None
        }
    return message.to_dict()


@atexit.register
def _flush_at_exit() -> None:
    # Records after the last STATE are worth sending even when the run stops early:
    # no STATE covers them, so the next run reads their batch again anyway.
    for writer in list(_LIVE_WRITERS):
        # A reader that went away (closed pipe) cannot be helped any more.
        with contextlib.suppress(OSError, ValueError, OutputClosedError):
            writer.flush()


def silence_closed_stdout() -> None:
    """Point stdout at /dev/null once its reader is gone.

    Python flushes stdout at exit; into a closed pipe that prints a second error.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
