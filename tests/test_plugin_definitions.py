"""meltano.yml and the Meltano Hub definition declare exactly what the tap accepts."""

from __future__ import annotations

import json
import subprocess
import typing as t

import pytest
import yaml

from scripts.sync_plugin_definitions import KIND_OF_TYPE
from tap_enrow_phone.settings import SETTINGS
from tests.helpers import REPO, TAP_EXECUTABLE

TAP_SETTINGS: dict[str, dict[str, t.Any]] = SETTINGS.to_dict()["properties"]
HUB_DEFINITION = REPO / "hub" / "tap-enrow-phone.yml"
# What Meltano needs to pass catalog and state, plus the SDK features users configure.
REQUIRED_CAPABILITIES = {
    "catalog",
    "discover",
    "state",
    "about",
    "stream-maps",
    "schema-flattening",
    "batch",
}


def _about() -> dict[str, t.Any]:
    about = subprocess.run(  # noqa: S603
        [TAP_EXECUTABLE, "--about", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    return t.cast("dict[str, t.Any]", json.loads(about))


def _meltano_extractor() -> dict[str, t.Any]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    return t.cast(
        "dict[str, t.Any]",
        next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-enrow-phone"),
    )


def _hub_extractor() -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", yaml.safe_load(HUB_DEFINITION.read_text()))


def _expected_kind(schema: dict[str, t.Any]) -> str:
    if schema.get("secret"):
        return "password"
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    (json_type,) = [x for x in types if x != "null"]
    return KIND_OF_TYPE[json_type]


@pytest.fixture(scope="module")
def about() -> dict[str, t.Any]:
    return _about()


@pytest.mark.parametrize("definition", [_meltano_extractor, _hub_extractor], ids=["meltano", "hub"])
def test_definition_declares_every_tap_setting_as_the_tap_does(
    definition: t.Callable[[], dict[str, t.Any]],
) -> None:
    declared = {s["name"]: s for s in definition()["settings"]}
    assert set(TAP_SETTINGS) <= set(declared)
    for name, schema in TAP_SETTINGS.items():
        setting = declared[name]
        assert setting["kind"] == _expected_kind(schema), name
        assert bool(setting.get("sensitive")) == bool(schema.get("secret")), name
        assert setting["label"] == schema["title"], name
        assert setting["description"] == schema["description"], name
        assert setting.get("value") == schema.get("default"), name


@pytest.mark.parametrize("definition", [_meltano_extractor, _hub_extractor], ids=["meltano", "hub"])
def test_definition_declares_only_settings_and_capabilities_the_tap_has(
    definition: t.Callable[[], dict[str, t.Any]], about: dict[str, t.Any]
) -> None:
    plugin = definition()
    accepted = about["settings"]["properties"]
    for setting in plugin["settings"]:
        assert setting["name"] in accepted, setting["name"]
        assert setting["kind"] == _expected_kind(accepted[setting["name"]]), setting["name"]
        assert setting["description"], setting["name"]
    assert REQUIRED_CAPABILITIES <= set(plugin["capabilities"]) <= set(about["capabilities"])
    assert plugin["namespace"] == "tap_enrow_phone"


def test_hub_definition_matches_meltano_yml() -> None:
    hub, project = _hub_extractor(), _meltano_extractor()
    assert hub["settings"] == project["settings"]
    assert set(hub["capabilities"]) == set(project["capabilities"])
    assert hub["select"] == project["select"]
    grouped = {name for group in hub["settings_group_validation"] for name in group}
    assert grouped <= set(TAP_SETTINGS)


def test_every_meltano_plugin_installs_without_the_hub() -> None:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    plugins = [p for kind in project["plugins"].values() for p in kind]
    assert {p["name"] for p in plugins} >= {
        "tap-enrow-phone",
        "target-postgres",
        "target-snowflake",
        "target-duckdb",
        "target-jsonl",
    }
    for plugin in plugins:
        assert plugin.get("namespace"), plugin["name"]
        assert plugin.get("pip_url"), plugin["name"]
    duckdb = next(p for p in plugins if p["name"] == "target-duckdb")
    # duckdb 1.3+ makes target-duckdb 0.8.0 drop the first row of each load.
    assert "duckdb==1.2.2" in duckdb["pip_url"].split()
