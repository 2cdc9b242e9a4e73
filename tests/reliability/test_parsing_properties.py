"""Thousands of generated answers through the parser: records that fit, or the tap's error.

Three families: documented and drifted answers (both doc versions, case and type drift,
extra keys), those answers with one part swapped for any JSON value or removed, and
JSON of any shape. Whatever comes in, the parser either returns records that validate
against the stream schemas or raises `MalformedBatchError` naming the batch and no value.
Derandomized and database-free, so CI sees the same examples on every run.
"""

from __future__ import annotations

import json
import re
import typing as t

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# jsonschema (a runtime dependency) ships no type hints.
from jsonschema.validators import validator_for  # type: ignore[import-untyped]

from tap_enrow_phone.documents import parse_batch_document
from tap_enrow_phone.errors import MalformedBatchError
from tests.helpers import REPO

if t.TYPE_CHECKING:
    from tests.reliability.conftest import Figures

BATCH_ID = "b-prop-1"
PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    # `figures` is a suite-wide tally, the same object for every example.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


def _validator(stream: str) -> t.Any:
    schema = json.loads((REPO / "schemas" / f"{stream}.json").read_text())
    return validator_for(schema)(schema)


VALIDATORS = {stream: _validator(stream) for stream in ("batches", "batch_stats", "phone_results")}

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=6,
)
PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{7,12}")
# Prebuilt values where any JSON is allowed but its shape does not matter to the parser:
# drawing deep JSON there would spend the time budget on the generator.
SAMPLE_JSON = st.sampled_from([None, True, 0, -1.5, "", "q3", [], [1, "a"], {}, {"k": [None]}])
phone_numbers = st.integers(10**7, 10**13 - 1).map(lambda n: f"+{n}")
counts = st.integers(0, 5000) | st.integers(0, 5000).map(str) | st.integers(0, 5000).map(float)
statuses = st.sampled_from(["completed", "ongoing", "failed", "Completed", " FAILED ", "ONGOING"])


@st.composite
def result_items(draw: st.DrawFn) -> dict[str, t.Any]:
    """One result item, in the current or the older docs' shape."""
    found = draw(st.booleans())
    item: dict[str, t.Any] = {
        "index": draw(st.integers(0, 3000) | st.integers(0, 3000).map(str)),
        "qualification": draw(
            st.sampled_from(["found", "Found"] if found else ["not_found", "NOT_FOUND "])
        ),
        "params": draw(
            st.sampled_from(
                [
                    None,
                    {},
                    {"linkedin_url": "https://www.linkedin.com/in/a"},
                    {"firstname": "Ada", "company_domain": "x.io"},
                ]
            )
        ),
    }
    if found:
        item["number"] = draw(phone_numbers)
        item["country"] = draw(st.sampled_from(["US", "fr", "De", ""]))
    if draw(st.booleans()):
        item["custom"] = draw(SAMPLE_JSON)
    if draw(st.booleans()):
        item["source"] = draw(SAMPLE_JSON)  # a key no doc version has
    return item


@st.composite
def documented_answers(draw: st.DrawFn) -> dict[str, t.Any]:
    """An answer as either doc version describes it, with the drift seen in the wild."""
    status = draw(statuses)
    general: dict[str, t.Any] = {"id": BATCH_ID, "status": status}
    if draw(st.booleans()):
        general["custom"] = draw(st.dictionaries(st.text(max_size=8), SAMPLE_JSON, max_size=3))
    names = ["requested", "finished", "credits_cost", "credits_to_refund"]
    names.append(draw(st.sampled_from(["found", "valid"])))
    stats = {name: draw(counts) for name in names if draw(st.booleans())}
    answer: dict[str, t.Any] = {"general": general, "stats": stats}
    if status.strip().lower() != "ongoing" or draw(st.booleans()):
        answer["results"] = draw(st.lists(result_items(), max_size=4))
    return answer


@st.composite
def damaged_answers(draw: st.DrawFn) -> dict[str, t.Any]:
    """A documented answer with one part replaced by any JSON value, or removed."""
    answer = draw(documented_answers())
    paths: list[tuple[t.Any, str | int]] = [
        (answer, key) for key in ("general", "stats", "results")
    ]
    paths += [(answer["general"], key) for key in ("status", "custom")]
    paths += [(answer["stats"], key) for key in ("requested", "found", "valid")]
    for item in answer.get("results", []):
        paths += [(item, key) for key in ("index", "qualification", "number", "country", "params")]
    if answer.get("results"):
        paths.append((answer["results"], 0))
    container, key = draw(st.sampled_from(paths))
    if isinstance(container, dict) and draw(st.booleans()):
        container.pop(key, None)
    else:
        container[key] = draw(json_values | phone_numbers)
    return answer


def _phone_numbers_in(value: object) -> set[str]:
    """Every phone-number-like string in a document, to check none reaches an error."""
    if isinstance(value, str):
        return {value} if PHONE_NUMBER.fullmatch(value) else set()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_phone_numbers_in(v) for v in value))
    return set()


def _check(answer: object, figures: Figures) -> None:
    try:
        document = parse_batch_document(BATCH_ID, answer)
    except MalformedBatchError as error:
        message = str(error)
        assert message.startswith(f"Batch {BATCH_ID!r}: the API answered with an unexpected")
        assert not any(number in message for number in _phone_numbers_in(answer))
        figures.documents_generated += 1
        return
    VALIDATORS["batches"].validate(document.batch)
    VALIDATORS["batch_stats"].validate(document.stats)
    for record in document.results:
        VALIDATORS["phone_results"].validate(record)
    assert document.batch["id"] == document.stats["batch_id"] == BATCH_ID
    assert all(record["batch_id"] == BATCH_ID for record in document.results)
    if document.status == "ongoing":
        assert document.results == []
    elif isinstance(answer, dict) and isinstance(answer.get("results"), list):
        # Every item is either a record or counted as rejected: none silently dropped.
        assert len(document.results) + document.rejected_results == len(answer["results"])
    assert not (document.is_terminal and document.rejected_results)
    figures.documents_generated += 1


@settings(PROPERTY_SETTINGS, max_examples=1000)
@given(answer=documented_answers())
def test_documented_and_drifted_answers_always_give_valid_records(
    figures: Figures, answer: dict[str, t.Any]
) -> None:
    document = parse_batch_document(BATCH_ID, answer)  # never an error for these
    assert document.rejected_results == 0
    _check(answer, figures)


@settings(PROPERTY_SETTINGS, max_examples=1000)
@given(answer=damaged_answers())
def test_damaged_answers_give_valid_records_or_the_tap_error(
    figures: Figures, answer: dict[str, t.Any]
) -> None:
    _check(answer, figures)


@settings(PROPERTY_SETTINGS, max_examples=1000)
@given(answer=json_values)
def test_any_json_gives_valid_records_or_the_tap_error(figures: Figures, answer: object) -> None:
    _check(answer, figures)
