"""Read and check the settings that the JSON schema alone cannot judge.

Everything here runs before the first request, so a bad setting costs nothing and is
reported in one line that names the setting and what to do.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from tap_enrow_phone.errors import ConfigError

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

DEFAULT_API_URL = "https://api.enrow.io"
# An id travels as a query parameter; these characters would change the request's
# meaning if a user pasted a URL or a list by mistake, so they are refused up front.
_FORBIDDEN_IN_ID = re.compile(r"[\s/?&#\x00-\x1f\x7f]")
_MAX_ID_LENGTH = 200


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
    ids: list[str] = []
    for raw in config.get(source.list_setting) or []:
        if not isinstance(raw, str):
            raise ConfigError(
                f"Every entry of {source.list_setting} must be a string; fix the "
                f"{source.list_setting} setting."
            )
        ids.append(raw)
    if file_path := config.get(source.file_setting):
        ids.extend(_read_ids_file(str(file_path), source))

    unique: dict[str, None] = {}
    for raw in ids:
        item_id = raw.strip()
        if item_id:
            check_id(item_id, source)
            unique.setdefault(item_id, None)
    return list(unique)


def check_some_ids(*id_lists: list[str]) -> None:
    """Refuse a run with no id of any kind to read."""
    if not any(id_lists):
        raise ConfigError(
            "No id to read: set batch_ids (TAP_ENROW_PHONE_BATCH_IDS) or batch_ids_file "
            "to the ids returned when the bulk searches were submitted, or "
            "single_search_ids or single_search_ids_file for single searches."
        )


def _read_ids_file(file_path: str, source: IdSettings) -> Iterable[str]:
    path = Path(file_path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(
            f"{source.file_setting} {str(path)!r} cannot be read ({reason}); point "
            f"{source.file_setting} at a UTF-8 text file with one id per line."
        ) from None
    for line in text.splitlines():
        content = line.split("#", 1)[0].strip()
        if content:
            yield content


def check_id(item_id: str, source: IdSettings) -> None:
    """Refuse ids that cannot be an Enrow id (and could alter the request)."""
    if _FORBIDDEN_IN_ID.search(item_id) or len(item_id) > _MAX_ID_LENGTH:
        shown = item_id[:40].encode("unicode_escape").decode("ascii")
        raise ConfigError(
            f"{source.kind} {shown!r} is not a valid id (it holds whitespace, a control "
            "character, '/', '?', '&' or '#', or is over 200 characters); use the bare "
            f"id returned by {source.returned_by}."
        )


def check_api_url(api_url: str) -> str:
    """The API base URL, without a trailing slash; https, or http to loopback only."""
    parts = urlsplit(api_url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"api_url {api_url!r} is not an http(s) URL; leave it unset to use {DEFAULT_API_URL}."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(
            "api_url must not hold credentials, a query or a fragment; the API key "
            "goes in the api_key setting."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"api_url {api_url!r} uses plain http to a non-local host, which would send "
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
    if any(ch.isspace() or ord(ch) < 0x20 for ch in api_key.strip()):  # noqa: PLR2004
        raise ConfigError("api_key holds whitespace or control characters; paste the key alone.")
    return api_key.strip()


def check_number(
    config: Mapping[str, t.Any], name: str, *, whole: bool, allow_zero: bool = False
) -> None:
    """A number setting that must be above zero (or 0 or more with `allow_zero`)."""
    value = config.get(name)
    if value is None:
        return
    # JSON config files are read with Decimal for numbers with a fraction.
    valid = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if valid and whole:
        valid = isinstance(value, int) or value == Decimal(value).to_integral_value()
    if valid:
        valid = value >= 0 if allow_zero else value > 0
    if not valid:
        what = "a whole number" if whole else "a number"
        bound = "0 or more" if allow_zero else "above zero"
        raise ConfigError(f"{name} must be {what} {bound}; got {value!r}.")
