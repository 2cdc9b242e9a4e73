"""Checks shared by the reliability tests: records exactly once, one-line errors, no leak."""

from __future__ import annotations

import json
import typing as t

from fake_enrow.data import GENERATED_ID

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer
    from tests.helpers import SyncOutput


# Every run of the suite logs at DEBUG, where a leak would be likeliest.
DEBUG_ENV = {"TAP_ENROW_PHONE_LOGLEVEL": "DEBUG"}


def error_lines(stderr: str) -> list[str]:
    """The ERROR log lines of a run's stderr."""
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def generated_ids(label: str, count: int, size: int) -> list[str]:
    """Ids the fake serves as completed batches of `size` results each."""
    ids = [f"gen-{label}{n:02d}-{size}" for n in range(count)]
    assert all(GENERATED_ID.match(batch_id) for batch_id in ids)
    return ids


def expected_result_keys(batch_ids: t.Iterable[str]) -> set[tuple[str, int]]:
    """Every `phone_results` key the generated batches hold."""
    keys: set[tuple[str, int]] = set()
    for batch_id in batch_ids:
        match = GENERATED_ID.match(batch_id)
        assert match, batch_id
        keys |= {(batch_id, index) for index in range(int(match.group(1)))}
    return keys


def result_keys(*runs: SyncOutput) -> list[tuple[str, int]]:
    """The `phone_results` keys the runs emitted, repeats included."""
    return [
        (r["batch_id"], r["index"]) for run in runs for r in run.records.get("phone_results", [])
    ]


def assert_nothing_leaked(out: SyncOutput, fake: FakeEnrowServer, api_key: str) -> None:
    """No key and no phone number the fake served in stderr, errors, state or contexts."""
    assert fake.served_numbers, "the check needs numbers to look for"
    state_text = json.dumps(out.states)
    places = {"stderr": out.stderr, "state": state_text, "error": str(out.error or "")}
    for where, text in places.items():
        assert api_key not in text, f"API key in {where}"
        for number in fake.served_numbers:
            assert number not in text, f"a served phone number in {where}"
