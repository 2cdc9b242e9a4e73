"""`POST /phone/bulk` in the fake: check the body as Enrow does, create the batch, charge.

A created batch is then served by `GET /phone/bulk` like any other: ongoing on its
first read, completed from the second, with one result per submitted search whose
`params` and `custom` echo that search. Whether a search "finds" a number is derived
from the search itself, so the same lead always gives the same (fictional) answer.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import typing as t
from dataclasses import dataclass, field

from fake_enrow.data import Batch, found, not_found

MAX_SEARCHES = 3000
CREDITS_PER_SEARCH = 40
_NAME_FIELDS = ("firstname", "lastname", "company_domain", "company_name")


@dataclass
class Submissions:
    """Every accepted POST, in order, for tests to count what was paid for."""

    batches: list[tuple[str, list[dict[str, t.Any]]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def searches(self) -> list[dict[str, t.Any]]:
        """Every search submitted, across batches."""
        with self._lock:
            return [search for _, searches in self.batches for search in searches]

    def batch_ids(self) -> list[str]:
        """The ids of the batches created, in order."""
        with self._lock:
            return [batch_id for batch_id, _ in self.batches]

    def create(
        self, payload: object, account: dict[str, t.Any]
    ) -> tuple[int, dict[str, t.Any], Batch | None]:
        """Status, body and the new batch (None when refused) for one POST body."""
        refusal = check_payload(payload)
        if refusal:
            return 400, {"message": refusal}, None
        body = t.cast("dict[str, t.Any]", payload)
        searches: list[dict[str, t.Any]] = body["searches"]
        cost = CREDITS_PER_SEARCH * len(searches)
        with self._lock:
            if int(account.get("credits", 0)) < cost:
                return 402, {"message": "Not enough credits"}, None
            account["credits"] = int(account["credits"]) - cost
            batch_id = f"bulk-{next(self._ids):06d}"
            self.batches.append((batch_id, [dict(s) for s in searches]))
        country = str((body.get("settings") or {}).get("country_code") or "US")
        batch = Batch(
            batch_id,
            ["ongoing", "completed"],
            [_result(i, search, country) for i, search in enumerate(searches)],
            custom=body.get("custom"),
        )
        answer = {
            "message": "Bulk search operating",
            "id": batch_id,
            "credits_used": cost,
            "estimated_duration": 1,
        }
        return 201, answer, batch


def check_payload(payload: object) -> str | None:  # noqa: PLR0911
    """Enrow's 400 message for a body it refuses, or None."""
    if not isinstance(payload, dict):
        return "Missing payload"
    searches = payload.get("searches")
    if not isinstance(searches, list) or not searches:
        return "At least 1 phone search must be present in the payload"
    if len(searches) > MAX_SEARCHES:
        return f"Too many searches: at most {MAX_SEARCHES} per request"
    for search in searches:
        if not isinstance(search, dict):
            return "Missing mandatory property"
        url = search.get("linkedin_url")
        if url is not None and (not isinstance(url, str) or "linkedin.com/" not in url):
            return "Invalid linkedin_url"
        by_name = search.get("firstname") and search.get("lastname")
        company = search.get("company_domain") or search.get("company_name")
        if not url and not (by_name and company):
            return "Missing mandatory property"
        if "custom" in search and not isinstance(search["custom"], str):
            return "Invalid custom"
    webhook = (payload.get("settings") or {}).get("webhook")
    if webhook is not None and not str(webhook).startswith("https://"):
        return "Invalid webhook"
    return None


def _result(index: int, search: dict[str, t.Any], country: str) -> dict[str, t.Any]:
    params = (
        {"linkedin_url": search["linkedin_url"]}
        if search.get("linkedin_url")
        else {k: search[k] for k in _NAME_FIELDS if search.get(k)}
    )
    digest = hashlib.sha256(repr(sorted(params.items())).encode()).digest()
    if digest[0] % 3 == 0:
        item = not_found(index, **params)
    else:
        # 555-01xx numbers are reserved for fiction.
        item = found(
            index, f"+1555010{int.from_bytes(digest[1:3], 'big') % 10000:04d}", country, **params
        )
    if "custom" in search:
        item["custom"] = search["custom"]
    return item
