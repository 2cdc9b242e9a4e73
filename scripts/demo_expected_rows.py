"""Write the rows the dbt models must hold for the fake Enrow API's demo data.

The expected rows are worked out here in Python, from the fake's demo batches and single
searches and the API contract, not from the models' SQL, so the dbt singular tests in
transform/tests/demo compare the models against an independent account of the data.
Regenerate the seeds after changing the demo data (fake_enrow/data.py) or the tap's
schemas:

    uv run python scripts/demo_expected_rows.py

tests/test_dbt_project.py fails while the committed seeds differ from what this writes.
"""

from __future__ import annotations

import csv
import io
import json
import typing as t
from pathlib import Path

from fake_enrow.data import demo_batches, demo_single_searches

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "transform" / "seeds" / "demo"
# The demo batches a run can read (the expired id answers 400) and every single search.
DEMO_BATCH_IDS = [b.batch_id for b in demo_batches()]
DEMO_SINGLE_IDS = [s.search_id for s in demo_single_searches()]
BATCH_QUALITY_COLUMNS = (
    "batch_id",
    "status",
    "requested",
    "found",
    "hit_rate",
    "credits_spent",
    "credits_refunded",
    "credits_per_found_number",
    "results_loaded",
)
LATEST_PHONE_COLUMNS = (
    "lead_key",
    "lead_key_type",
    "phone_number",
    "country",
    "source",
    "batch_id",
    "search_index",
    "single_search_id",
    "numbers_found_for_lead",
)
Row = dict[str, t.Any]


def custom_reaches_warehouse_as_text() -> bool:
    """True when the tap sends a search's custom as a string (non-strings as JSON text).

    Older tap versions send it as any JSON value; the warehouse then holds a JSON column
    and only a JSON string is a lead's id.
    """
    schema = json.loads((REPO / "schemas" / "phone_results.json").read_text())
    types = schema["properties"]["custom"]["type"]
    return "object" not in (types if isinstance(types, list) else [types])


def search_custom(value: object) -> str | None:
    """A search's custom as the staging models read it."""
    if isinstance(value, str):
        return value
    if value is None or not custom_reaches_warehouse_as_text():
        return None
    return json.dumps(value, separators=(",", ":"))


def linkedin_key(url: str | None) -> str | None:
    """A LinkedIn URL without scheme, www., query, fragment or trailing slash, lower case."""
    if url is None:
        return None
    key = url.strip().lower().replace("https://", "").replace("http://", "").replace("www.", "")
    key = key.split("?")[0].split("#")[0].rstrip("/")
    return key or None


def lead_key(custom: str | None, params: dict[str, t.Any]) -> tuple[str, str] | None:
    """(key type, key): the custom id, else the LinkedIn URL, else names and company."""
    if custom is not None and custom.strip():
        return "custom", custom.strip()
    if url_key := linkedin_key(params.get("linkedin_url")):
        return "linkedin_url", url_key
    first, last = params.get("firstname"), params.get("lastname")
    if (first or "").strip() or (last or "").strip():
        domain, name = params.get("company_domain"), params.get("company_name")
        company = domain if domain is not None else name
        parts = [first or "", last or "", company or ""]
        return "name_company", "|".join(part.strip().lower() for part in parts)
    return None


def final_documents(batch_ids: list[str]) -> list[dict[str, t.Any]]:
    """Each batch's answer once it stopped changing (a running batch has finished)."""
    batches = {b.batch_id: b for b in demo_batches()}
    return [batches[i].document(len(batches[i].statuses)) for i in batch_ids]


def expected_batch_quality(batch_ids: list[str]) -> list[Row]:
    """enrow_batch_quality's rows for these batches, read until they finished."""
    rows = []
    for document in final_documents(batch_ids):
        status, stats = document["general"]["status"], document.get("stats", {})
        requested = stats.get("requested")
        found = stats.get("found", stats.get("valid"))  # `valid` in older API versions
        spent = stats.get("credits_cost")
        rows.append(
            {
                "batch_id": document["general"]["id"],
                "status": status,
                "requested": requested,
                "found": found,
                "hit_rate": round(found / requested, 4)
                if requested and found is not None and status != "ongoing"
                else None,
                "credits_spent": spent,
                "credits_refunded": stats.get("credits_to_refund"),
                "credits_per_found_number": round(spent / found, 2) if found and spent else None,
                "results_loaded": len(document.get("results", [])),
            }
        )
    return sorted(rows, key=lambda row: str(row["batch_id"]))


def expected_latest_phone(batch_ids: list[str], single_ids: list[str]) -> list[Row]:
    """enrow_latest_phone_per_lead's rows for these batches and single searches."""
    found: list[Row] = []
    for document in final_documents(batch_ids):
        for item in document.get("results", []):
            found.extend(
                _found_row(item, source="bulk", batch_id=document["general"]["id"])
                if item["qualification"] == "found"
                else []
            )
    singles = {s.search_id: s for s in demo_single_searches()}
    for search_id in single_ids:
        search = singles[search_id]
        # The first read after it stopped running answers 200 with the result.
        _, answer = search.answer(search.ongoing_reads + 1)
        if answer["qualification"] == "found":
            found.extend(_found_row(answer, source="single", single_search_id=search_id))
    by_lead: dict[str, Row] = {}
    for row in found:
        if row["lead_key"] in by_lead:
            # Which number is the latest would depend on load times: keep the demo simple.
            msg = f"the demo data finds {row['lead_key']!r} twice; expected rows need load times"
            raise ValueError(msg)
        by_lead[row["lead_key"]] = row
    return [by_lead[key] for key in sorted(by_lead)]


def _found_row(
    item: dict[str, t.Any],
    *,
    source: str,
    batch_id: str | None = None,
    single_search_id: str | None = None,
) -> list[Row]:
    key = lead_key(search_custom(item.get("custom")), item.get("params") or {})
    if key is None or not item.get("number"):
        return []
    country = item.get("country")
    return [
        {
            "lead_key": key[1],
            "lead_key_type": key[0],
            "phone_number": item["number"],
            "country": country.upper() if country else None,
            "source": source,
            "batch_id": batch_id,
            "search_index": int(item["index"]) if batch_id is not None else None,
            "single_search_id": single_search_id,
            "numbers_found_for_lead": 1,
        }
    ]


def to_csv(rows: list[Row], columns: tuple[str, ...]) -> str:
    """CSV text as dbt seeds it: a header, empty fields for nulls."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def seed_files() -> dict[Path, str]:
    """Every demo seed file and the text it should hold."""
    return {
        SEEDS / "expected_batch_quality.csv": to_csv(
            expected_batch_quality(DEMO_BATCH_IDS), BATCH_QUALITY_COLUMNS
        ),
        SEEDS / "expected_latest_phone_per_lead.csv": to_csv(
            expected_latest_phone(DEMO_BATCH_IDS, DEMO_SINGLE_IDS), LATEST_PHONE_COLUMNS
        ),
    }


def main() -> int:
    """Write the seeds."""
    for path, text in seed_files().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
