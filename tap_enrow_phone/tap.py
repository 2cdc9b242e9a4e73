"""tap-enrow-phone: wires the settings, the streams and the run together, and runs the sync."""

from __future__ import annotations

import io
import sys
import typing as t
from datetime import datetime, timezone
from functools import cached_property

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.tap_base import CliTestOptionValue

from tap_enrow_phone.documents import parse_account_document
from tap_enrow_phone.errors import (
    ConfigError,
    EnrowTapError,
    OutputClosedError,
    explained_in_one_line,
)
from tap_enrow_phone.output import (
    EXIT_OUTPUT_CLOSED,
    BufferedSingerWriter,
    PacedStateWriter,
    silence_closed_stdout,
)
from tap_enrow_phone.run import SyncRun
from tap_enrow_phone.settings import SETTINGS
from tap_enrow_phone.state import check_state_text, upgrade_state
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
    from collections.abc import Callable
    from types import FrameType

    import click
    from singer_sdk import Stream


class TapEnrowPhone(Tap):
    """Reads the results of Enrow bulk phone searches by batch id."""

    name = "tap-enrow-phone"

    config_jsonschema = SETTINGS.to_dict()
    message_writer_class = BufferedSingerWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401 - the SDK's
        """Tell the run its streams; write STATE through the buffered writer."""
        super().__init__(*args, **kwargs)
        self.run.sync_streams(self.streams.values())
        if isinstance(self.message_writer, BufferedSingerWriter):
            self._state_writer = PacedStateWriter(
                self.message_writer, lambda: self.run.settings.state_interval
            )

    @cached_property
    def run(self) -> SyncRun:
        """What the streams of this run share: checked settings, client, report."""
        # The SDK has merged the config files and the environment by the time it
        # validates config, which is the first use.
        return SyncRun(self.config, self.logger)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # Checked before the SDK's JSON-schema pass, whose messages quote values: a
        # key of the wrong type would otherwise be printed.
        try:
            _ = self.run.settings, self.run.phone_details
        except ConfigError as exc:
            if raise_errors:
                raise
            return [str(exc)]
        return super()._validate_config(raise_errors=raise_errors)

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        # Checked and upgraded before the SDK reads it: a state of another shape is
        # refused in one line, before any request, instead of failing inside the SDK.
        super().load_state(upgrade_state(state))

    @override
    def discover_streams(self) -> list[Stream]:
        # The SDK syncs streams in name order: `account` first, so when it is selected a
        # bad key is reported by that one free request, before any batch is read; then
        # `batches` (with its children), then `single_phone_results`.
        streams: list[Stream] = [
            AccountStream(self, self.run),
            BatchesStream(self, self.run),
            BatchStatsStream(self, self.run),
            PhoneResultsStream(self, self.run),
            SinglePhoneResultsStream(self, self.run),
        ]
        for stream in streams:
            stream.logger.addFilter(_drop_generic_line_for_explained_errors)
        return streams

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        # The SDK's handler writes a STATE; landing mid-line or mid-flush it would
        # break a line or overtake the records before it.
        handle = super()._handle_termination
        writer = self.message_writer
        if isinstance(writer, BufferedSingerWriter):
            writer.run_when_idle(lambda: self._write_state_and(handle, signum, frame))
        else:
            handle(signum, frame)

    def _write_state_and(
        self, handle: Callable[[int, FrameType | None], None], signum: int, frame: FrameType | None
    ) -> None:
        # The last STATE may be an interval old; what finished since is worth keeping.
        if isinstance(self._state_writer, PacedStateWriter):
            self._state_writer.write_state(self.state)
            self._state_writer.flush()
        handle(signum, frame)

    def check_connection(self) -> None:
        """Read the free GET /account/info: proves the URL and the key, reads no batch."""
        try:
            account = parse_account_document(
                self.run.client.get_account_info(fail_fast=True), datetime.now(timezone.utc)
            )
        finally:
            self.run.close()
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
        def run() -> None:
            # The --state file is checked before the SDK reads it: its own error would
            # be a traceback.
            kwargs["state"] = _checked_state_file(kwargs.get("state"))
            try:
                super(TapEnrowPhone, cls).invoke(*args, **kwargs)
            except OutputClosedError:
                # As Unix tools do when their reader goes (`| head`): stop at once, quietly.
                silence_closed_stdout()
                cls.logger.warning("The reader of the tap's output closed it; the run stopped.")
                sys.exit(EXIT_OUTPUT_CLOSED)

        explained_in_one_line(cls.logger, run)


def _checked_state_file(state: t.IO[str] | None) -> t.IO[str] | None:
    """The --state file, refused in one line unless it holds JSON.

    The SDK's own error would be a traceback; the shape is checked in `load_state`.
    """
    if state is None:
        return None
    text = state.read()
    check_state_text(text)
    return io.StringIO(text)


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
