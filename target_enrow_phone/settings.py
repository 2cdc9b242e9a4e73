"""The target's settings: declared (titles, descriptions, ranges, secret) and checked here.

Everything is checked before the first record is read, so a bad setting costs nothing
and is reported in one line that names it.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_enrow_phone import settings as tap_settings
from tap_enrow_phone.errors import ConfigError
from target_enrow_phone.ledger import DEFAULT_LEDGER_PATH

if t.TYPE_CHECKING:
    from collections.abc import Mapping

MAX_BATCH_SIZE = 3000
DEFAULT_MAX_SEARCHES_PER_RUN = 500
DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_MAX_WAIT = 60.0
DEFAULT_PROGRESS_INTERVAL = 30.0
CREDITS_PER_SEARCH = 40
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")

# The key and the URL mean the same for the target as for the tap.
_TAP_SETTINGS = dict(tap_settings.SETTINGS.items())

SETTINGS = th.PropertiesList(
    _TAP_SETTINGS["api_key"],
    th.Property(
        "batch_ids_file",
        th.StringType,
        required=True,
        title="Batch ids file",
        description=(
            "File each created batch id is appended to (one line, with a '#' comment "
            "saying when, from which stream and how many searches): point the tap's "
            "batch_ids_file at the same file. Created if missing."
        ),
    ),
    th.Property(
        "ledger_path",
        th.StringType,
        default=DEFAULT_LEDGER_PATH,
        title="Ledger path",
        description=(
            "SQLite file that remembers every search submitted (as a hash, no names or "
            "URLs), so no lead is paid for twice across runs. Relative paths start in "
            "the working directory (the Meltano project)."
        ),
    ),
    _TAP_SETTINGS["api_url"],
    th.Property(
        "max_searches_per_run",
        th.IntegerType,
        default=DEFAULT_MAX_SEARCHES_PER_RUN,
        title="Most searches per run",
        description=(
            "At most this many searches are submitted in one run (1 to 1,000,000; each "
            "may cost 40 credits). Once it is reached, the rest waits for the next run: "
            "no STATE acknowledges the records not sent."
        ),
    ),
    th.Property(
        "batch_size",
        th.IntegerType,
        default=MAX_BATCH_SIZE,
        title="Searches per batch",
        description="Searches per POST /phone/bulk, 1 to 3,000 (the API's limit).",
    ),
    th.Property(
        "resubmit_after_days",
        th.IntegerType,
        title="Resubmit after (days)",
        description=(
            "When set (1 or more), a lead submitted at least this many days ago may be "
            "submitted again. Unset (the default): a lead is never submitted twice."
        ),
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        title="Dry run",
        description=(
            "When true, records are validated and deduplicated and the run logs how "
            "many searches it would submit and their worst-case cost; nothing is sent, "
            "nothing is recorded, no STATE is emitted."
        ),
    ),
    th.Property(
        "webhook",
        th.StringType,
        title="Webhook URL",
        description=(
            "HTTPS URL Enrow calls when a batch is finished (settings.webhook of the "
            "request). Optional."
        ),
    ),
    th.Property(
        "country_code",
        th.StringType,
        title="Country code",
        description=(
            "ISO 3166-1 alpha-2 country the numbers are searched for (settings.country_code "
            "of the request; Enrow's default is US). Optional."
        ),
    ),
    th.Property(
        "request_timeout",
        tap_settings.SECONDS,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout (seconds)",
        description=(
            "Seconds to wait for an answer. A bulk search POST that times out is never "
            "sent again: its searches are marked uncertain. Must be above zero."
        ),
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=DEFAULT_MAX_RETRIES,
        title="Maximum retries",
        description=(
            "How many times a request answered 429 (rate limited) is retried, after its "
            "Retry-After; the free GET /account/info is also retried after a timeout or "
            "a 5xx. A POST is never retried after anything else. 0 or more."
        ),
    ),
    th.Property(
        "retry_max_wait",
        tap_settings.SECONDS,
        default=DEFAULT_RETRY_MAX_WAIT,
        title="Longest wait between retries (seconds)",
        description="Cap on the wait before a retry, Retry-After included. Above zero.",
    ),
    th.Property(
        "progress_interval",
        tap_settings.SECONDS,
        default=DEFAULT_PROGRESS_INTERVAL,
        title="Progress interval (seconds)",
        description="Seconds between two progress lines while searches are submitted.",
    ),
)


@dataclass(frozen=True)
class TargetSettings:
    """The checked settings of one run."""

    api_key: str
    api_url: str
    batch_ids_file: Path
    ledger_path: Path
    max_searches_per_run: int
    batch_size: int
    resubmit_after_days: int | None
    dry_run: bool
    webhook: str | None
    country_code: str | None
    request_timeout: float
    max_retries: int
    retry_max_wait: float
    progress_interval: float


def check_settings(config: Mapping[str, t.Any]) -> TargetSettings:
    """Every setting checked, or a ConfigError naming the first bad one."""
    ids_file = config.get("batch_ids_file")
    if not isinstance(ids_file, str) or not ids_file.strip():
        raise ConfigError(
            "batch_ids_file is missing: set it to the file the tap's batch_ids_file reads "
            "(TARGET_ENROW_PHONE_BATCH_IDS_FILE in Meltano)."
        )
    ledger = config.get("ledger_path") or DEFAULT_LEDGER_PATH
    if not isinstance(ledger, str):
        raise ConfigError("ledger_path must be a file path.")
    return TargetSettings(
        api_key=_api_key(config.get("api_key")),
        api_url=tap_settings.check_api_url(
            str(config.get("api_url") or tap_settings.DEFAULT_API_URL)
        ),
        batch_ids_file=Path(ids_file.strip()).expanduser(),
        ledger_path=Path(ledger).expanduser(),
        max_searches_per_run=_whole(
            config, "max_searches_per_run", DEFAULT_MAX_SEARCHES_PER_RUN, 1, 1_000_000
        ),
        batch_size=_whole(config, "batch_size", MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE),
        resubmit_after_days=(
            None
            if config.get("resubmit_after_days") is None
            else _whole(config, "resubmit_after_days", 0, 1, 100_000)
        ),
        dry_run=bool(config.get("dry_run", False)),
        webhook=_webhook(config.get("webhook")),
        country_code=_country(config.get("country_code")),
        request_timeout=_positive(config, "request_timeout", DEFAULT_REQUEST_TIMEOUT),
        max_retries=_whole(config, "max_retries", DEFAULT_MAX_RETRIES, 0, 100),
        retry_max_wait=_positive(config, "retry_max_wait", DEFAULT_RETRY_MAX_WAIT),
        progress_interval=_positive(config, "progress_interval", DEFAULT_PROGRESS_INTERVAL),
    )


def _api_key(value: object) -> str:
    try:
        return tap_settings.check_api_key(value)
    except ConfigError:
        raise ConfigError(
            "api_key is missing, empty or holds whitespace: set it to your Enrow API key "
            "(TARGET_ENROW_PHONE_API_KEY in Meltano)."
        ) from None


def _whole(config: Mapping[str, t.Any], name: str, default: int, low: int, high: int) -> int:
    value = config.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ConfigError(f"{name} must be a whole number from {low:,} to {high:,}; got {value!r}.")
    if not low <= int(value) <= high:
        raise ConfigError(f"{name} must be from {low:,} to {high:,}; got {value!r}.")
    return int(value)


def _positive(config: Mapping[str, t.Any], name: str, default: float) -> float:
    tap_settings.check_number(config, name, whole=False)
    value = config.get(name)
    return default if value is None else float(value)


def _webhook(value: object) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(str(value))
    if not isinstance(value, str) or parts.scheme != "https" or not parts.hostname:
        raise ConfigError("webhook must be an https:// URL (Enrow calls only HTTPS webhooks).")
    return value


def _country(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _COUNTRY.match(value.strip()):
        raise ConfigError(
            "country_code must be a two-letter ISO 3166-1 country code such as US or FR."
        )
    return value.strip().upper()
