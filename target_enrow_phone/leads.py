"""Turn one incoming record into a valid Enrow phone search, or say why it cannot be one.

Also the dedupe key: two records that would make the same search (the same LinkedIn
profile, or the same names at the same company) share a key, whatever their spelling of
case, spaces, scheme or trailing slashes. The key is hashed before it is stored, so the
ledger holds no name or URL.
"""

from __future__ import annotations

import hashlib
import re
import typing as t
import unicodedata
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote, urlsplit

if t.TYPE_CHECKING:
    from collections.abc import Mapping

_LINKEDIN_HOST = re.compile(r"^(?:[a-z]{2,3}\.|www\.)?linkedin\.com$")
_PROFILE_PATH = re.compile(r"^/(in|pub)/([^/?#]+)")
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_CUSTOM_LENGTH = 500


class SkipReason(str, Enum):
    """Why a record makes no search; the run's summary counts records per reason."""

    MISSING_FIELDS = "no linkedin_url, nor firstname + lastname + company_domain or company_name"
    INVALID_LINKEDIN_URL = "linkedin_url is not a LinkedIn profile URL"
    INVALID_COMPANY_DOMAIN = "company_domain is not a domain name"
    INVALID_CUSTOM = "custom is not a string or whole number of up to 500 characters"
    ALREADY_SUBMITTED = "already submitted in an earlier run"
    UNCERTAIN = "an earlier submission is uncertain (see target-enrow-phone-ledger)"
    REPEATED_IN_RUN = "repeats a search already queued in this run"
    OVER_RUN_LIMIT = "over max_searches_per_run"


@dataclass(frozen=True)
class Search:
    """One search as sent to `POST /phone/bulk`, and its dedupe key."""

    payload: dict[str, str]
    key: str

    @property
    def custom(self) -> str | None:
        """The lead's own id, echoed in its result."""
        return self.payload.get("custom")


def make_search(record: Mapping[str, t.Any]) -> Search | SkipReason:
    """The search a record asks for; LinkedIn wins when both forms are valid."""
    custom = _custom(record.get("custom"))
    if isinstance(custom, SkipReason):
        return custom
    url = _text(record.get("linkedin_url"))
    profile = normalise_linkedin_url(url) if url else None
    if profile is not None:
        payload = {"linkedin_url": profile}
        key = "li:" + profile.lower()
    else:
        names = _name_search(record)
        if isinstance(names, tuple):
            payload, key = names
        elif url:
            return SkipReason.INVALID_LINKEDIN_URL
        else:
            return names
    if custom is not None:
        payload["custom"] = custom
    return Search(payload, hashlib.sha256(key.encode()).hexdigest())


def _name_search(record: Mapping[str, t.Any]) -> tuple[dict[str, str], str] | SkipReason:
    first, last = _text(record.get("firstname")), _text(record.get("lastname"))
    raw_domain = _text(record.get("company_domain"))
    company = _text(record.get("company_name"))
    if not (first and last and (raw_domain or company)):
        return SkipReason.MISSING_FIELDS
    payload = {"firstname": first, "lastname": last}
    key = f"nm:{_fold(first)}|{_fold(last)}|"
    if raw_domain:
        domain = normalise_domain(raw_domain)
        if domain is None:
            if not company:
                return SkipReason.INVALID_COMPANY_DOMAIN
        else:
            payload["company_domain"] = domain
            return payload, key + "d:" + domain
    payload["company_name"] = t.cast("str", company)
    return payload, key + "c:" + _fold(t.cast("str", company))


def normalise_linkedin_url(url: str) -> str | None:
    """`https://www.linkedin.com/in/<slug>` for a profile URL in any spelling, else None."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not _LINKEDIN_HOST.match(host):
        return None
    match = _PROFILE_PATH.match(parts.path)
    if not match:
        return None
    slug = unquote(match.group(2)).strip()
    if not slug or any(ch.isspace() or ord(ch) < 0x20 for ch in slug):  # noqa: PLR2004
        return None
    return f"https://www.linkedin.com/{match.group(1).lower()}/{slug}"


def normalise_domain(value: str) -> str | None:
    """The bare lower-case domain of `acme.com`, `https://www.Acme.com/about`, ...; else None."""
    text = value.strip().lower()
    if "://" in text:
        text = (urlsplit(text).hostname or "") if _parses(text) else ""
    text = text.split("/", 1)[0].split("?", 1)[0].rstrip(".")
    text = text.removeprefix("www.")
    return text if _DOMAIN.match(text) else None


def _parses(text: str) -> bool:
    try:
        urlsplit(text).hostname  # noqa: B018 - raises on a bad port or bracket
    except ValueError:
        return False
    return True


def _custom(value: object) -> str | SkipReason | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return SkipReason.INVALID_CUSTOM
    text = str(value).strip()
    if len(text) > MAX_CUSTOM_LENGTH:
        return SkipReason.INVALID_CUSTOM
    return text or None


def _text(value: object) -> str | None:
    """A non-empty string, trimmed, with inner runs of whitespace made one space."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _fold(text: str) -> str:
    """Case, accents' composition and spacing do not make two searches different."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
