"""tap-enrow-phone: declares the settings and the streams, and runs the sync."""

from __future__ import annotations

import sys
import typing as t
from functools import cached_property
from importlib import metadata

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_enrow_phone import settings
from tap_enrow_phone.client import EnrowClient, RetryPolicy
from tap_enrow_phone.errors import ConfigError, EnrowTapError, UnknownBatchError
from tap_enrow_phone.fetcher import fetch_in_order
from tap_enrow_phone.output import BufferedSingerWriter, EncodedStateWriter
from tap_enrow_phone.streams import BatchesStream, BatchStatsStream, PhoneResultsStream

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

    from singer_sdk import Stream

    from tap_enrow_phone.errors import BatchError
    from tap_enrow_phone.fetcher import Fetched

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_MAX_WAIT = 60.0
DEFAULT_MAX_CONCURRENCY = 8


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
            "Path to a UTF-8 text file with one batch id per line; blank lines and "
            "text after '#' are ignored. Merged with batch_ids."
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
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout (seconds)",
        description=(
            "Seconds to wait for an answer to one request before it counts as a "
            "transient fault and is retried. Must be above zero."
        ),
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=DEFAULT_MAX_RETRIES,
        title="Maximum retries",
        description=(
            "How many times one request is retried after a transient fault (HTTP "
            "429, 5xx, timeout, connection reset, truncated answer) before the run "
            "stops. 0 disables retries."
        ),
    ),
    th.Property(
        "retry_max_wait",
        th.NumberType,
        default=DEFAULT_RETRY_MAX_WAIT,
        title="Longest wait between retries (seconds)",
        description=(
            "Cap on the wait before a retry, both for the exponential backoff "
            "(1 s, 2 s, 4 s, ... with jitter) and for a Retry-After header sent by "
            "the API."
        ),
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType,
        default=DEFAULT_MAX_CONCURRENCY,
        title="Batches fetched at once",
        description=(
            "How many batch requests may be in flight at the same time. Output "
            "order stays the order of the batch ids. 1 reads batches one by one."
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
)


class TapEnrowPhone(Tap):
    """Reads the results of Enrow bulk phone searches by batch id."""

    name = "tap-enrow-phone"

    config_jsonschema = SETTINGS.to_dict()
    message_writer_class = BufferedSingerWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401 - the SDK's
        """Set up the run's error report before the SDK validates config."""
        self._batch_ids: list[str] = []
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
                raise ConfigValidationError(str(exc), errors=[str(exc)]) from None
            return [str(exc)]
        return super()._validate_config(raise_errors=raise_errors)

    def _check_config(self) -> None:
        config = self.config
        settings.check_api_key(config.get("api_key"))
        settings.check_api_url(str(config.get("api_url") or settings.DEFAULT_API_URL))
        settings.check_number(config, "request_timeout", whole=False)
        settings.check_number(config, "max_concurrency", whole=True)
        settings.check_number(config, "retry_max_wait", whole=False)
        settings.check_number(config, "max_retries", whole=True, allow_zero=True)
        self._batch_ids = settings.resolve_batch_ids(config)

    @property
    def batch_ids(self) -> list[str]:
        """The configured ids, merged, trimmed and de-duplicated."""
        if not self._batch_ids:
            self._batch_ids = settings.resolve_batch_ids(self.config)
        return self._batch_ids

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

    def report_batch_error(self, error: BatchError) -> None:
        """Note a batch that could not be read; the run goes on with the others."""
        ignored = isinstance(error, UnknownBatchError) and self.config.get(
            "ignore_unknown_batches", False
        )
        log = self.logger.warning if ignored else self.logger.error
        log("%s", error)
        if not ignored:
            self._batch_errors.append(error)

    @override
    def discover_streams(self) -> list[Stream]:
        return [BatchesStream(self), BatchStatsStream(self), PhoneResultsStream(self)]

    def finish_run(self) -> None:
        """Close the client; fail the run if any batch could not be read.

        Called once every batch was synced, so one unreadable batch never costs the
        others their records or their state.
        """
        if "client" in self.__dict__:
            self.client.close()
        if self._batch_errors:
            failed = ", ".join(repr(error.batch_id) for error in self._batch_errors)
            msg = (
                f"{len(self._batch_errors)} batch(es) could not be read: {failed}. "
                "Every other batch was synced; see the lines above for what to do "
                "about each."
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

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        # The tap's own errors are explained in one line; a traceback would only
        # bury that line.
        try:
            super().invoke(*args, **kwargs)
        except EnrowTapError as exc:
            cls.logger.error("%s", exc)  # noqa: TRY400
            sys.exit(1)


if __name__ == "__main__":
    TapEnrowPhone.cli()
