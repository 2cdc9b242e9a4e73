"""Answers that are not the documented shape: the tap's own error per batch, nothing lost.

One real tap run at DEBUG reads good batches mixed with batches whose 200 answer is
broken in a different way each; then a second run, given the state, reads the broken
ones again once the API answers properly.
"""

from __future__ import annotations

import typing as t

from fake_enrow import DEMO_API_KEY, FakeEnrowServer, Fault
from tests.helpers import run_tap_cli
from tests.reliability.support import (
    DEBUG_ENV,
    assert_nothing_leaked,
    error_lines,
    expected_result_keys,
    result_keys,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.reliability.conftest import Figures

GOOD_ITEMS = [
    {"index": 0, "qualification": "found", "number": "+19995550111", "country": "US"},
    {"index": 1, "qualification": "found", "number": "+19995550112", "country": "us"},
]
STATS = {"requested": 4, "found": 2, "credits_cost": 80}


def _completed(**overrides: t.Any) -> dict[str, t.Any]:
    document = {"general": {"status": "completed"}, "stats": STATS, "results": GOOD_ITEMS}
    document.update(overrides)
    return document


def _nested(levels: int) -> dict[str, t.Any]:
    value: dict[str, t.Any] = {"leaf": True}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


# name -> (the broken answer, what the error line must say about it)
BROKEN_ANSWERS: dict[str, tuple[t.Any, str]] = {
    "not-an-object": ([_completed()], "not a JSON object"),
    "general-missing": (
        {"stats": STATS, "results": GOOD_ITEMS},
        "'general' is missing or not an object",
    ),
    "general-a-string": (_completed(general="completed"), "'general' is missing"),
    "status-unknown": (_completed(general={"status": "paused"}), "'general.status'"),
    "status-a-number": (_completed(general={"status": 2}), "'general.status'"),
    "results-an-object": (_completed(results={"0": GOOD_ITEMS[0]}), "'results' is not a list"),
    "results-a-string": (_completed(results="+19995550113"), "'results' is not a list"),
    "stats-wrong-type": (_completed(stats={"found": "many"}), "'stats.found'"),
    "stats-a-list": (_completed(stats=[1, 2]), "'stats' is not an object"),
    "custom-a-string": (
        _completed(general={"status": "completed", "custom": "q3"}),
        "'general.custom'",
    ),
    # Deep enough to pass the decoder, too deep for any real `custom`: refused before it
    # reaches the encoder or a target.
    "custom-nested-40-deep": (
        _completed(general={"status": "completed", "custom": _nested(40)}),
        "'general.custom' nests over 32 levels deep",
    ),
}
BAD_ITEMS = [
    {"index": "two", "qualification": "found", "number": "+19995550114"},
    {"index": 3, "qualification": "found", "number": 19995550115},
    "+19995550116",
    {"index": 5, "qualification": "maybe"},
    {"index": 6, "qualification": "not_found", "params": _nested(40)},
]


def test_broken_answers_fail_the_batch_in_its_own_words_and_nothing_is_lost(
    fake_api: FakeEnrowServer, tmp_path: Path, figures: Figures
) -> None:
    good = ["gen-good0-4", "gen-good1-4"]
    partly_bad = "gen-partly-4"
    broken = {f"gen-{name.replace('-', '_')}-4": answer for name, answer in BROKEN_ANSWERS.items()}
    ids = [good[0], *broken, partly_bad, good[1]]
    for batch_id, (answer, _) in broken.items():
        fake_api.script(batch_id, Fault(200, answer))
    fake_api.script(partly_bad, Fault(200, _completed(results=[*GOOD_ITEMS, *BAD_ITEMS])))
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids": ids}

    first = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert first.returncode == 1
    for word in ("Traceback", "KeyError", "TypeError", "AttributeError"):
        assert word not in first.stderr
    errors = error_lines(first.stderr)
    for batch_id, (_, what) in broken.items():
        [line] = [e for e in errors if f"Batch {batch_id!r}:" in e]
        assert what in line
    [partly_line] = [e for e in errors if f"Batch {partly_bad!r}:" in e]
    assert f"{len(BAD_ITEMS)} result item(s) are not the documented shape" in partly_line
    unread = [*broken, partly_bad]
    assert f"{len(unread)} batch(es) could not be read" in errors[-1]
    assert all(repr(batch_id) in errors[-1] for batch_id in unread)
    assert len(errors) == len(unread) + 1

    # Good batches whole and done; the partly bad one keeps its well-formed records but
    # is not done; the broken ones emit nothing and are not done.
    assert first.ids("batches") == [good[0], partly_bad, good[1]]
    assert set(result_keys(first)) == expected_result_keys(good) | {
        (partly_bad, 0),
        (partly_bad, 1),
    }
    assert len(result_keys(first)) == len(set(result_keys(first)))
    assert all(first.is_finished(batch_id) for batch_id in good)
    assert first.is_finished(partly_bad) is False
    assert first.finished() == set(good)

    second = run_tap_cli(config, tmp_path, state=first.last_state, env=DEBUG_ENV)

    assert second.returncode == 0
    assert second.ids("batches") == unread
    requests = fake_api.stats()["requests"]
    assert all(requests[batch_id] == 1 for batch_id in good)
    assert all(requests[batch_id] == 2 for batch_id in unread)
    assert set(result_keys(first, second)) == expected_result_keys(ids)
    for run in (first, second):
        assert_nothing_leaked(run, fake_api, DEMO_API_KEY)
    figures.malformed_answers_reported.update(
        {"200 not the documented shape (whole answer)": len(broken)}
    )
    figures.malformed_answers_reported["200 with result items not the documented shape"] += 1
    figures.delivered(expected_result_keys(ids), result_keys(first, second))
