"""The Meltano project as users drive it: jobs, schedules, env settings, Snowflake."""

from __future__ import annotations

import json
import typing as t

import jsonschema  # type: ignore[import-untyped]

from tests.conftest import COMPLETED, ONGOING

if t.TYPE_CHECKING:
    from tests.e2e.meltano_project import MeltanoProject


def test_hourly_schedule_runs_the_postgres_elt_job(meltano: MeltanoProject) -> None:
    schedules = meltano("schedule", "list", "--format=json").stdout
    (schedule,) = json.loads(schedules)["schedules"]["job"]
    assert schedule["name"] == "enrow-elt-postgres-hourly"
    assert schedule["interval"] == "@hourly"
    # Load, then build and test the models on what was just loaded.
    assert schedule["job"]["tasks"] == ["tap-enrow-phone target-postgres dbt-postgres:build"]


def test_batch_ids_reach_the_tap_from_the_environment_as_a_json_array(
    meltano: MeltanoProject,
) -> None:
    meltano.env["TAP_ENROW_PHONE_BATCH_IDS"] = json.dumps([COMPLETED, ONGOING])
    config = json.loads(meltano("invoke", "--dump=config", "tap-enrow-phone").stdout)
    assert config["batch_ids"] == [COMPLETED, ONGOING]

    # Meltano parses array settings as JSON only: a comma-separated list stops it.
    meltano.env["TAP_ENROW_PHONE_BATCH_IDS"] = f"{COMPLETED},{ONGOING}"
    refused = meltano("invoke", "--dump=config", "tap-enrow-phone", check=False)
    assert refused.returncode != 0
    assert "Failed to parse JSON array from string" in refused.stderr


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
