"""Errors: one clear line, the right exit code, retries where they help, nothing leaked."""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from fake_enrow import FakeEnrowServer, Fault
from tap_enrow_phone.client import EnrowClient, RetryPolicy, parse_retry_after
from tap_enrow_phone.errors import FatalApiError, RetriesExhaustedError, UnknownBatchError
from tests.conftest import COMPLETED, EXPIRED, FAILED, LEGACY, ONGOING, READABLE_DEMO_IDS
from tests.helpers import run_tap, run_tap_cli

if t.TYPE_CHECKING:
    from pathlib import Path


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def test_rejected_key_fails_at_once_without_retries_and_never_prints_the_key(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    bad_key = "sk-live-THIS-KEY-IS-WRONG-1234"
    out = run_tap_cli({**config, "api_key": bad_key}, tmp_path)

    assert out.returncode != 0
    assert fake_api.stats()["total_requests"] == 1
    assert bad_key not in out.stderr
    [line] = error_lines(out.stderr)
    assert "rejected the API key (HTTP 401)" in line
    assert "Traceback" not in out.stderr
    assert out.records == {}


def test_account_without_phone_search_is_told_so(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    fake_api.phone_search_allowed = False
    out = run_tap(config)
    assert isinstance(out.error, FatalApiError)
    assert "cannot use phone search" in str(out.error)


def test_unknown_id_does_not_stop_the_others_and_fails_the_run_at_the_end(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    ids = [COMPLETED, EXPIRED, LEGACY]
    out = run_tap_cli({**config, "batch_ids": ids}, tmp_path)

    assert out.returncode == 1
    assert out.ids("batches") == [COMPLETED, LEGACY]
    assert fake_api.stats()["requests"] == dict.fromkeys(ids, 1)
    last_line = error_lines(out.stderr)[-1]
    assert "1 batch(es) could not be read: 'b-demo-expired'" in last_line
    assert "Traceback" not in out.stderr


def test_unknown_ids_can_be_made_a_warning_with_exit_zero(
    config: dict[str, t.Any], tmp_path: Path
) -> None:
    out = run_tap_cli(
        {**config, "batch_ids": [EXPIRED, COMPLETED], "ignore_unknown_batches": True}, tmp_path
    )
    assert out.returncode == 0
    assert out.ids("batches") == [COMPLETED]
    assert any("WARNING" in line and EXPIRED in line for line in out.stderr.splitlines())
    assert not error_lines(out.stderr)


def test_older_404_not_found_counts_as_an_unknown_id(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    fake_api.script(
        COMPLETED,
        Fault(404, {"error": "Not Found", "message": "Bulk search not found", "status": 404}),
    )
    out = run_tap({**config, "batch_ids": [COMPLETED, LEGACY]})
    assert out.ids("batches") == [LEGACY]
    assert out.error is not None
    assert COMPLETED in str(out.error)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(429, {"message": "Too Many Requests"}),
        Fault(429, {"message": "Too Many Requests"}, headers={"Retry-After": "0"}),
        Fault(500, {"message": "Internal error"}),
        Fault(502, "<html><body>Bad gateway</body></html>"),
        Fault(503, {"message": "unavailable"}),
        Fault(504, "<html>Gateway Timeout</html>"),
        Fault(action="reset"),
        Fault(action="truncate"),
    ],
    ids=["429", "429-retry-after", "500", "502-html", "503", "504-html", "reset", "truncated"],
)
def test_transient_faults_are_retried_and_every_record_arrives_once(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], fault: Fault
) -> None:
    fake_api.script(COMPLETED, fault, fault)
    out = run_tap(config)

    assert out.error is None
    assert fake_api.stats()["requests"][COMPLETED] == 3
    keys = [(r["batch_id"], r["index"]) for r in out.records["phone_results"]]
    assert len(keys) == len(set(keys)) == 3 + 2 + 1  # completed, legacy, failed
    assert out.ids("batches") == READABLE_DEMO_IDS


def test_retries_exhausted_stop_the_run_naming_batch_status_and_setting(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    fake_api.script(LEGACY, *[Fault(503, {"message": "down"})] * 3)
    out = run_tap_cli({**config, "max_retries": 2, "max_concurrency": 1}, tmp_path)

    assert out.returncode == 1
    last = error_lines(out.stderr)[-1]
    assert LEGACY in last
    assert "HTTP 503" in last
    assert "max_retries" in last
    # The batch finished before the fault is kept, and the state says so.
    assert out.ids("batches") == [COMPLETED]
    assert out.is_finished(COMPLETED) is True


def test_a_timeout_is_retried(fake_api: FakeEnrowServer, config: dict[str, t.Any]) -> None:
    fake_api.script(COMPLETED, Fault(delay=1.0))
    out = run_tap({**config, "batch_ids": [COMPLETED], "request_timeout": 0.2})
    assert out.error is None
    assert fake_api.stats()["requests"][COMPLETED] == 2
    assert len(out.records["phone_results"]) == 3


class _Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(url: str, policy: RetryPolicy, sleeps: _Sleeps) -> EnrowClient:
    return EnrowClient(
        api_key="demo-key",
        api_url=url,
        timeout=5,
        retry_policy=policy,
        user_agent="t",
        sleep=sleeps,
    )


def test_retry_after_seconds_and_http_date_are_honored_and_capped(
    fake_api: FakeEnrowServer,
) -> None:
    in_a_minute = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    fake_api.script(
        COMPLETED,
        Fault(429, {"message": "Too Many Requests"}, headers={"Retry-After": "3"}),
        Fault(429, {"message": "Too Many Requests"}, headers={"Retry-After": in_a_minute}),
    )
    sleeps = _Sleeps()
    client = _client(fake_api.url, RetryPolicy(max_retries=5, max_wait=10), sleeps)
    assert client.get_bulk_results(COMPLETED)
    assert sleeps[0] == 3
    assert sleeps[1] == 10  # 60 s asked, capped by retry_max_wait


def test_backoff_is_exponential_with_jitter_and_capped(fake_api: FakeEnrowServer) -> None:
    fake_api.script(ONGOING, *[Fault(500, {"message": "x"})] * 5)
    sleeps = _Sleeps()
    client = _client(fake_api.url, RetryPolicy(max_retries=5, backoff_base=1, max_wait=6), sleeps)
    client.get_bulk_results(ONGOING)
    ceilings = [1, 2, 4, 6, 6]
    assert len(sleeps) == 5
    for slept, ceiling in zip(sleeps, ceilings, strict=True):
        assert ceiling / 2 <= slept <= ceiling


def test_client_raises_the_tap_errors(fake_api: FakeEnrowServer) -> None:
    sleeps = _Sleeps()
    client = _client(fake_api.url, RetryPolicy(max_retries=1, max_wait=0), sleeps)
    with pytest.raises(UnknownBatchError):
        client.get_bulk_results(EXPIRED)
    fake_api.script(FAILED, Fault(500, {"message": "x"}), Fault(500, {"message": "x"}))
    with pytest.raises(RetriesExhaustedError, match="HTTP 500"):
        client.get_bulk_results(FAILED)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("5") == 5
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    past = format_datetime(datetime.now(timezone.utc) - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(past) == 0


def test_debug_logs_hold_no_key_no_body_and_no_phone_number(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    secret_key = "sk-secret-DEBUG-CHECK-998877"  # noqa: S105 - a key made up to look for
    fake_api.api_keys.add(secret_key)
    fake_api.script(COMPLETED, Fault(503, "<html>+15705551234 leaked body</html>"))
    fake_api.script(LEGACY, Fault(action="truncate"))
    ids = [*READABLE_DEMO_IDS, EXPIRED]
    out = run_tap_cli(
        {**config, "api_key": secret_key, "batch_ids": ids},
        tmp_path,
        env={"TAP_ENROW_PHONE_LOGLEVEL": "DEBUG"},
    )

    assert out.returncode == 1  # the expired id
    assert "DEBUG" in out.stderr
    assert len(out.records["phone_results"]) == 3 + 2 + 1  # the ongoing batch has none yet
    assert secret_key not in out.stderr
    assert "leaked body" not in out.stderr
    assert fake_api.served_numbers
    for number in [*fake_api.served_numbers, "+15705551234"]:
        assert number not in out.stderr
