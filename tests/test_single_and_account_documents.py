"""Parsing single search and account answers: drift loads, broken shapes are named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tap_enrow_phone.documents import parse_account_document, parse_single_document
from tap_enrow_phone.errors import EnrowTapError, SingleSearchError

READ_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))


def test_single_answer_drift_is_absorbed() -> None:
    record = parse_single_document(
        "s1",
        {
            "qualification": " Found ",
            "number": "+15705551234",
            "country": "us",
            "params": {"linkedin_url": "https://www.linkedin.com/in/a"},
            "custom": ["any", "json"],  # not a string: kept as JSON text
            "credits_used": 40,  # an extra key is ignored
        },
    )
    assert record == {
        "id": "s1",
        "qualification": "found",
        "number": "+15705551234",
        "country": "US",
        "custom": '["any","json"]',
        "params": {"linkedin_url": "https://www.linkedin.com/in/a"},
    }


def test_a_202_ongoing_answer_is_a_record_with_nulls() -> None:
    assert parse_single_document("s1", {"qualification": "ongoing"}) == {
        "id": "s1",
        "qualification": "ongoing",
        "number": None,
        "country": None,
        "custom": None,
        "params": None,
    }


@pytest.mark.parametrize(
    "document",
    [
        [],
        {},
        {"qualification": "maybe"},
        {"qualification": "found", "number": 15705551234},
        {"qualification": "found", "params": "linkedin"},
    ],
)
def test_broken_single_answers_name_the_id_never_the_value(document: object) -> None:
    with pytest.raises(SingleSearchError, match=r"^Single search 's1': the API answered") as info:
        parse_single_document("s1", document)
    assert "15705551234" not in str(info.value)


def test_account_record_is_keyed_on_utc_read_time() -> None:
    record = parse_account_document({"credits": 36000.0, "webhooks": []}, READ_AT)
    assert record == {"read_at": "2026-01-02T01:04:05+00:00", "credits": 36000, "webhooks": []}
    assert parse_account_document({"credits": 1}, READ_AT)["webhooks"] is None


@pytest.mark.parametrize(
    ("document", "what"),
    [
        ("nope", "not a JSON object"),
        ({"credits": -1}, "'credits' is not a non-negative whole number"),
        ({"credits": True}, "'credits' is not a non-negative whole number"),
        ({"credits": 1, "webhooks": "https://x"}, "'webhooks' is not a list of URLs"),
    ],
)
def test_broken_account_answers_are_named(document: object, what: str) -> None:
    with pytest.raises(EnrowTapError, match="Account info: the API answered") as info:
        parse_account_document(document, READ_AT)
    assert what in str(info.value)
