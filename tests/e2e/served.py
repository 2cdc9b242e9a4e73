"""What the fake Enrow API served, restated as the rows each stream should hold.

Written from the API contract, not from the tap's code, so a load is checked against
the source and not against the tap's own idea of it.
"""

from __future__ import annotations

import json
import typing as t

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer

Rows = dict[str, list[dict[str, t.Any]]]
STREAMS = ("batches", "batch_stats", "phone_results")
# Phone details are off (the default) in these runs: the schema's columns exist, empty.
PHONE_DETAILS_OFF = {"number_type": None, "number_valid": None, "number_national": None}
KEYS = {"batches": ("id",), "batch_stats": ("batch_id",), "phone_results": ("batch_id", "index")}


def last_served_rows(fake: FakeEnrowServer, batch_ids: list[str]) -> Rows:
    """Rows per stream from the last answer the fake gave for each batch."""
    rows: Rows = {stream: [] for stream in STREAMS}
    reads = fake.stats()["requests"]
    for batch_id in batch_ids:
        batch = fake.catalog.get(batch_id)
        assert batch is not None, batch_id
        assert reads.get(batch_id), f"{batch_id} was never requested"
        _add_document(rows, batch.document(reads[batch_id]))
    return sort_rows(rows)


def _add_document(rows: Rows, document: dict[str, t.Any]) -> None:
    general, stats = document["general"], document.get("stats", {})
    batch_id, status = general["id"], general["status"]
    rows["batches"].append({"id": batch_id, "status": status, "custom": general.get("custom")})
    rows["batch_stats"].append(
        {
            "batch_id": batch_id,
            "status": status,
            "requested": stats.get("requested"),
            "finished": stats.get("finished"),
            # Older API versions call it `valid`.
            "found": stats.get("found", stats.get("valid")),
            "credits_cost": stats.get("credits_cost"),
            "credits_to_refund": stats.get("credits_to_refund"),
        }
    )
    for item in document.get("results", []):
        country = item.get("country")
        rows["phone_results"].append(
            {
                "batch_id": batch_id,
                "index": int(item["index"]),
                "qualification": item["qualification"],
                "number": item.get("number"),
                "country": country.upper() if country else None,
                "custom": search_custom(item.get("custom")),
                "params": item.get("params"),
                **PHONE_DETAILS_OFF,
            }
        )


def search_custom(sent: object) -> str | None:
    """A search's `custom` column: the string sent, or the JSON text of any other value."""
    if sent is None or isinstance(sent, str):
        return sent
    return json.dumps(sent, ensure_ascii=False, separators=(",", ":"))


def sort_rows(rows: Rows) -> Rows:
    """Rows in key order, for comparisons that ignore load order."""
    return {
        stream: sorted(found, key=lambda row: tuple(row[k] for k in KEYS[stream]))
        for stream, found in rows.items()
    }


def last_served_single_rows(fake: FakeEnrowServer, search_ids: list[str]) -> list[dict[str, t.Any]]:
    """`single_phone_results` rows from the last answer the fake gave for each search."""
    rows = []
    reads = fake.stats()["requests"]
    for search_id in search_ids:
        search = fake.catalog.get_single(search_id)
        assert search is not None, search_id
        status, answer = search.answer(reads[search_id])
        # 202: still running; only the qualification is known.
        country = answer.get("country") if status == 200 else None
        rows.append(
            {
                "id": search_id,
                "qualification": answer["qualification"],
                "number": answer.get("number"),
                "country": country.upper() if country else None,
                "custom": search_custom(answer.get("custom")),
                "params": answer.get("params"),
                **PHONE_DETAILS_OFF,
            }
        )
    return sorted(rows, key=lambda row: str(row["id"]))
