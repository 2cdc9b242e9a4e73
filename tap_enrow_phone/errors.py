"""The tap's own errors.

Every message here is written for the person running the tap: it names the batch and
says what to do. None of them ever carries the API key, a response body or a phone
number, because they end up in logs that are shipped and kept.
"""

from __future__ import annotations

import sys
import typing as t

from singer_sdk.exceptions import ConfigValidationError

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable


class EnrowTapError(Exception):
    """Base class: an error the tap explains in one line."""


class ConfigError(EnrowTapError, ConfigValidationError):
    """The configuration cannot work; raised before any request is sent.

    Also a `ConfigValidationError`, so the SDK's own entry points (`--discover`,
    `--test`) report it like any invalid setting.
    """

    def __init__(self, message: str) -> None:
        """The message is the whole explanation, and the one error listed."""
        super().__init__(message, errors=[message])


class StateError(EnrowTapError):
    """The state handed to the tap is not a shape it wrote; refused before any request."""


class FatalApiError(EnrowTapError):
    """The run cannot go on: no other batch could succeed either (bad key, no credits)."""


class RetriesExhaustedError(FatalApiError):
    """A transient fault outlasted the retry budget; the API is likely down."""


class OutputClosedError(EnrowTapError):
    """Whoever reads the tap's stdout closed it (`| head`, a target that stopped)."""


class BatchError(EnrowTapError):
    """One batch (or single search) could not be read; the others are still synced."""

    # What the id names, as the message opens with it.
    kind = "Batch"

    def __init__(self, batch_id: str, message: str) -> None:
        """Keep the id apart so the end-of-run summary can list it."""
        super().__init__(f"{self.kind} {batch_id!r}: {message}")
        self.batch_id = batch_id

    @classmethod
    def unexpected_document(cls, batch_id: str, what: str) -> BatchError:
        """The 200 answer for the id is not a document the tap can read; `what` says why."""
        return cls(
            batch_id,
            f"the API answered with an unexpected document: {what}. The "
            f"{cls.kind.lower()} is left unread (it will be read again next run); report "
            "this to Enrow support if it persists.",
        )


class UnknownBatchError(BatchError):
    """The API does not know the id (never existed, or its results expired)."""


class MalformedBatchError(BatchError):
    """The API answered 200 with a document that is not the documented shape."""


class SingleSearchError(BatchError):
    """One single search could not be read; the others are still synced."""

    kind = "Single search"


class UnknownSingleSearchError(SingleSearchError):
    """The API kept answering 500 for the id, which is how it answers an unknown one."""


class SubmissionRefusedError(FatalApiError):
    """The API refused a `POST /phone/bulk` outright: no batch was created, nothing spent."""


class SubmissionUncertainError(FatalApiError):
    """A `POST /phone/bulk` may or may not have created a batch (timeout, reset, 5xx).

    There is no idempotency key and no endpoint listing batches, so it is never retried.
    """

    def __init__(self, what: str) -> None:
        """`what` says how the answer was lost, e.g. "no answer within 30 s"."""
        super().__init__(f"the bulk search request got no clear answer ({what})")
        self.what = what


def explained_in_one_line(logger: logging.Logger, run: Callable[[], None]) -> None:
    """Run a command; one of our errors ends it with its one line and exit code 1.

    A traceback would only bury that line, which already says what to do.
    """
    try:
        run()
    except EnrowTapError as exc:
        logger.error("%s", exc)  # noqa: TRY400
        sys.exit(1)
