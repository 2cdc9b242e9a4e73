"""Speak HTTP to the Enrow API: authentication, timeouts, retries and error mapping.

This module is the only one that sees raw responses. It returns decoded JSON documents
and raises the tap's own errors, whose messages never hold the API key, a response body
or a phone number.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import typing as t
from dataclasses import dataclass
from http import HTTPStatus

import msgspec
import requests
from requests.adapters import HTTPAdapter

from tap_enrow_phone.errors import (
    BatchError,
    FatalApiError,
    RetriesExhaustedError,
    UnknownBatchError,
)

if t.TYPE_CHECKING:
    from collections.abc import Callable

LOGGER = logging.getLogger("tap-enrow-phone")

BULK_RESULTS_PATH = "/phone/bulk"
# Messages the API uses for an id it cannot serve (400 today, 404 in older docs).
UNKNOWN_BATCH_MESSAGES = ("could not retrieve bulk search results", "not found")
RETRIED_STATUSES = frozenset(
    {HTTPStatus.TOO_MANY_REQUESTS, 500, 502, 503, 504, 520, 521, 522, 523, 524}
)
FATAL_STATUSES = frozenset({401, 402, 403, 422})


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

    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


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
        self._session = requests.Session()
        # Certificate verification stays on; never let REQUESTS_CA_BUNDLE-less envs
        # or a stray `verify=False` slip in.
        self._session.verify = True
        self._session.headers.update(
            {"x-api-key": api_key, "Accept": "application/json", "User-Agent": user_agent}
        )
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        # Once the key is rejected, requests still queued must not be sent.
        self._fatal: FatalApiError | None = None
        self._lock = threading.Lock()
        self.requests_sent = 0

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def get_bulk_results(self, batch_id: str) -> object:
        """The decoded `GET /phone/bulk?id=` document for one batch."""
        return self._get_json(BULK_RESULTS_PATH, {"id": batch_id}, subject=batch_id)

    def _get_json(self, path: str, params: dict[str, str], *, subject: str) -> object:
        url = self._api_url + path
        attempt = 0
        while True:
            if self._fatal is not None:
                raise self._fatal
            attempt += 1
            try:
                return self._attempt(url, params, subject)
            except _TransientError as fault:
                if attempt > self._retry.max_retries:
                    raise RetriesExhaustedError(
                        f"Batch {subject!r}: gave up after {attempt} attempts; "
                        f"the last one failed with {fault.what}. The Enrow API may be "
                        "down: run again later, or raise the max_retries or "
                        "request_timeout setting."
                    ) from None
                wait = self._retry.wait_before_retry(attempt, fault.retry_after)
                LOGGER.warning(
                    "Batch %r: %s; retry %d of %d in %.1f s",
                    subject,
                    fault.what,
                    attempt,
                    self._retry.max_retries,
                    wait,
                )
                self._sleep(wait)

    def _attempt(self, url: str, params: dict[str, str], subject: str) -> object:
        with self._lock:
            self.requests_sent += 1
        try:
            response = self._session.get(url, params=params, timeout=self._timeout)
        except requests.exceptions.SSLError:
            raise FatalApiError(
                "The TLS certificate of api_url could not be verified. Check the "
                "api_url setting; certificate verification is never turned off."
            ) from None
        except requests.Timeout:
            raise _TransientError(f"no answer within {self._timeout:g} s") from None
        except requests.RequestException as exc:
            # Resets, refused connections and bodies cut short in transit.
            raise _TransientError(f"a network error ({type(exc).__name__})") from None
        status = response.status_code
        if status in RETRIED_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            response.close()
            raise _TransientError(f"HTTP {status}", retry_after)
        if status >= HTTPStatus.BAD_REQUEST:
            self._raise_for_error(status, _error_message(response), subject)
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            # A 200 whose JSON does not parse was cut short in transit (or mangled by a
            # proxy): worth another attempt, like any network fault.
            raise _TransientError(f"HTTP {status} with a body that is not JSON") from None

    def _raise_for_error(self, status: int, message: str, subject: str) -> t.NoReturn:
        lowered = message.lower()
        if status in FATAL_STATUSES:
            fatal = FatalApiError(_fatal_text(status, lowered))
            self._fatal = fatal
            raise fatal
        if status in {400, 404} and any(m in lowered for m in UNKNOWN_BATCH_MESSAGES):
            raise UnknownBatchError(
                subject,
                "Enrow does not know this id or its results have expired "
                f"(HTTP {status}). Check the id, or remove it from batch_ids.",
            )
        raise BatchError(
            subject,
            f"the API refused the request (HTTP {status}). Check that the id is "
            "a bulk phone search id as returned by POST /phone/bulk.",
        )


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
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


__all__ = ["EnrowClient", "RetryPolicy", "parse_retry_after"]
