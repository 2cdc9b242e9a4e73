"""The batches the fake serves: a small demo set, plus generated ones for benchmarks."""

from __future__ import annotations

import json
import re
import typing as t
from dataclasses import dataclass, field
from functools import lru_cache

DEMO_API_KEY = "demo-key"
# Any id of this form is a completed batch with <results> generated results:
# gen-<any label>-<results>, e.g. gen-0001-3000.
GENERATED_ID = re.compile(r"^gen-[A-Za-z0-9_.]+-(\d{1,5})$")


@dataclass
class Batch:
    """One bulk phone search as the fake serves it.

    `statuses` is what successive reads see: ["ongoing", "completed"] answers ongoing
    on the first read and completed from the second on.
    """

    batch_id: str
    statuses: list[str]
    results: list[dict[str, t.Any]] = field(default_factory=list)
    custom: dict[str, t.Any] | None = None
    # "current" is today's documented shape; "legacy" is the older docs' one
    # (`valid` for `found`, string indexes, lower-case countries, no custom).
    shape: str = "current"
    # Extra keys an API may add without notice; the tap must ignore them.
    extra: dict[str, t.Any] = field(default_factory=dict)

    def document(self, read_number: int) -> dict[str, t.Any]:
        """The answer to the `read_number`-th (1-based) read of this batch."""
        status = self.statuses[min(read_number, len(self.statuses)) - 1]
        general: dict[str, t.Any] = {"id": self.batch_id, "status": status}
        requested = len(self.results)
        if status == "ongoing":  # documented: only id and status, requested and finished
            finished = requested // 2
            return {"general": general, "stats": {"requested": requested, "finished": finished}}
        if self.custom is not None and self.shape == "current":
            general["custom"] = self.custom
        found = sum(1 for r in self.results if r["qualification"] == "found")
        if self.shape == "legacy":
            stats: dict[str, t.Any] = {
                "credits_cost": 40 * found,
                "requested": requested,
                "valid": found,
            }
            results = [_legacy_item(r) for r in self.results]
        else:
            stats = {
                "credits_cost": 40 * found,
                "credits_to_refund": 40 * (requested - found),
                "requested": requested,
                "found": found,
            }
            results = [dict(r) for r in self.results]
        document = {"general": general, "stats": stats, "results": results}
        document.update(self.extra)
        return document


def _legacy_item(item: dict[str, t.Any]) -> dict[str, t.Any]:
    legacy = dict(item)
    legacy["index"] = str(item["index"])
    if isinstance(item.get("country"), str):
        legacy["country"] = item["country"].lower()
    legacy["source"] = "legacy-extra-field"
    return legacy


def found(
    index: int, number: str, country: str, *, custom: str | None = None, **params: str
) -> dict[str, t.Any]:
    """A result item that found a phone number; `custom` is the search's own id, if any."""
    item = {
        "index": index,
        "qualification": "found",
        "number": number,
        "country": country,
        "params": params,
    }
    return _with_custom(item, custom)


def not_found(index: int, *, custom: str | None = None, **params: str) -> dict[str, t.Any]:
    """A result item that found nothing: no number, no country, as documented."""
    return _with_custom({"index": index, "qualification": "not_found", "params": params}, custom)


def _with_custom(item: dict[str, t.Any], custom: str | None) -> dict[str, t.Any]:
    # The docs: a search submitted with a `custom` string gets it back on its result;
    # a search submitted without one has no `custom` key at all.
    if custom is not None:
        item["custom"] = custom
    return item


def demo_batches() -> list[Batch]:
    """The demo set: every status and both documented shapes. Numbers are fictional.

    Most searches carry their own `custom` string (CRM-like lead ids, one with non-ASCII
    letters), as every search does once leads are submitted by a tool that tracks them;
    one search has none, as the docs allow.
    """
    return [
        Batch(
            "b-demo-linkedin-completed",
            ["completed"],
            [
                found(
                    0,
                    "+15705551234",
                    "US",
                    custom="00Q5e000001MsCott",
                    linkedin_url="https://www.linkedin.com/in/michael-scott",
                ),
                found(
                    1,
                    "+15705555678",
                    "US",
                    custom="00Q5e000001DwSchr",
                    linkedin_url="https://www.linkedin.com/in/dwight-schrute",
                ),
                not_found(
                    2,
                    custom="#u84hde941Jdx",
                    linkedin_url="https://www.linkedin.com/in/toby-flenderson",
                ),
            ],
            custom={"crm_list": "q3"},
        ),
        Batch(
            "b-demo-names-legacy",
            ["completed"],
            [
                found(
                    0,
                    "+33155501234",
                    "FR",
                    firstname="Amélie",
                    lastname="Poulain",
                    company_domain="cafe-des-2-moulins.fr",
                ),
                not_found(
                    1, firstname="Jean", lastname="Valjean", company_name="Montreuil Industries"
                ),
            ],
            shape="legacy",
            extra={"meta": {"api_version": "old"}},
        ),
        Batch(
            "b-demo-ongoing-then-completed",
            ["ongoing", "completed"],
            [
                found(
                    0,
                    "+442075550123",
                    "GB",
                    custom="hubspot-1201",
                    linkedin_url="https://www.linkedin.com/in/mark-brendanawicz",
                ),
                found(
                    1,
                    "+442075550456",
                    "GB",
                    custom="hubspot-1202",
                    linkedin_url="https://www.linkedin.com/in/ann-perkins",
                ),
                not_found(2, linkedin_url="https://www.linkedin.com/in/jerry-gergich"),
                found(
                    3,
                    "+442075550789",
                    "GB",
                    custom="hubspot-1204 Zoë Łódź",
                    linkedin_url="https://www.linkedin.com/in/april-ludgate",
                ),
            ],
            custom={"campaign": "uk-outbound"},
        ),
        Batch(
            "b-demo-failed",
            ["failed"],
            [
                found(
                    0,
                    "+4930555012",
                    "DE",
                    custom="crm-0007",
                    firstname="Lola",
                    lastname="Rennt",
                    company_name="Berliner Läufer GmbH",
                )
            ],
        ),
    ]


@dataclass
class SingleSearch:
    """One single phone search (`GET /phone/single?id=`) as the fake serves it.

    The first `ongoing_reads` reads answer 202 `{"qualification": "ongoing"}`; later
    reads answer 200 with the result, as a search that finishes between two runs.
    """

    search_id: str
    result: dict[str, t.Any]
    ongoing_reads: int = 0
    custom: t.Any = None

    def answer(self, read_number: int) -> tuple[int, dict[str, t.Any]]:
        """HTTP status and body of the `read_number`-th (1-based) read."""
        if read_number <= self.ongoing_reads:
            return 202, {"qualification": "ongoing"}
        document = {k: v for k, v in self.result.items() if k != "index"}
        document["custom"] = self.custom
        return 200, document


def demo_single_searches() -> list[SingleSearch]:
    """Single searches in every documented state. Numbers are fictional."""
    return [
        SingleSearch(
            "s-demo-found",
            found(0, "+15705559876", "US", linkedin_url="https://www.linkedin.com/in/pam-beesly"),
            custom={"crm_id": "0031"},
        ),
        SingleSearch(
            "s-demo-not-found",
            not_found(0, firstname="Creed", lastname="Bratton", company_name="Dunder Mifflin"),
        ),
        SingleSearch(
            "s-demo-ongoing-then-found",
            found(0, "+442075550999", "GB", linkedin_url="https://www.linkedin.com/in/ron-swanson"),
            ongoing_reads=1,
            custom="row-17",
        ),
    ]


DEMO_ACCOUNT: dict[str, t.Any] = {
    "credits": 36000,
    "webhooks": ["https://hooks.example.com/enrow"],
}
# An id the fake answers with 400 "Could not retrieve bulk search results"; not one of
# the demo batches (a run that reads it exits 1, as with Enrow).
DEMO_EXPIRED_ID = "b-demo-expired"
# The batches the demo reads (demo/config.json, the quick start): every readable one.
DEMO_BATCH_IDS = [b.batch_id for b in demo_batches()]
DEMO_SINGLE_SEARCH_IDS = [s.search_id for s in demo_single_searches()]


class Catalog:
    """The batches a fake server knows, by id; generated ids are made on demand."""

    def __init__(
        self,
        batches: list[Batch] | None = None,
        single_searches: list[SingleSearch] | None = None,
    ) -> None:
        """Start with the given batches and single searches (the demo sets when None)."""
        self._batches = {b.batch_id: b for b in (demo_batches() if batches is None else batches)}
        singles = demo_single_searches() if single_searches is None else single_searches
        self._single_searches = {s.search_id: s for s in singles}
        self.account: dict[str, t.Any] = dict(DEMO_ACCOUNT)

    def add_single(self, search: SingleSearch) -> None:
        """Serve (or replace) one single search."""
        self._single_searches[search.search_id] = search

    def get_single(self, search_id: str) -> SingleSearch | None:
        """The single search for an id, or None (which Enrow answers with a 500)."""
        return self._single_searches.get(search_id)

    def add(self, batch: Batch) -> None:
        """Serve (or replace) one batch."""
        self._batches[batch.batch_id] = batch

    def generated_answer(self, batch_id: str) -> tuple[bytes, frozenset[str]] | None:
        """The encoded answer of a generated batch not replaced by `add`, and its numbers.

        Encoding thousands of results per request would make the fake, not the tap, the
        bottleneck of a benchmark: generated answers differ only in their id, so one
        encoded answer per size serves them all.
        """
        if batch_id in self._batches or not (match := GENERATED_ID.match(batch_id)):
            return None
        template, numbers = _generated_template(int(match.group(1)))
        return template.replace(_TEMPLATE_ID.encode(), batch_id.encode()), numbers

    def get(self, batch_id: str) -> Batch | None:
        """The batch for an id, or None for an unknown (or expired) one."""
        if batch := self._batches.get(batch_id):
            return batch
        if match := GENERATED_ID.match(batch_id):
            return generated_batch(batch_id, int(match.group(1)))
        return None


def generated_batch(batch_id: str, size: int) -> Batch:
    """A completed batch of `size` results; about two thirds found, deterministic."""
    results: list[dict[str, t.Any]] = []
    for i in range(size):
        if i % 3 == 2:
            results.append(not_found(i, linkedin_url=f"https://www.linkedin.com/in/{batch_id}-{i}"))
        else:
            results.append(
                found(
                    i,
                    f"+1555{i:07d}",
                    "US",
                    linkedin_url=f"https://www.linkedin.com/in/{batch_id}-{i}",
                )
            )
    return Batch(batch_id, ["completed"], results, custom={"source": "generated"})


def numbers_in(document: dict[str, t.Any]) -> frozenset[str]:
    """The phone numbers in a batch answer."""
    return frozenset(
        r["number"] for r in document.get("results", []) if isinstance(r, dict) and r.get("number")
    )


# Matches GENERATED_ID and holds only characters JSON leaves unescaped, so replacing it
# with any other generated id gives exactly what encoding that batch would.
_TEMPLATE_ID = "gen-TEMPLATE.ID"


@lru_cache(maxsize=32)
def _generated_template(size: int) -> tuple[bytes, frozenset[str]]:
    document = generated_batch(_TEMPLATE_ID, size).document(1)
    return json.dumps(document).encode(), numbers_in(document)
