"""Speak HTTP to the Enrow API: authentication, timeouts, retries and error mapping.

This module is the only one that sees raw responses. It returns decoded JSON documents
and raises the tap's own errors, whose messages never hold the API key, a response body
or a phone number.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
import time
import typing as t
from dataclasses import dataclass
from http import HTTPStatus

import msgspec
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

from tap_enrow_phone.errors import (
    BatchError,
    EnrowTapError,
    FatalApiError,
    MalformedBatchError,
    RetriesExhaustedError,
    SingleSearchError,
    SubmissionRefusedError,
    SubmissionUncertainError,
    UnknownBatchError,
    UnknownSingleSearchError,
)
from tap_enrow_phone.transport import OriginBoundSession, RedirectRefusedError

if t.TYPE_CHECKING:
    from collections.abc import Callable

LOGGER = logging.getLogger("tap-enrow-phone")

BULK_RESULTS_PATH = "/phone/bulk"
SINGLE_RESULT_PATH = "/phone/single"
ACCOUNT_INFO_PATH = "/account/info"
# Messages the API uses for an id it cannot serve (400 today, 404 in older docs).
UNKNOWN_BATCH_MESSAGES = ("could not retrieve bulk search results", "not found")
RETRIED_STATUSES = frozenset(
    {HTTPStatus.TOO_MANY_REQUESTS, 500, 502, 503, 504, 520, 521, 522, 523, 524}
)
FATAL_STATUSES = frozenset({401, 402, 403, 422})
_TOO_DEEP = "it nests deeper than any answer of the API does"


@dataclass(frozen=True)
class RetryPolicy:
    """How transient faults are retried: capped exponential backoff with full jitter."""

    max_retries: int = 5
    backoff_base: float = 1.0
    max_wait: float = 60.0

    def wait_before_retry(self, retry_number: int, retry_after: float | None) -> float:
        """Seconds to sleep before retry `retry_number` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait)
        ceiling = min(self.backoff_base * 2 ** (retry_number - 1), self.max_wait)
        # Full jitter keeps a fleet of taps from retrying in lock step.
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311


class _TransientError(Exception):
    """A fault worth retrying; carries what the log line and the final error show."""

    def __init__(
        self,
        what: str,
        retry_after: float | None = None,
        status: int | None = None,
        *,
        unreachable: bool = False,
    ) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after
        self.status = status
        # No server listens at api_url's host, or the name does not resolve.
        self.unreachable = unreachable


class _UnreadableAnswerError(Exception):
    """A 200 whose JSON nests deeper than any decoder (or record) can follow."""


class EnrowClient:
    """A thread-safe client for the endpoints the tap reads."""

    def __init__(  # noqa: PLR0913
        self,
        *,
        api_key: str,
        api_url: str,
        timeout: float,
        retry_policy: RetryPolicy,
        user_agent: str,
        pool_size: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Prepare a pooled session; nothing is sent yet."""
        self._api_url = api_url.rstrip("/")
        self._timeout = timeout
        self._retry = retry_policy
        self._sleep = sleep
        # The session keeps the key at api_url's origin and bounds each whole answer.
        self._session = OriginBoundSession(self._api_url, timeout=timeout, pool_size=pool_size)
        self._session.headers.update(
            {"x-api-key": api_key, "Accept": "application/json", "User-Agent": user_agent}
        )
        # Once the key is rejected, requests still queued must not be sent.
        self._fatal: FatalApiError | None = None
        self._lock = threading.Lock()
        self.requests_sent = 0

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def get_bulk_results(self, batch_id: str) -> object:
        """The decoded `GET /phone/bulk?id=` document for one batch."""

        def refused(status: int, lowered_message: str) -> BatchError:
            if status in {400, 404} and any(m in lowered_message for m in UNKNOWN_BATCH_MESSAGES):
                return UnknownBatchError(
                    batch_id,
                    "Enrow does not know this id or its results have expired "
                    f"(HTTP {status}). Check the id, or remove it from batch_ids.",
                )
            return BatchError(
                batch_id,
                f"the API refused the request (HTTP {status}). Check that the id is "
                "a bulk phone search id as returned by POST /phone/bulk.",
            )

        try:
            return self._get_json(
                BULK_RESULTS_PATH, {"id": batch_id}, label=f"Batch {batch_id!r}", refused=refused
            )
        except _UnreadableAnswerError:
            raise MalformedBatchError.unexpected_document(batch_id, _TOO_DEEP) from None

    def get_single_result(self, search_id: str) -> object:
        """The decoded `GET /phone/single?id=` document (200 result or 202 ongoing).

        Enrow answers an unknown id with a 500, which looks like a server fault. It is
        retried like one; a 500 that outlasts the retries is then reported for this id
        alone (`UnknownSingleSearchError`), so the other searches are still read, whereas
        any other fault that outlasts them (429, 502-504, timeouts) still stops the run.
        """

        def refused(status: int, _lowered_message: str) -> BatchError:
            return SingleSearchError(
                search_id,
                f"the API refused the request (HTTP {status}). Check that the id is "
                "a single phone search id as returned by POST /phone/single.",
            )

        try:
            return self._get_json(
                SINGLE_RESULT_PATH,
                {"id": search_id},
                label=f"Single search {search_id!r}",
                refused=refused,
            )
        except _UnreadableAnswerError:
            raise SingleSearchError.unexpected_document(search_id, _TOO_DEEP) from None
        except _PersistentServerError as exc:
            raise UnknownSingleSearchError(
                search_id,
                f"the API answered HTTP 500 to {'all ' * (exc.attempts > 1)}"
                f"{_attempts(exc.attempts)}, which is "
                "how Enrow answers an unknown id. Check the id (as returned by POST "
                "/phone/single), or remove it from single_search_ids.",
            ) from None

    def get_account_info(self, *, fail_fast: bool = False) -> object:
        """The decoded `GET /account/info` document (free: it costs no credits).

        With `fail_fast` (a connection test), an api_url nobody answers at is reported
        at once instead of being retried like a passing fault.
        """

        def refused(status: int, _lowered_message: str) -> FatalApiError:
            return FatalApiError(
                f"Account info: the API refused the request (HTTP {status}). Check "
                "the api_url setting."
            )

        try:
            return self._get_json(
                ACCOUNT_INFO_PATH,
                {},
                label="Account info",
                refused=refused,
                retry_unreachable=not fail_fast,
            )
        except _UnreadableAnswerError:
            raise FatalApiError(
                f"Account info: the API answered with an unexpected document: {_TOO_DEEP}. "
                "Check the api_url setting."
            ) from None

    def post_bulk_search(self, body: dict[str, t.Any]) -> dict[str, t.Any]:
        """Send one `POST /phone/bulk` (this spends credits); the decoded 201 answer.

        Its policy differs from the reads': only a 429, answered before anything was
        created, is retried (after its Retry-After). A timeout, a reset or a 5xx after
        sending may have created a batch, and the API has no idempotency key, so it
        raises `SubmissionUncertainError` and is never sent again. Other refusals
        raise `SubmissionRefusedError` or `FatalApiError`: nothing was created.
        """
        attempt = 0
        while True:
            attempt += 1
            answer = self._post_bulk_once(body)
            if isinstance(answer, dict):
                return answer
            if attempt > self._retry.max_retries:
                raise SubmissionRefusedError(
                    f"Bulk search: still rate limited (HTTP 429) after {attempt} attempts; "
                    "nothing was created. Run again later."
                )
            wait = self._retry.wait_before_retry(attempt, answer)
            LOGGER.warning(
                "Bulk search: rate limited (HTTP 429), nothing created; retry %d of %d in %.1f s",
                attempt,
                self._retry.max_retries,
                wait,
            )
            self._sleep(wait)

    def _post_bulk_once(self, body: dict[str, t.Any]) -> dict[str, t.Any] | float | None:
        """The 201 document, or the Retry-After (None when absent) of a 429."""
        if self._fatal is not None:
            raise self._fatal
        with self._lock:
            self.requests_sent += 1
        try:
            response = self._session.post(
                self._api_url + BULK_RESULTS_PATH,
                data=msgspec.json.encode(body),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError:
            raise FatalApiError(
                "The TLS certificate of api_url could not be verified; nothing was sent. "
                "Check the api_url setting."
            ) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
            if isinstance(exc, requests.exceptions.ConnectTimeout) or _never_connected(exc):
                raise SubmissionRefusedError(
                    "Bulk search: could not connect to api_url; nothing was sent. Check "
                    "api_url and the network."
                ) from None
            raise SubmissionUncertainError(f"a network error, {type(exc).__name__}") from None
        except requests.Timeout:
            raise SubmissionUncertainError(f"no answer within {self._timeout:g} s") from None
        except requests.RequestException as exc:
            raise SubmissionUncertainError(f"a network error, {type(exc).__name__}") from None
        answer = _submission_answer(response)
        if isinstance(answer, FatalApiError):
            self._fatal = answer
            raise answer
        return answer

    def _get_json(
        self,
        path: str,
        params: dict[str, str],
        *,
        label: str,
        refused: Callable[[int, str], EnrowTapError],
        retry_unreachable: bool = True,
    ) -> object:
        """GET one document, retrying transient faults; `refused` maps other 4xx."""
        url = self._api_url + path
        attempt = 0
        while True:
            if self._fatal is not None:
                raise self._fatal
            attempt += 1
            try:
                return self._attempt(url, params, refused)
            except _TransientError as fault:
                if fault.unreachable and not retry_unreachable:
                    raise FatalApiError(
                        f"{label}: {fault.what}. Check the api_url setting (leave it "
                        "unset for Enrow's own API)."
                    ) from None
                if attempt > self._retry.max_retries:
                    if fault.status == HTTPStatus.INTERNAL_SERVER_ERROR:
                        raise _PersistentServerError(label, attempt, fault.what) from None
                    raise _exhausted(label, attempt, fault.what) from None
                wait = self._retry.wait_before_retry(attempt, fault.retry_after)
                LOGGER.warning(
                    "%s: %s; retry %d of %d in %.1f s",
                    label,
                    fault.what,
                    attempt,
                    self._retry.max_retries,
                    wait,
                )
                self._sleep(wait)

    def _attempt(
        self, url: str, params: dict[str, str], refused: Callable[[int, str], EnrowTapError]
    ) -> object:
        response = self._send(url, params)
        status = response.status_code
        if status in RETRIED_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            response.close()
            raise _TransientError(f"HTTP {status}", retry_after, status)
        if status >= HTTPStatus.BAD_REQUEST:
            lowered = _error_message(response).lower()
            if status in FATAL_STATUSES:
                fatal = FatalApiError(_fatal_text(status, lowered))
                self._fatal = fatal
                raise fatal
            raise refused(status, lowered)
        try:
            return msgspec.json.decode(response.content)
        except RecursionError:
            # The same answer would come again: a broken document, not a network fault.
            raise _UnreadableAnswerError from None
        except msgspec.DecodeError:
            # A 200 whose JSON does not parse was cut short in transit (or mangled by a
            # proxy): worth another attempt, like any network fault.
            raise _TransientError(f"HTTP {status} with a body that is not JSON") from None

    def _send(self, url: str, params: dict[str, str]) -> requests.Response:
        """One GET; faults of the exchange become the tap's errors or `_TransientError`."""
        with self._lock:
            self.requests_sent += 1
        try:
            return self._session.get(url, params=params)
        except requests.exceptions.SSLError:
            raise FatalApiError(
                "The TLS certificate of api_url could not be verified. Check the "
                "api_url setting; certificate verification is never turned off."
            ) from None
        except RedirectRefusedError as exc:
            # Following it would send the key along; the API has moved, or something
            # between the tap and the API is answering in its name.
            fatal = FatalApiError(
                f"The API answered with a redirect (HTTP {exc.status}) to {exc.target}; "
                "redirects are never followed, so the API key stays with api_url. "
                "Check the api_url setting."
            )
            self._fatal = fatal
            raise fatal from None
        except requests.Timeout:
            raise _TransientError(f"no complete answer within {self._timeout:g} s") from None
        except requests.ConnectionError as exc:
            raise _connection_fault(exc) from None
        except requests.RequestException as exc:
            # Resets and bodies cut short in transit.
            raise _TransientError(f"a network error ({type(exc).__name__})") from None


class _PersistentServerError(RetriesExhaustedError):
    """Every attempt answered 500; for single searches that means an unknown id."""

    def __init__(self, label: str, attempts: int, what: str) -> None:
        super().__init__(str(_exhausted(label, attempts, what)))
        self.attempts = attempts


def _connection_fault(exc: requests.ConnectionError) -> _TransientError:
    """A failed connection, telling "nobody there" apart from a connection lost."""
    reason = exc.args[0].reason if exc.args and isinstance(exc.args[0], MaxRetryError) else None
    if isinstance(reason, NameResolutionError):
        return _TransientError("the host name of api_url does not resolve", unreachable=True)
    if reason is not None and isinstance(reason.__cause__, ConnectionRefusedError):
        return _TransientError("the connection to api_url was refused", unreachable=True)
    # Resets, and bodies cut short in transit.
    return _TransientError(f"a network error ({type(exc).__name__})")


def _exhausted(label: str, attempts: int, what: str) -> RetriesExhaustedError:
    return RetriesExhaustedError(
        f"{label}: gave up after {_attempts(attempts)}; the last one failed with "
        f"{what}. The Enrow API may be down: run again later, or raise the "
        "max_retries or request_timeout setting."
    )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _fatal_text(status: int, lowered_message: str) -> str:
    if "not allowed" in lowered_message:
        return (
            f"The Enrow account behind this API key cannot use phone search (HTTP "
            f"{status}). Enable phone search on the plan, or use another key."
        )
    if status in {402, 422}:
        return (
            f"Enrow refused the request for lack of credits (HTTP {status}). "
            "Top up the account, then run again."
        )
    return (
        f"The Enrow API rejected the API key (HTTP {status}). Check the api_key "
        "setting (TAP_ENROW_PHONE_API_KEY in Meltano); the run stopped before "
        "reading any more batches."
    )


def _error_message(response: requests.Response) -> str:
    """The `message` of an error answer, used only to classify it, never shown."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return " ".join(str(body.get(key, "")) for key in ("message", "error"))
    return ""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan", "inf" and "1e999" parse as floats but are no wait at all: ignored, so
        # the usual backoff applies.
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


# What a refused POST /phone/bulk means, from the API's fixed messages (never shown
# as sent: only these texts are).
_SUBMISSION_REFUSALS = (
    ("invalid linkedin_url", "a linkedin_url was refused as invalid"),
    ("mandatory property", "a search lacks a mandatory property"),
    ("at least 1", "the batch held no search"),
    ("missing payload", "the request body was missing"),
    ("invalid json", "the request body was not valid JSON"),
)


def _submission_answer(
    response: requests.Response,
) -> dict[str, t.Any] | float | FatalApiError | None:
    """Classify a POST /phone/bulk answer; a FatalApiError is returned to be raised."""
    status = response.status_code
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        response.close()
        return retry_after
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        response.close()
        raise SubmissionUncertainError(f"HTTP {status}")
    if status >= HTTPStatus.BAD_REQUEST:
        lowered = _error_message(response).lower()
        if status in FATAL_STATUSES:
            return FatalApiError(_fatal_text(status, lowered))
        reason = next((text for key, text in _SUBMISSION_REFUSALS if key in lowered), None)
        if reason is None and "search" in lowered and "too many" in lowered:
            reason = "the batch held more searches than the API accepts"
        raise SubmissionRefusedError(
            f"Enrow refused the bulk search (HTTP {status}: {reason or 'bad request'}); "
            "nothing was created. Check batch_size and the leads' columns."
        )
    if status >= HTTPStatus.MULTIPLE_CHOICES or status < HTTPStatus.OK:
        response.close()
        raise SubmissionUncertainError(f"HTTP {status}, not the documented 201")
    try:
        document = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        raise SubmissionUncertainError(f"HTTP {status} with a body that is not JSON") from None
    batch_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(batch_id, str) or not batch_id.strip():
        raise SubmissionUncertainError(f"HTTP {status} without a batch id")
    return t.cast("dict[str, t.Any]", document)


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """Whether the connection failed before any byte of the request was sent."""
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return type(inner).__name__ in {"NewConnectionError", "NameResolutionError"}


__all__ = ["EnrowClient", "RetryPolicy", "parse_retry_after"]
