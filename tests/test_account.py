"""The account stream and the --test connection check, both on GET /account/info."""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from fake_enrow import Fault
from fake_enrow.server import ACCOUNT_PATH
from tests.conftest import COMPLETED
from tests.helpers import catalog_selecting, run_tap, run_tap_cli

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def test_account_is_read_once_per_run_before_any_batch(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    before = datetime.now(timezone.utc)
    out = run_tap(config)

    assert out.error is None
    assert fake_api.stats()["account_requests"] == 1
    [account] = out.records["account"]
    assert account["credits"] == 36000
    assert account["webhooks"] == ["https://hooks.example.com/enrow"]
    read_at = datetime.fromisoformat(account["read_at"])
    assert read_at.tzinfo is not None
    assert before <= read_at <= datetime.now(timezone.utc)
    streams = [m["stream"] for m in out.messages if m["type"] == "RECORD"]
    assert streams[0] == "account"
    assert streams.count("account") == 1


def test_each_run_adds_a_row_keyed_on_read_time(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    schema = next(
        m for m in run_tap(config).messages if m["type"] == "SCHEMA" and m["stream"] == "account"
    )
    assert schema["key_properties"] == ["read_at"]

    first = run_tap(config).records["account"][0]
    fake_api.catalog.account = {"credits": 35960}
    second = run_tap(config).records["account"][0]

    assert second["read_at"] > first["read_at"]
    assert (first["credits"], second["credits"]) == (36000, 35960)
    assert second["webhooks"] is None  # documented as possibly absent


def test_deselected_account_is_not_requested(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    out = run_tap(config, catalog=catalog_selecting({"batches"}))
    assert "account" not in out.records
    assert fake_api.stats()["account_requests"] == 0


def test_bad_key_is_reported_by_the_account_read_before_any_batch(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    out = run_tap_cli({**config, "api_key": "wrong-key-123"}, tmp_path)

    assert out.returncode == 1
    assert fake_api.stats()["account_requests"] == 1
    assert fake_api.stats()["requests"] == {}
    assert "rejected the API key (HTTP 401)" in error_lines(out.stderr)[-1]
    assert "wrong-key-123" not in out.stderr


def test_connection_test_passes_with_a_good_key(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    out = run_tap_cli({**config, "batch_ids": [COMPLETED]}, tmp_path, extra_args=["--test"])

    assert out.returncode == 0, out.stderr
    assert fake_api.stats()["account_requests"] == 1
    assert fake_api.stats()["requests"] == {}  # a connection check reads no batch
    assert error_lines(out.stderr) == []
    assert "Connection test passed: the API key was accepted; 36000 credits left." in out.stderr


def test_connection_test_reports_a_bad_key_in_one_line_before_any_batch(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    bad_key = "sk-live-NOT-THE-KEY-42"
    out = run_tap_cli({**config, "api_key": bad_key}, tmp_path, extra_args=["--test"])

    assert out.returncode == 1
    assert fake_api.stats()["account_requests"] == 1
    assert fake_api.stats()["requests"] == {}
    [line] = error_lines(out.stderr)
    assert "Connection test failed: The Enrow API rejected the API key (HTTP 401)" in line
    assert "Traceback" not in out.stderr
    assert bad_key not in out.stderr


def test_connection_test_reports_bad_config_in_one_line(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    out = run_tap_cli({**config, "batch_ids": []}, tmp_path, extra_args=["--test"])

    assert out.returncode == 1
    assert fake_api.stats()["total_requests"] == 0
    assert "No id to read" in error_lines(out.stderr)[0]
    assert "Traceback" not in out.stderr


def test_unreadable_account_answer_stops_the_run_before_any_batch(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    fake_api.script(ACCOUNT_PATH, Fault(200, {"credits": "lots"}))
    out = run_tap_cli(config, tmp_path)

    assert out.returncode == 1
    assert fake_api.stats()["requests"] == {}
    assert "'credits' is not a non-negative whole number" in error_lines(out.stderr)[-1]
    assert "Traceback" not in out.stderr
