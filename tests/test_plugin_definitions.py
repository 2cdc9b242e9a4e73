"""meltano.yml and the Hub definition declare exactly what the tap's `--about` reports.

A Hub reviewer compares a definition with `--about`: the same capabilities, and every
setting the tap accepts with a Meltano kind that carries its values. The SDK's built-in
settings (stream maps, flattening, batch_config, faker_config) are declared too, on
purpose: Meltano passes a tap only the settings its definition declares.
"""

from __future__ import annotations

import json
import subprocess
import typing as t

import pytest
import yaml

from scripts.sync_plugin_definitions import derived, described, meltano_kind
from tests.helpers import REPO, TAP_EXECUTABLE

HUB_DEFINITION = REPO / "hub" / "tap-enrow-phone.yml"
# Kinds Meltano 4.4 reads from the environment without losing or refusing a value the
# tap accepts; `decimal` crashes writing the tap's config, `integer` refuses "2.5".
SAFE_KIND_OF_TYPES = {
    ("string",): "string",
    ("integer",): "integer",
    ("boolean",): "boolean",
    ("object",): "object",
    ("number", "string"): "string",
    ("array", "string"): "string",
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


definitions = pytest.mark.parametrize(
    "definition", [_meltano_extractor, _hub_extractor], ids=["meltano", "hub"]
)


@pytest.fixture(scope="module")
def about() -> dict[str, t.Any]:
    return _about()


@definitions
def test_definition_declares_the_capabilities_about_reports(
    definition: t.Callable[[], dict[str, t.Any]], about: dict[str, t.Any]
) -> None:
    assert sorted(definition()["capabilities"]) == sorted(about["capabilities"])
    assert "structured-logging" in about["capabilities"]


@definitions
def test_definition_declares_every_setting_about_reports_and_no_other(
    definition: t.Callable[[], dict[str, t.Any]], about: dict[str, t.Any]
) -> None:
    declared = {s["name"]: s for s in definition()["settings"]}
    assert set(declared) == set(about["settings"]["properties"])
    for name, schema in about["settings"]["properties"].items():
        setting = declared[name]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        expected = SAFE_KIND_OF_TYPES[tuple(sorted(set(types) - {"null"}))]
        assert setting["kind"] == ("password" if schema.get("secret") else expected), name
        assert bool(setting.get("sensitive")) == bool(schema.get("secret")), name
        assert setting["label"] == schema["title"], name
        assert setting["description"].startswith(schema["description"]), name
        assert setting.get("value") == schema.get("default"), name


@definitions
def test_definition_is_what_the_sync_script_derives_from_about(
    definition: t.Callable[[], dict[str, t.Any]], about: dict[str, t.Any]
) -> None:
    # Fails when a setting changed and scripts/sync_plugin_definitions.py was not run.
    plugin = definition()
    expected = derived(about)
    by_name = {s["name"]: s for s in plugin["settings"]}
    assert by_name == {s["name"]: s for s in expected["settings"]}


def test_a_range_about_publishes_reaches_the_description() -> None:
    # The Hub's setting format has no minimum/maximum: the range goes in the text.
    schema = {"description": "Seconds to wait.", "exclusiveMinimum": 0, "maximum": 600}
    assert described(schema) == "Seconds to wait. Allowed: above 0, at most 600."
    assert described({"description": "No range."}) == "No range."


def test_a_plain_number_setting_is_refused_as_meltano_cannot_carry_it() -> None:
    with pytest.raises(SystemExit, match="no Meltano kind carries"):
        meltano_kind("request_timeout", {"type": ["number", "null"]})


def test_hub_definition_carries_what_only_the_hub_reads(about: dict[str, t.Any]) -> None:
    hub = _hub_extractor()
    assert hub["supported_python_versions"] == about["supported_python_versions"]
    assert hub["settings_group_validation"] == derived(about)["settings_group_validation"]
    assert hub["select"] == _meltano_extractor()["select"]
    assert hub["namespace"] == _meltano_extractor()["namespace"] == "tap_enrow_phone"


def test_select_takes_every_stream_the_tap_discovers() -> None:
    catalog = subprocess.run(  # noqa: S603
        [TAP_EXECUTABLE, "--discover"], capture_output=True, text=True, check=True
    ).stdout
    streams = sorted(s["tap_stream_id"] for s in json.loads(catalog)["streams"])
    assert _meltano_extractor()["select"] == [f"{name}.*" for name in streams]


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
