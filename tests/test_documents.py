"""Parsing one batch answer: both documented shapes and every drift load cleanly."""

from __future__ import annotations

import json

import pytest

from tap_enrow_phone.documents import parse_batch_document
from tap_enrow_phone.errors import MalformedBatchError


def completed_document(**overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "general": {"id": "b1", "status": "completed", "custom": {"crm_list": "q3"}},
        "stats": {"credits_cost": 40, "credits_to_refund": 40, "requested": 2, "found": 1},
        "results": [
            {
                "index": 0,
                "qualification": "found",
                "number": "+15705551234",
                "country": "US",
                "params": {"linkedin_url": "https://www.linkedin.com/in/a"},
            },
            {
                "index": 1,
                "qualification": "not_found",
                "params": {"linkedin_url": "https://www.linkedin.com/in/b"},
            },
        ],
    }
    document.update(overrides)
    return document


def test_current_shape_gives_one_record_per_stream_and_result() -> None:
    doc = parse_batch_document("b1", completed_document())
    assert doc.batch == {"id": "b1", "status": "completed", "custom": {"crm_list": "q3"}}
    assert doc.stats == {
        "batch_id": "b1",
        "status": "completed",
        "requested": 2,
        "finished": None,
        "found": 1,
        "credits_cost": 40,
        "credits_to_refund": 40,
    }
    assert doc.results[0] == {
        "batch_id": "b1",
        "index": 0,
        "qualification": "found",
        "number": "+15705551234",
        "country": "US",
        "custom": None,
        "params": {"linkedin_url": "https://www.linkedin.com/in/a"},
    }
    assert doc.results[1]["number"] is None
    assert doc.results[1]["country"] is None
    assert doc.is_terminal


def test_older_docs_shape_valid_string_index_lower_country_missing_custom() -> None:
    document = {
        "general": {"id": "b1", "status": "completed"},
        "stats": {"credits_cost": 40, "requested": 1, "valid": 1},
        "results": [
            {
                "index": "7",
                "qualification": "found",
                "number": "+33155501234",
                "country": "fr",
                "params": {},
                "unknown_field": 1,
            }
        ],
        "unknown_top_level": {"x": 1},
    }
    doc = parse_batch_document("b1", document)
    assert doc.stats["found"] == 1
    assert doc.stats["credits_to_refund"] is None
    assert doc.batch["custom"] is None
    assert doc.results[0]["index"] == 7
    assert doc.results[0]["country"] == "FR"
    assert "unknown_field" not in doc.results[0]


def test_result_custom_string_is_kept_as_is_and_absent_is_null() -> None:
    document = completed_document()
    document["results"][0]["custom"] = "#u84hde941Jdx Zoë"  # type: ignore[index]
    doc = parse_batch_document("b1", document)
    assert [r["custom"] for r in doc.results] == ["#u84hde941Jdx Zoë", None]


@pytest.mark.parametrize(
    ("sent", "column"),
    [
        ({"row": 3, "list": "q3"}, '{"row":3,"list":"q3"}'),
        (["a", "ß"], '["a","ß"]'),
        (42, "42"),
        (2.5, "2.5"),
        (True, "true"),
        ("", ""),
        ("null", "null"),
    ],
)
def test_result_custom_of_another_json_type_becomes_its_json_text(
    sent: object, column: str
) -> None:
    document = completed_document()
    document["results"][0]["custom"] = sent  # type: ignore[index]
    [record, _] = parse_batch_document("b1", document).results
    assert record["custom"] == column
    if not isinstance(sent, str):
        assert json.loads(record["custom"]) == sent  # nothing lost


def test_ongoing_batch_has_counters_and_no_results() -> None:
    document = {
        "general": {"id": "b1", "status": "ongoing"},
        "stats": {"requested": 3000, "finished": 1200},
    }
    doc = parse_batch_document("b1", document)
    assert doc.stats["requested"] == 3000
    assert doc.stats["finished"] == 1200
    assert doc.stats["found"] is None
    assert doc.results == []
    assert not doc.is_terminal


def test_failed_batch_keeps_the_results_that_came_back_and_is_terminal() -> None:
    doc = parse_batch_document("b1", completed_document(general={"id": "b1", "status": "failed"}))
    assert len(doc.results) == 2
    assert doc.is_terminal


def test_missing_stats_gives_null_counters() -> None:
    document = completed_document()
    del document["stats"]
    doc = parse_batch_document("b1", document)
    assert doc.stats["requested"] is None


def test_bad_result_items_are_skipped_and_the_batch_stays_unfinished() -> None:
    document = completed_document()
    document["results"].append({"index": "x", "qualification": "found"})  # type: ignore[attr-defined]
    doc = parse_batch_document("b1", document)
    assert len(doc.results) == 2
    assert doc.rejected_results == 1
    assert not doc.is_terminal


@pytest.mark.parametrize(
    ("document", "what"),
    [
        ([], "not a JSON object"),
        ({"stats": {}}, "'general'"),
        ({"general": {"id": "b1", "status": "paused"}}, "'general.status'"),
        ({"general": {"id": "b1", "status": "completed"}, "results": {"0": {}}}, "'results'"),
        (
            {"general": {"id": "b1", "status": "completed"}, "stats": {"found": "many"}},
            "'stats.found'",
        ),
    ],
)
def test_documents_that_are_not_the_documented_shape_raise_the_tap_error(
    document: object, what: str
) -> None:
    with pytest.raises(MalformedBatchError, match="b1") as info:
        parse_batch_document("b1", document)
    assert what in str(info.value)
