"""The tap's settings: their declaration, and the checks the JSON schema alone cannot make.

`SETTINGS` is the one declaration of every setting (it becomes `--about`, and the plugin
files are kept equal to it). `read_settings` checks a config and resolves it into the
`TapSettings` a run uses. Everything here runs before the first request, so a bad setting
costs nothing and is reported in one line that names the setting and what to do.
"""

from __future__ import annotations

import ipaddress
import json
import re
import typing as t
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from singer_sdk import typing as th

from tap_enrow_phone.errors import ConfigError

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

DEFAULT_API_URL = "https://api.enrow.io"
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_MAX_WAIT = 60.0
DEFAULT_MAX_CONCURRENCY = 8
DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_MAX_WAIT = 600.0
DEFAULT_STATE_INTERVAL = 10.0

# Meltano 4.4 has no setting kind that carries "2.5" from the environment: `integer`
# refuses it and `decimal` crashes writing the tap's config. Seconds therefore accept a
# number or its text, and Meltano passes them as `kind: string`.
SECONDS = th.CustomType({"type": ["string", "number", "null"]})
# Meltano's `kind: array` takes only a JSON array from the environment; a single id or
# a comma-separated list stops Meltano before the tap starts. Ids therefore accept a
# list or text (a JSON array, or ids separated by commas) and Meltano passes them as
# `kind: string`; a list written in meltano.yml still arrives as a list.
ID_LIST = th.CustomType({"type": ["string", "array", "null"], "items": {"type": "string"}})


@dataclass(frozen=True)
class NumberRange:
    """The values a number setting accepts; declared in the schema and checked here."""

    low: float
    high: float
    # Seconds may be fractions above zero (the low end excluded); counts are whole.
    whole: bool
    # Whether the low end itself is allowed; always for whole numbers, and for the few
    # seconds settings where 0 means "at once".
    low_allowed: bool = False

    @property
    def _low_inclusive(self) -> bool:
        return self.whole or self.low_allowed

    @property
    def schema(self) -> dict[str, int]:
        """The range as keyword arguments of the SDK's types, which `--about` publishes."""
        low = "minimum" if self._low_inclusive else "exclusive_minimum"
        return {low: int(self.low), "maximum": int(self.high)}

    @property
    def json_schema(self) -> dict[str, int]:
        """The range as JSON-schema keywords, for a custom type."""
        low = "minimum" if self._low_inclusive else "exclusiveMinimum"
        return {low: int(self.low), "maximum": int(self.high)}

    def describe(self) -> str:
        """The range in words, for error lines and setting descriptions."""
        if self.whole:
            return f"a whole number from {self.low:g} to {self.high:g}"
        if self.low_allowed:
            return f"a number from {self.low:g} to {self.high:g}"
        return f"a number above zero and at most {self.high:g}"

    def admits(self, value: float | Decimal) -> bool:
        """Whether `value` (already known to be a finite number) is in range."""
        if self.whole and value != int(value):
            return False
        above_low = value >= self.low if self._low_inclusive else value > self.low
        return above_low and value <= self.high


# Why these bounds: each limit is far beyond any useful value, and low enough that a
# typo (an extra zero, a value in milliseconds) is refused rather than obeyed.
NUMBER_RANGES: dict[str, NumberRange] = {
    # Enrow answers in well under a second; ten minutes is a dead connection.
    "request_timeout": NumberRange(0, 600, whole=False),
    # Backoff doubles up to retry_max_wait: 20 retries already span hours.
    "max_retries": NumberRange(0, 20, whole=True),
    "retry_max_wait": NumberRange(0, 3600, whole=False),
    # One thread and one pooled connection each; more only adds load on Enrow.
    "max_concurrency": NumberRange(1, 64, whole=True),
    "poll_interval": NumberRange(0, 3600, whole=False),
    # A day: bulk searches finish in minutes to hours.
    "max_wait": NumberRange(0, 86400, whole=False),
    # 0 writes a STATE after every finished id; an hour already risks re-reading an
    # hour of batches after a kill.
    "state_interval": NumberRange(0, 3600, whole=False, low_allowed=True),
}


def seconds(name: str) -> th.CustomType:
    """A seconds setting: a number or text (see SECONDS), with its range published."""
    allowed = NUMBER_RANGES[name]
    return th.CustomType({**SECONDS.type_dict, **allowed.json_schema})


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
        ID_LIST,
        title="Batch ids",
        description=(
            "Ids of the bulk phone searches to read, as returned by POST "
            "/phone/bulk (or the webhook, or the Enrow dashboard): a list, or text "
            "holding one id, ids separated by commas, or a JSON array. Merged with "
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
        ID_LIST,
        title="Single search ids",
        description=(
            "Ids of single phone searches to read (GET /phone/single), as returned by "
            "POST /phone/single, written as for batch_ids. Merged with "
            "single_search_ids_file; trimmed and "
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
        default=DEFAULT_API_URL,
        title="API URL",
        description=(
            "Base URL of the Enrow API. Must be https, except plain http to "
            "localhost (for the fake API in tests and demos)."
        ),
    ),
    th.Property(
        "request_timeout",
        seconds("request_timeout"),
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
        th.IntegerType(**NUMBER_RANGES["max_retries"].schema),
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
        seconds("retry_max_wait"),
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
        th.IntegerType(**NUMBER_RANGES["max_concurrency"].schema),
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
        seconds("poll_interval"),
        default=DEFAULT_POLL_INTERVAL,
        title="Poll interval (seconds)",
        description=(
            "With wait_for_running_batches, seconds between two reads of a running "
            "batch. Above 0, at most 3600."
        ),
    ),
    th.Property(
        "max_wait",
        seconds("max_wait"),
        default=DEFAULT_MAX_WAIT,
        title="Longest wait for a running batch (seconds)",
        description=(
            "With wait_for_running_batches, how long a batch is waited for, counted "
            "from its first read in the run. Above 0, at most 86400 (a day)."
        ),
    ),
    th.Property(
        "state_interval",
        seconds("state_interval"),
        default=DEFAULT_STATE_INTERVAL,
        title="Seconds between STATE messages",
        description=(
            "At most one STATE message (the list of finished ids) is written per this "
            "many seconds, and always at the end of the run. A run stopped in between "
            "reads again only the ids finished since its last STATE (free, and upserted). "
            "0 asks for one after every finished id; either way the STATE bytes of a run "
            "stay within 4 times its final STATE plus 1 MB. 0 to 3600."
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


@dataclass(frozen=True)
class TapSettings:
    """A checked configuration, resolved into what a run uses."""

    api_key: str
    api_url: str
    request_timeout: float
    max_retries: int
    retry_max_wait: float
    max_concurrency: int
    batch_ids: list[str]
    single_search_ids: list[str]
    ignore_unknown_batches: bool
    # None when running batches are not waited for.
    waiting: Waiting | None
    phone_details: bool
    state_interval: float


def read_settings(config: Mapping[str, t.Any]) -> TapSettings:
    """Check `config` and resolve it; raises `ConfigError` naming the first bad setting."""
    api_key = check_api_key(config.get("api_key"))
    api_url = check_api_url(str(config.get("api_url") or DEFAULT_API_URL))
    check_numbers(config)
    batch_ids = resolve_ids(config, BATCH_IDS)
    single_search_ids = resolve_ids(config, SINGLE_SEARCH_IDS)
    check_some_ids(batch_ids, single_search_ids)
    waiting = None
    if config.get("wait_for_running_batches", False):
        waiting = Waiting(
            poll_interval=float(config.get("poll_interval", DEFAULT_POLL_INTERVAL)),
            max_wait=float(config.get("max_wait", DEFAULT_MAX_WAIT)),
        )
    return TapSettings(
        api_key=api_key,
        api_url=api_url,
        request_timeout=float(config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT)),
        max_retries=int(config.get("max_retries", DEFAULT_MAX_RETRIES)),
        retry_max_wait=float(config.get("retry_max_wait", DEFAULT_RETRY_MAX_WAIT)),
        max_concurrency=int(config.get("max_concurrency", DEFAULT_MAX_CONCURRENCY)),
        batch_ids=batch_ids,
        single_search_ids=single_search_ids,
        ignore_unknown_batches=bool(config.get("ignore_unknown_batches", False)),
        waiting=waiting,
        phone_details=bool(config.get("phone_details", False)),
        state_interval=float(config.get("state_interval", DEFAULT_STATE_INTERVAL)),
    )


# An id travels as a query parameter; these characters would change the request's
# meaning if a user pasted a URL or a list by mistake, so they are refused up front.
_FORBIDDEN_IN_ID = re.compile(r"[\s/?&#\x00-\x1f\x7f]")
_MAX_ID_LENGTH = 200
# Characters a reader cannot see (zero-width spaces, byte order marks, bidi overrides,
# private-use and unassigned code points): pasted into an id they make Enrow answer
# "unknown id" while the id looks right on screen.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"})
# An ids file is short lines of short ids: a line over this many bytes, or a file over
# `_MAX_IDS_FILE_BYTES`, cannot be one (it is a binary file, /dev/zero, a dump...), and
# reading such a file line by line keeps memory bounded by these two numbers.
_MAX_IDS_FILE_LINE = 4096
_MAX_IDS_FILE_BYTES = 64 * 1024 * 1024
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class IdSettings:
    """A kind of id the tap reads: its two settings and where users get the ids."""

    list_setting: str
    file_setting: str
    kind: str
    returned_by: str


BATCH_IDS = IdSettings("batch_ids", "batch_ids_file", "Batch id", "POST /phone/bulk")
SINGLE_SEARCH_IDS = IdSettings(
    "single_search_ids", "single_search_ids_file", "Single search id", "POST /phone/single"
)


def resolve_ids(config: Mapping[str, t.Any], source: IdSettings) -> list[str]:
    """Ids from the list setting then the file: trimmed, first-seen order, no repeats."""
    unique: dict[str, None] = {}
    entries = _id_list(config.get(source.list_setting), source)
    for number, raw in enumerate(entries, start=1):
        if not isinstance(raw, str):
            raise ConfigError(
                f"Every entry of {source.list_setting} must be a string; fix the "
                f"{source.list_setting} setting."
            )
        if item_id := raw.strip():
            check_id(item_id, source, where=f"entry {number} of {source.list_setting}")
            unique.setdefault(item_id, None)
    if file_path := config.get(source.file_setting):
        for where, item_id in _read_ids_file(str(file_path), source):
            check_id(item_id, source, where=where)
            unique.setdefault(item_id, None)
    return list(unique)


def _id_list(value: object, source: IdSettings) -> list[object]:
    """The list setting's entries, from a list or from the text forms users type."""
    if value is None or isinstance(value, list):
        return list(value or [])
    if not isinstance(value, str):
        raise ConfigError(
            f"{source.list_setting} must be a list of ids, or text holding ids separated "
            f"by commas; fix the {source.list_setting} setting."
        )
    if not value.lstrip().startswith("["):
        return list(value.split(","))
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list):
        raise ConfigError(
            f"{source.list_setting} starts with '[' but is not a JSON array of strings; "
            f'write ["id1", "id2"], or the ids separated by commas: id1,id2.'
        )
    return parsed


def check_some_ids(*id_lists: list[str]) -> None:
    """Refuse a run with no id of any kind to read."""
    if not any(id_lists):
        raise ConfigError(
            "No id to read: set batch_ids (TAP_ENROW_PHONE_BATCH_IDS) or batch_ids_file "
            "to the ids returned when the bulk searches were submitted, or "
            "single_search_ids or single_search_ids_file for single searches."
        )


def _read_ids_file(file_path: str, source: IdSettings) -> Iterator[tuple[str, str]]:
    """(where, id) for each id of the file, read a line at a time with bounded memory."""
    path = Path(file_path).expanduser()
    setting = source.file_setting

    def refuse(reason: str) -> ConfigError:
        return ConfigError(
            f"{setting} {str(path)!r} {reason}; point {setting} at a UTF-8 text file "
            "with one id per line."
        )

    try:
        with path.open("rb") as file:
            read = 0
            for number, line in enumerate(
                iter(lambda: file.readline(_MAX_IDS_FILE_LINE + 1), b""), start=1
            ):
                read += len(line)
                if len(line) > _MAX_IDS_FILE_LINE:
                    raise refuse(
                        f"cannot be read: line {number} is over {_MAX_IDS_FILE_LINE} bytes, "
                        "which no ids file has"
                    )
                if read > _MAX_IDS_FILE_BYTES:
                    raise refuse(
                        f"cannot be read: it is over {_MAX_IDS_FILE_BYTES // 2**20} MiB, far "
                        "more than any list of ids"
                    )
                if b"\x00" in line:
                    raise refuse(f"cannot be read: it is a binary file (NUL byte, line {number})")
                if number == 1 and line.startswith(_UTF8_BOM):
                    # Windows editors start UTF-8 files with a byte order mark.
                    line = line[len(_UTF8_BOM) :]  # noqa: PLW2901
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError:
                    raise refuse(f"cannot be read: line {number} is not UTF-8 text") from None
                if content := text.split("#", 1)[0].strip():
                    yield f"line {number} of {setting}", content
    except OSError as exc:
        raise refuse(f"cannot be read ({exc.strerror or type(exc).__name__})") from None


def check_id(item_id: str, source: IdSettings, where: str) -> None:
    """Refuse ids that cannot be an Enrow id (and could alter the request)."""
    shown = item_id[:40].encode("unicode_escape").decode("ascii")
    # Printable ASCII (the usual id) holds no invisible character but the space,
    # refused below; only other ids need the per-character look-up.
    plain = item_id.isascii() and item_id.isprintable()
    if not plain and any(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in item_id):
        raise ConfigError(
            f"{source.kind} '{shown}' is not a valid id ({where}): it holds an invisible "
            "or control character (shown escaped, such as \\u200b, a zero-width space); "
            f"retype it, or paste the bare id returned by {source.returned_by}."
        )
    if _FORBIDDEN_IN_ID.search(item_id) or len(item_id) > _MAX_ID_LENGTH:
        raise ConfigError(
            f"{source.kind} '{shown}' is not a valid id ({where}): it holds whitespace, "
            "'/', '?', '&' or '#', or is over 200 characters; use the bare id returned by "
            f"{source.returned_by}."
        )


def check_api_url(api_url: str) -> str:
    """The API base URL, without a trailing slash; https, or http to loopback only."""
    parts = urlsplit(api_url.strip())
    # The value is never shown: an API key pasted into the wrong setting would be.
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            "api_url is not an http(s) URL (it must start with https://); leave it unset "
            f"to use {DEFAULT_API_URL}."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(
            "api_url must not hold credentials, a query or a fragment; the API key "
            "goes in the api_key setting."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            "api_url uses plain http to a non-local host, which would send "
            "the API key unencrypted; use https (plain http is allowed only for "
            "localhost)."
        )
    return api_url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_key(api_key: object) -> str:
    """The key, refusing a missing, empty or non-string one without ever showing it."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigError(
            "api_key is missing or empty: set it to your Enrow API key "
            "(TAP_ENROW_PHONE_API_KEY in Meltano)."
        )
    key = api_key.strip()
    if any(ch.isspace() or ord(ch) < 0x20 for ch in key):  # noqa: PLR2004
        raise ConfigError("api_key holds whitespace or control characters; paste the key alone.")
    if not key.isascii() or not key.isprintable():
        # An HTTP header carries Latin-1 at most, and Enrow keys are plain ASCII: this
        # is a paste accident (a typographic quote, a euro sign, a zero-width space).
        raise ConfigError(
            "api_key holds a character no API key has (non-ASCII or invisible, such as "
            "a zero-width space or a typographic quote); copy the key again from the "
            "Enrow dashboard and paste it alone."
        )
    return key


def check_numbers(config: Mapping[str, t.Any]) -> None:
    """Refuse a number setting of the wrong type or out of its range, in one line."""
    for name, allowed in NUMBER_RANGES.items():
        value = config.get(name)
        if value is None:
            continue
        number = _as_number(value, whole=allowed.whole)
        if number is not None and number.is_finite() and allowed.admits(number):
            continue
        # Only a number is shown: any other value may be a secret pasted in the wrong place.
        got = f"got {value!r}" if number is not None else f"got a {type(value).__name__}"
        raise ConfigError(f"{name} must be {allowed.describe()}; {got}.")


def check_number(
    config: Mapping[str, t.Any], name: str, *, whole: bool, allow_zero: bool = False
) -> None:
    """A number setting with no declared range (the target's): above zero, or 0 or more."""
    value = config.get(name)
    if value is None:
        return
    number = _as_number(value, whole=whole)
    valid = number is not None and number.is_finite()
    if valid and number is not None:
        if whole:
            valid = number == number.to_integral_value()
        valid = valid and (number >= 0 if allow_zero else number > 0)
    if not valid:
        what = "a whole number" if whole else "a number"
        bound = "0 or more" if allow_zero else "above zero"
        raise ConfigError(f"{name} must be {what} {bound}; got {value!r}.")


def _as_number(value: object, *, whole: bool) -> Decimal | None:
    """The value as a Decimal, or None when it is no number.

    JSON config files are read with Decimal for numbers with a fraction; seconds may also
    come as text, which is how Meltano passes them (see SECONDS).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(value)
    if isinstance(value, str) and not whole:
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None
