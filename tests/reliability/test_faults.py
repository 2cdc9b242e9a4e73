"""Network and server faults, end to end: a real tap subprocess at DEBUG against the fake.

Each transient fault hits its own batch twice before the batch is served; the run must
end with every record exactly once, each retry logged with batch, cause and wait, and
no key, body or phone number anywhere in what the tap wrote.
"""

from __future__ import annotations

import re
import typing as t
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from fake_enrow import DEMO_API_KEY, FakeEnrowServer, Fault
from tests.helpers import run_tap_cli
from tests.reliability.support import (
    DEBUG_ENV,
    assert_nothing_leaked,
    error_lines,
    expected_result_keys,
    generated_ids,
    result_keys,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.reliability.conftest import Figures

# Strings planted in fault bodies: none may ever reach a log line.
BODY_MARKER = "BODY-MARKER-7f3a"
HTML = f"<html><body>{BODY_MARKER} upstream error</body></html>"
SECRET_KEY = "sk-live-RELIABILITY-5c1e9d"  # noqa: S105 - a made-up key to look for
RETRY_MAX_WAIT = 0.5
REQUEST_TIMEOUT = 1.0


def _json_error(status: int) -> dict[str, t.Any]:
    # The older docs' error shape, with a phone number inside to prove bodies stay unseen.
    return {
        "error": BODY_MARKER,
        "message": "+19995550100",
        "status": status,
        "number": "+19995550100",
    }


def _http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now), True)


def _transient_faults() -> dict[str, tuple[Fault, str | None]]:
    """Fault per name, with the wait its retries must log (None: jittered backoff)."""
    too_many = {"message": "Too Many Requests"}
    faults: dict[str, tuple[Fault, str | None]] = {
        "429": (Fault(429, too_many), None),
        "429-retry-after-0s": (Fault(429, too_many, headers={"Retry-After": "0"}), "0.0"),
        # An hour asked: capped by retry_max_wait.
        "429-retry-after-3600s": (Fault(429, too_many, headers={"Retry-After": "3600"}), "0.5"),
        "429-retry-after-past-date": (
            Fault(429, too_many, headers={"Retry-After": _http_date(-30)}),
            "0.0",
        ),
        "429-retry-after-date-in-an-hour": (
            Fault(429, too_many, headers={"Retry-After": _http_date(3600)}),
            "0.5",
        ),
        # Values that parse as floats but are no wait: ignored, the backoff applies.
        "429-retry-after-nan": (Fault(429, too_many, headers={"Retry-After": "nan"}), None),
        "429-retry-after-inf": (Fault(429, too_many, headers={"Retry-After": "inf"}), None),
        "503-retry-after-1e999": (Fault(503, HTML, headers={"Retry-After": "1e999"}), None),
        "reset": (Fault(action="reset"), None),
        "slower-than-timeout": (Fault(delay=REQUEST_TIMEOUT * 2), None),
        "truncated": (Fault(action="truncate"), None),
    }
    for status in (500, 502, 503, 504):
        faults[f"{status}-json"] = (Fault(status, _json_error(status)), None)
        faults[f"{status}-html"] = (Fault(status, HTML), None)
    return faults


RETRY_LINE = re.compile(
    r"Batch '(?P<id>[^']+)': (?P<cause>.+); retry (?P<n>\d+) of 3 in (?P<wait>\d+\.\d) s$"
)


def test_every_transient_fault_is_retried_logged_and_every_record_arrives_once(
    fake_api: FakeEnrowServer, tmp_path: Path, figures: Figures
) -> None:
    faults = _transient_faults()
    ids = generated_ids("t", len(faults), 7)
    fault_of = dict(zip(ids, faults.values(), strict=True))
    for batch_id, (fault, _) in fault_of.items():
        fake_api.script(batch_id, fault, fault)
    fake_api.api_keys.add(SECRET_KEY)
    config = {
        "api_key": SECRET_KEY,
        "api_url": fake_api.url,
        "batch_ids": ids,
        "max_retries": 3,
        "retry_max_wait": RETRY_MAX_WAIT,
        "request_timeout": REQUEST_TIMEOUT,
    }

    out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert out.returncode == 0, error_lines(out.stderr)
    assert "DEBUG" in out.stderr
    stats = fake_api.stats()
    assert stats["requests"] == dict.fromkeys(ids, 3)
    # Every record exactly once, every batch done.
    keys = result_keys(out)
    assert len(keys) == len(set(keys))
    assert set(keys) == expected_result_keys(ids)
    assert out.ids("batches") == ids
    assert out.ids("batch_stats") == ids
    assert all(out.is_finished(batch_id) for batch_id in ids)

    retries: dict[str, list[re.Match[str]]] = {batch_id: [] for batch_id in ids}
    for line in out.stderr.splitlines():
        if "| WARNING" in line and (match := RETRY_LINE.search(line)):
            retries[match["id"]].append(match)
    backoff_waits = []
    for batch_id, (fault, wait) in fault_of.items():
        lines = retries[batch_id]
        assert [m["n"] for m in lines] == ["1", "2"], batch_id
        if fault.status != 200:
            assert all(m["cause"] == f"HTTP {fault.status}" for m in lines), batch_id
        if wait is None:
            backoff_waits += [float(m["wait"]) for m in lines]
        else:
            assert [m["wait"] for m in lines] == [wait, wait], batch_id
    # Exponential backoff capped by retry_max_wait, with jitter: never zero, not constant.
    assert all(RETRY_MAX_WAIT / 2 - 0.05 <= w <= RETRY_MAX_WAIT for w in backoff_waits)
    assert len(set(backoff_waits)) > 1

    assert BODY_MARKER not in out.stderr
    assert "upstream error" not in out.stderr
    assert "Traceback" not in out.stderr
    assert_nothing_leaked(out, fake_api, SECRET_KEY)
    figures.faults_survived.update(stats["faults_served"])
    figures.delivered(expected_result_keys(ids), keys)


def test_retries_exhausted_stop_in_one_line_and_finished_batches_are_not_read_again(
    fake_api: FakeEnrowServer, tmp_path: Path, figures: Figures
) -> None:
    ids = generated_ids("x", 4, 5)
    fake_api.script(ids[2], *[Fault(503, HTML)] * 3)
    config = {
        "api_key": DEMO_API_KEY,
        "api_url": fake_api.url,
        "batch_ids": ids,
        "max_retries": 2,
        "max_concurrency": 1,
        "retry_max_wait": 0.01,
    }

    first = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert first.returncode == 1
    [line] = error_lines(first.stderr)
    assert repr(ids[2]) in line
    assert "HTTP 503" in line
    assert "max_retries" in line
    assert "Traceback" not in first.stderr
    assert first.ids("batches") == ids[:2]
    assert all(first.is_finished(batch_id) for batch_id in ids[:2])
    assert ids[3] not in fake_api.stats()["requests"]

    second = run_tap_cli(config, tmp_path, state=first.last_state, env=DEBUG_ENV)

    assert second.returncode == 0
    assert second.ids("batches") == ids[2:]
    # Batches the state called done were requested once, in the first run only.
    assert fake_api.stats()["requests"] == {ids[0]: 1, ids[1]: 1, ids[2]: 4, ids[3]: 1}
    keys = result_keys(first, second)
    assert len(keys) == len(set(keys))
    assert set(keys) == expected_result_keys(ids)
    for run in (first, second):
        assert_nothing_leaked(run, fake_api, DEMO_API_KEY)
    figures.fatal_answers_stopped_cleanly["retries exhausted (HTTP 503)"] += 1
    figures.delivered(expected_result_keys(ids), keys)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(401, {"message": "This apikey is not valid"}), "rejected the API key (HTTP 401)"),
        (Fault(401, {"message": "No apikey found in the x-api-key headers"}), "(HTTP 401)"),
        (
            Fault(401, {"message": "This account is not allowed to use the phone search feature"}),
            "cannot use phone search (HTTP 401)",
        ),
        (Fault(402, {"message": "Insufficient credits"}), "lack of credits (HTTP 402)"),
        (
            Fault(422, {"error": "Unprocessable", "message": "Not enough credits", "status": 422}),
            "lack of credits (HTTP 422)",
        ),
    ],
    ids=["401-bad-key", "401-no-key", "401-no-phone-search", "402-credits", "422-credits-old"],
)
def test_fatal_answers_stop_at_once_in_one_line_keeping_finished_batches(
    fake_api: FakeEnrowServer, tmp_path: Path, figures: Figures, fault: Fault, expected: str
) -> None:
    ids = generated_ids("f", 3, 4)
    fake_api.script(ids[1], fault)
    config = {
        "api_key": DEMO_API_KEY,
        "api_url": fake_api.url,
        "batch_ids": ids,
        "max_concurrency": 1,
    }

    out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert out.returncode == 1
    [line] = error_lines(out.stderr)
    assert expected in line
    assert "Traceback" not in out.stderr
    # No retry of a fatal answer, and nothing sent after it.
    assert fake_api.stats()["requests"] == {ids[0]: 1, ids[1]: 1}
    assert out.ids("batches") == ids[:1]
    assert out.is_finished(ids[0]) is True
    assert set(result_keys(out)) == expected_result_keys(ids[:1])
    assert_nothing_leaked(out, fake_api, DEMO_API_KEY)
    figures.fatal_answers_stopped_cleanly[f"HTTP {fault.status}"] += 1
