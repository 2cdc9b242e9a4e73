"""The Meltano project as users drive it: jobs, schedules, env settings, Snowflake."""

from __future__ import annotations

import json
import typing as t

import jsonschema  # type: ignore[import-untyped]
import pytest

from tap_enrow_phone.settings import read_settings
from tests.conftest import COMPLETED, LEGACY

if t.TYPE_CHECKING:
    from tests.e2e.meltano_project import MeltanoProject


def test_hourly_schedule_runs_the_postgres_elt_job(meltano: MeltanoProject) -> None:
    schedules = meltano("schedule", "list", "--format=json").stdout
    (schedule,) = json.loads(schedules)["schedules"]["job"]
    assert schedule["name"] == "enrow-elt-postgres-hourly"
    assert schedule["interval"] == "@hourly"
    # Load, then build and test the models on what was just loaded.
    assert schedule["job"]["tasks"] == ["tap-enrow-phone target-postgres dbt-postgres:build"]


@pytest.mark.parametrize(
    "written",
    [COMPLETED, f"{COMPLETED},{LEGACY}", f"{COMPLETED}, {LEGACY}", f'["{COMPLETED}", "{LEGACY}"]'],
    ids=["one-id", "commas", "commas-and-spaces", "json-array"],
)
def test_batch_ids_written_as_users_type_them_reach_the_tap_through_meltano(
    meltano: MeltanoProject, written: str
) -> None:
    meltano.env["TAP_ENROW_PHONE_BATCH_IDS"] = written

    config = json.loads(meltano("invoke", "--dump=config", "tap-enrow-phone").stdout)

    assert config["batch_ids"] == written
    expected = [COMPLETED] if written == COMPLETED else [COMPLETED, LEGACY]
    assert read_settings(config).batch_ids == expected


def test_fractional_seconds_from_the_environment_reach_a_meltano_run(
    meltano: MeltanoProject,
) -> None:
    meltano.env.update(
        TAP_ENROW_PHONE_BATCH_IDS=f"{COMPLETED},{LEGACY}", TAP_ENROW_PHONE_REQUEST_TIMEOUT="2.5"
    )

    printed = meltano("config", "print", "tap-enrow-phone", "--format=json").stdout
    assert json.loads(printed)["request_timeout"] == "2.5"
    out = meltano("invoke", "tap-enrow-phone")

    batches = [json.loads(line) for line in out.stdout.splitlines() if '"RECORD"' in line]
    assert {m["record"]["id"] for m in batches if m["stream"] == "batches"} == {COMPLETED, LEGACY}


def test_the_taps_own_error_reaches_meltano_as_an_error_with_its_fields(
    meltano: MeltanoProject,
) -> None:
    meltano.env.update(TAP_ENROW_PHONE_API_KEY="not-the-key", TAP_ENROW_PHONE_BATCH_IDS=COMPLETED)

    run = meltano("--log-format=json", "run", "tap-enrow-phone", "target-jsonl", check=False)

    assert run.returncode != 0
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    from_tap = [line for line in lines if line.get("name") == "tap-enrow-phone"]
    [rejected] = [line for line in from_tap if "rejected the API key" in line["event"]]
    assert rejected["level"] == "error"
    assert rejected["plugin_logger"] == "tap-enrow-phone"
    # The SDK's structured fields arrive as fields, not flattened into the message.
    metrics = [line["metric_info"] for line in from_tap if line["event"] == "METRIC"]
    assert {"metric": "record_count", "value": 0} in [
        {"metric": m["metric"], "value": m["value"]} for m in metrics
    ]
    assert "not-the-key" not in run.stderr


def test_target_snowflake_accepts_the_project_configuration(meltano: MeltanoProject) -> None:
    # No Snowflake account is reachable from here: check that Meltano resolves the
    # project's settings and that they satisfy target-snowflake's own config schema.
    meltano.env.update(
        TARGET_SNOWFLAKE_ACCOUNT="myorg-myaccount",
        TARGET_SNOWFLAKE_USER="LOADER",
        TARGET_SNOWFLAKE_PASSWORD="not-a-real-password",  # noqa: S106
        TARGET_SNOWFLAKE_ROLE="LOADER_ROLE",
        TARGET_SNOWFLAKE_WAREHOUSE="LOADING",
        TARGET_SNOWFLAKE_DATABASE="ANALYTICS",
    )
    config = json.loads(meltano("invoke", "--dump=config", "target-snowflake").stdout)
    assert config["default_target_schema"] == "ENROW"
    assert config["load_method"] == "upsert"

    about = json.loads(meltano("invoke", "target-snowflake", "--about", "--format=json").stdout)
    errors = [e.message for e in jsonschema.Draft7Validator(about["settings"]).iter_errors(config)]
    assert errors == []
    assert not set(config) - set(about["settings"]["properties"])
