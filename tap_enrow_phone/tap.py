"""tap-enrow-phone: declares the settings and the streams, and runs the sync."""

from __future__ import annotations

import sys
import typing as t
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from importlib import metadata

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.tap_base import CliTestOptionValue

from tap_enrow_phone import settings
from tap_enrow_phone.client import EnrowClient, RetryPolicy
from tap_enrow_phone.documents import parse_account_document
from tap_enrow_phone.errors import (
    ConfigError,
    EnrowTapError,
    OutputClosedError,
    UnknownBatchError,
)
from tap_enrow_phone.fetcher import fetch_in_order
from tap_enrow_phone.output import (
    EXIT_OUTPUT_CLOSED,
    BufferedSingerWriter,
    EncodedStateWriter,
    silence_closed_stdout,
)
from tap_enrow_phone.phone_details import PhoneDetails
from tap_enrow_phone.streams import (
    AccountStream,
    BatchesStream,
    BatchStatsStream,
    PhoneResultsStream,
    SinglePhoneResultsStream,
)

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Iterable, Iterator
    from types import FrameType

    import click
    from singer_sdk import Stream
    from singer_sdk.helpers.types import Record

    from tap_enrow_phone.errors import BatchError
    from tap_enrow_phone.fetcher import Fetched

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_MAX_WAIT = 60.0
DEFAULT_MAX_CONCURRENCY = 8
DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_WAIT = 600.0


# The tap's own settings; the SDK adds its built-in ones (stream maps, ...) to the
# schema it validates against.
SETTINGS = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType,
        required=True,
        secret=True,
        title="API key",
        description=("Your Enrow API key. Sent only as the x-api-key header; never logged."),
    ),
    th.Property(
        "batch_ids",
        th.ArrayType(th.StringType),
        title="Batch ids",
        description=(
            "Ids of the bulk phone searches to read, as returned by POST "
            "/phone/bulk (or the webhook, or the Enrow dashboard). Merged with "
            "batch_ids_file; trimmed and de-duplicated, first seen first."
        ),
    ),
    th.Property(
        "batch_ids_file",
        th.StringType,
        title="Batch ids file",
        description=(
            "Path to a UTF-8 text file with one batch id per line; blank lines, "
            "text after '#' and a leading byte order mark are ignored. Read a line at "
            "a time: a line over 4096 bytes, a NUL byte or over 64 MiB is refused. "
            "Merged with batch_ids."
        ),
    ),
    th.Property(
        "single_search_ids",
        th.ArrayType(th.StringType),
        title="Single search ids",
        description=(
            "Ids of single phone searches to read (GET /phone/single), as returned by "
            "POST /phone/single. Merged with single_search_ids_file; trimmed and "
            "de-duplicated, first seen first. A run needs at least one batch or single "
            "search id."
        ),
    ),
    th.Property(
        "single_search_ids_file",
        th.StringType,
        title="Single search ids file",
        description=(
            "Path to a UTF-8 text file with one single search id per line; read like "
            "batch_ids_file. Merged with single_search_ids."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=settings.DEFAULT_API_URL,
        title="API URL",
        description=(
            "Base URL of the Enrow API. Must be https, except plain http to "
            "localhost (for the fake API in tests and demos)."
        ),
    ),
    th.Property(
        "request_timeout",
        th.NumberType(**settings.NUMBER_RANGES["request_timeout"].schema),
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout (seconds)",
        description=(
            "Seconds one request may take as a whole (connecting, then reading the "
            "complete answer) before it counts as a transient fault and is retried. "
            "Above 0, at most 600: a longer wait is a dead connection."
        ),
    ),
    th.Property(
        "max_retries",
        th.IntegerType(**settings.NUMBER_RANGES["max_retries"].schema),
        default=DEFAULT_MAX_RETRIES,
        title="Maximum retries",
        description=(
            "How many times one request is retried after a transient fault (HTTP "
            "429, 5xx, timeout, connection reset, truncated answer) before the run "
            "stops. 0 disables retries; at most 20 (with backoff that already spans "
            "hours)."
        ),
    ),
    th.Property(
        "retry_max_wait",
        th.NumberType(**settings.NUMBER_RANGES["retry_max_wait"].schema),
        default=DEFAULT_RETRY_MAX_WAIT,
        title="Longest wait between retries (seconds)",
        description=(
            "Cap on the wait before a retry, both for the exponential backoff "
            "(1 s, 2 s, 4 s, ... with jitter) and for a Retry-After header sent by "
            "the API. Above 0, at most 3600."
        ),
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType(**settings.NUMBER_RANGES["max_concurrency"].schema),
        default=DEFAULT_MAX_CONCURRENCY,
        title="Batches fetched at once",
        description=(
            "How many batch requests may be in flight at the same time. Output "
            "order stays the order of the batch ids. 1 reads batches one by one; at "
            "most 64 (each costs a thread and a connection, and more only loads Enrow)."
        ),
    ),
    th.Property(
        "ignore_unknown_batches",
        th.BooleanType,
        default=False,
        title="Ignore unknown batch ids",
        description=(
            "Ids Enrow does not know (mistyped, or results expired) never stop the "
            "other batches. By default the run then ends with an error listing "
            "them; set this to true to log a warning and exit 0 instead."
        ),
    ),
    th.Property(
        "wait_for_running_batches",
        th.BooleanType,
        default=False,
        title="Wait for running batches",
        description=(
            "When true, batches found ongoing are polled every poll_interval seconds, "
            "after the other batches were emitted, until they are completed or failed "
            "or max_wait is up; a batch still running then is emitted as ongoing and "
            "read again next run. When false, a running batch is read again next run."
        ),
    ),
    th.Property(
        "poll_interval",
        th.NumberType(**settings.NUMBER_RANGES["poll_interval"].schema),
        default=DEFAULT_POLL_INTERVAL,
        title="Poll interval (seconds)",
        description=(
            "With wait_for_running_batches, seconds between two reads of a running "
            "batch. Above 0, at most 3600."
        ),
    ),
    th.Property(
        "max_wait",
        th.NumberType(**settings.NUMBER_RANGES["max_wait"].schema),
        default=DEFAULT_MAX_WAIT,
        title="Longest wait for a running batch (seconds)",
        description=(
            "With wait_for_running_batches, how long a batch is waited for, counted "
            "from its first read in the run. Above 0, at most 86400 (a day)."
        ),
    ),
    th.Property(
        "phone_details",
        th.BooleanType,
        default=False,
        title="Phone details",
        description=(
            "When true, found numbers in phone_results and single_phone_results get "
            "number_type (mobile, fixed_line, fixed_line_or_mobile, voip, ...), "
            "number_valid and number_national, from the phonenumbers package: install "
            "the tap as tap-enrow-phone[phone-details]."
        ),
    ),
)


@dataclass(frozen=True)
class Waiting:
    """How running batches are waited for, when `wait_for_running_batches` is on."""

    poll_interval: float
    max_wait: float


class TapEnrowPhone(Tap):
    """Reads the results of Enrow bulk phone searches by batch id."""

    name = "tap-enrow-phone"

    config_jsonschema = SETTINGS.to_dict()
    message_writer_class = BufferedSingerWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401 - the SDK's
        """Set up the run's error report before the SDK validates config."""
        self._batch_ids: list[str] | None = None
        self._single_search_ids: list[str] | None = None
        self._phone_details: PhoneDetails | None = None
        self._batch_errors: list[BatchError] = []
        super().__init__(*args, **kwargs)
        if isinstance(self.message_writer, BufferedSingerWriter):
            self._state_writer = EncodedStateWriter(self.message_writer)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # Checked before the SDK's JSON-schema pass, whose messages quote values: a
        # key of the wrong type would otherwise be printed.
        try:
            self._check_config()
        except ConfigError as exc:
            if raise_errors:
                raise
            return [str(exc)]
        return super()._validate_config(raise_errors=raise_errors)

    def _check_config(self) -> None:
        config = self.config
        settings.check_api_key(config.get("api_key"))
        settings.check_api_url(str(config.get("api_url") or settings.DEFAULT_API_URL))
        settings.check_numbers(config)
        self._batch_ids = settings.resolve_ids(config, settings.BATCH_IDS)
        self._single_search_ids = settings.resolve_ids(config, settings.SINGLE_SEARCH_IDS)
        settings.check_some_ids(self._batch_ids, self._single_search_ids)
        self._phone_details = PhoneDetails() if config.get("phone_details") else None

    @property
    def batch_ids(self) -> list[str]:
        """The configured batch ids, merged, trimmed and de-duplicated."""
        if self._batch_ids is None:
            self._batch_ids = settings.resolve_ids(self.config, settings.BATCH_IDS)
        return self._batch_ids

    @property
    def single_search_ids(self) -> list[str]:
        """The configured single search ids, merged, trimmed and de-duplicated."""
        if self._single_search_ids is None:
            self._single_search_ids = settings.resolve_ids(self.config, settings.SINGLE_SEARCH_IDS)
        return self._single_search_ids

    @property
    def waiting(self) -> Waiting | None:
        """How running batches are waited for, or None when they are not."""
        if not self.config.get("wait_for_running_batches", False):
            return None
        return Waiting(
            poll_interval=float(self.config.get("poll_interval", DEFAULT_POLL_INTERVAL)),
            max_wait=float(self.config.get("max_wait", DEFAULT_MAX_WAIT)),
        )

    def with_phone_details(self, records: Iterable[Record]) -> Iterable[Record]:
        """The records, with phone details added when the phone_details setting is on."""
        if not self.config.get("phone_details"):
            return records
        if self._phone_details is None:
            self._phone_details = PhoneDetails()
        return self._phone_details.add_to(records)

    @cached_property
    def client(self) -> EnrowClient:
        """The HTTP client shared by every stream of this run."""
        config = self.config
        try:
            version = metadata.version("tap-enrow-phone")
        except metadata.PackageNotFoundError:  # pragma: no cover - source tree only
            version = "dev"
        return EnrowClient(
            api_key=settings.check_api_key(config.get("api_key")),
            api_url=settings.check_api_url(str(config.get("api_url") or settings.DEFAULT_API_URL)),
            timeout=float(config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT)),
            retry_policy=RetryPolicy(
                max_retries=int(config.get("max_retries", DEFAULT_MAX_RETRIES)),
                max_wait=float(config.get("retry_max_wait", DEFAULT_RETRY_MAX_WAIT)),
            ),
            user_agent=f"tap-enrow-phone/{version}",
            pool_size=self.max_concurrency,
        )

    @property
    def max_concurrency(self) -> int:
        """Batch requests allowed in flight at once."""
        return int(self.config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY))

    def fetch_batches(self, batch_ids: list[str]) -> Iterator[Fetched[object]]:
        """Fetch the given batches in order, `max_concurrency` at a time."""
        return fetch_in_order(batch_ids, self.client.get_bulk_results, self.max_concurrency)

    def fetch_single_results(self, search_ids: list[str]) -> Iterator[Fetched[object]]:
        """Fetch the given single searches in order, `max_concurrency` at a time."""
        return fetch_in_order(search_ids, self.client.get_single_result, self.max_concurrency)

    def report_batch_error(self, error: BatchError) -> None:
        """Note a batch or single search that could not be read; the others go on."""
        ignored = isinstance(error, UnknownBatchError) and self.config.get(
            "ignore_unknown_batches", False
        )
        log = self.logger.warning if ignored else self.logger.error
        log("%s", error)
        if not ignored:
            self._batch_errors.append(error)

    @override
    def discover_streams(self) -> list[Stream]:
        # The SDK syncs streams in name order: `account` first, so when it is selected a
        # bad key is reported by that one free request, before any batch is read; then
        # `batches` (with its children), then `single_phone_results`.
        streams: list[Stream] = [
            AccountStream(self),
            BatchesStream(self),
            BatchStatsStream(self),
            PhoneResultsStream(self),
            SinglePhoneResultsStream(self),
        ]
        for stream in streams:
            stream.logger.addFilter(_drop_generic_line_for_explained_errors)
        return streams

    def stream_synced(self, stream: Stream) -> None:
        """Note that a top-level stream is done; after the last one, end the run."""
        # `sync_all` syncs the selected top-level streams in this order.
        synced = [
            s
            for s in self.streams.values()
            if not s.parent_stream_type and (s.selected or s.has_selected_descendents)
        ]
        if synced and stream is synced[-1]:
            self.finish_run()

    def finish_run(self) -> None:
        """Close the client; fail the run if any batch or single search could not be read.

        Called once every stream was synced, so one unreadable id never costs the
        others their records or their state.
        """
        if "client" in self.__dict__:
            self.client.close()
        if self._batch_errors:
            counts = Counter(error.kind for error in self._batch_errors)
            what = " and ".join(f"{count} {kind.lower()}(es)" for kind, count in counts.items())
            failed = ", ".join(repr(error.batch_id) for error in self._batch_errors)
            msg = (
                f"{what} could not be read: {failed}. Everything else was synced; see "
                "the lines above for what to do about each."
            )
            raise EnrowTapError(msg)

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        # The SDK's handler writes a STATE; landing mid-line or mid-flush it would
        # break a line or overtake the records before it.
        handle = super()._handle_termination
        writer = self.message_writer
        if isinstance(writer, BufferedSingerWriter):
            writer.run_when_idle(lambda: handle(signum, frame))
        else:
            handle(signum, frame)

    def check_connection(self) -> None:
        """Read the free GET /account/info: proves the URL and the key, reads no batch."""
        try:
            account = parse_account_document(
                self.client.get_account_info(fail_fast=True), datetime.now(timezone.utc)
            )
        finally:
            self.client.close()
        self.logger.info(
            "Connection test passed: the API key was accepted; %s credits left.",
            account["credits"],
        )

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        # The SDK's test syncs one record of every stream, which here means reading
        # batches; a connection check needs only the free account read. Its errors are
        # explained in one line, not in the traceback a CLI callback would print.
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config_input = ctx.params.get("config")
        try:
            tap = cls(
                config=getattr(config_input, "config", None),
                parse_env_config=getattr(config_input, "parse_env", False),
                validate_config=True,
            )
            tap.check_connection()
        except ConfigValidationError as exc:
            for error in exc.errors:
                cls.logger.error("%s", error)  # noqa: TRY400
            ctx.exit(1)
        except EnrowTapError as exc:
            cls.logger.error("Connection test failed: %s", exc)  # noqa: TRY400
            ctx.exit(1)
        ctx.exit()

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        # The tap's own errors are explained in one line; a traceback would only
        # bury that line.
        try:
            super().invoke(*args, **kwargs)
        except OutputClosedError:
            # As Unix tools do when their reader goes (`| head`): stop at once, quietly.
            silence_closed_stdout()
            cls.logger.warning("The reader of the tap's output closed it; the run stopped.")
            sys.exit(EXIT_OUTPUT_CLOSED)
        except EnrowTapError as exc:
            cls.logger.error("%s", exc)  # noqa: TRY400
            sys.exit(1)


def _drop_generic_line_for_explained_errors(record: logging.LogRecord) -> bool:
    """Keep a stream's "An unhandled error occurred" line only for unexpected errors.

    The SDK logs that line while an error unwinds a stream's sync; when the error is one
    of the tap's own, `invoke` explains it in one line, and the generic line would only
    blur which line to read. The filter runs inside the SDK's `except` block, so the
    error being handled is the current exception.
    """
    explained = isinstance(sys.exc_info()[1], EnrowTapError)
    return not (explained and record.msg.startswith("An unhandled error occurred"))


if __name__ == "__main__":
    TapEnrowPhone.cli()
