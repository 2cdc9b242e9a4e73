"""phone_details: line type, validity and national form of found numbers, opt-in."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t

import pytest

from fake_enrow import Batch, SingleSearch
from fake_enrow.data import found, not_found
from tests.conftest import COMPLETED, SINGLE_FOUND
from tests.helpers import run_tap, run_tap_cli

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer

MIXED = "b-mixed-lines"
DETAIL_FIELDS = {"number_type", "number_valid", "number_national"}


@pytest.fixture
def mixed_batch(fake_api: FakeEnrowServer) -> str:
    fake_api.catalog.add(
        Batch(
            MIXED,
            ["completed"],
            [
                found(0, "+447400123456", "GB"),  # UK mobile
                found(1, "+33155501234", "FR"),  # Paris landline
                found(2, "0612345678", "FR"),  # national form, read with its country
                found(3, "+1555", "US"),  # too short to be a number
                not_found(4),
            ],
        )
    )
    return MIXED


def test_found_numbers_get_type_validity_and_national_form(
    config: dict[str, t.Any], mixed_batch: str
) -> None:
    out = run_tap({**config, "batch_ids": [mixed_batch], "phone_details": True})

    assert out.error is None
    details = [
        (r["number_type"], r["number_valid"], r["number_national"])
        for r in out.records["phone_results"]
    ]
    assert details == [
        ("mobile", True, "07400 123456"),
        ("fixed_line", True, "01 55 50 12 34"),
        ("mobile", True, "06 12 34 56 78"),
        ("unknown", False, None),
        (None, None, None),
    ]


def test_single_results_get_them_too(fake_api: FakeEnrowServer, config: dict[str, t.Any]) -> None:
    fake_api.catalog.add_single(SingleSearch("s-voip", found(0, "+442033001234", "GB")))
    out = run_tap(
        {**config, "batch_ids": [], "single_search_ids": ["s-voip"], "phone_details": True}
    )

    [record] = out.records["single_phone_results"]
    assert record["number_valid"] is True
    assert record["number_type"] == "fixed_line"
    assert record["number_national"] == "020 3300 1234"


def test_off_by_default_adds_nothing(config: dict[str, t.Any], mixed_batch: str) -> None:
    out = run_tap({**config, "batch_ids": [mixed_batch]})
    for record in out.records["phone_results"]:
        assert not DETAIL_FIELDS & set(record)


def _imported_modules(stderr: str) -> set[str]:
    """Top-level modules named in `-X importtime` output (PYTHONPROFILEIMPORTTIME)."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("phone_details", [False, True])
def test_phonenumbers_is_imported_only_when_the_setting_is_on(
    config: dict[str, t.Any], tmp_path: Path, *, phone_details: bool
) -> None:
    out = run_tap_cli(
        {
            **config,
            "batch_ids": [COMPLETED],
            "single_search_ids": [SINGLE_FOUND],
            "phone_details": phone_details,
        },
        tmp_path,
        env={"PYTHONPROFILEIMPORTTIME": "1"},
    )

    assert out.returncode == 0
    assert out.records["phone_results"]
    assert ("phonenumbers" in _imported_modules(out.stderr)) is phone_details


def test_on_without_the_package_is_a_config_error_saying_how_to_install(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({**config, "phone_details": True}))
    # A None entry in sys.modules makes `import phonenumbers` fail as if not installed.
    program = (
        "import sys; sys.modules['phonenumbers'] = None; "
        "from tap_enrow_phone.tap import TapEnrowPhone; TapEnrowPhone.cli()"
    )
    completed = subprocess.run(  # noqa: S603
        [sys.executable, "-c", program, "--config", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )

    assert completed.returncode == 1
    assert fake_api.stats()["total_requests"] == 0
    errors = [line for line in completed.stderr.splitlines() if "| ERROR" in line]
    assert "pip install 'tap-enrow-phone[phone-details]'" in errors[0]
    assert "Traceback" not in completed.stderr
