"""meltano.yml and the Hub definitions declare exactly what each plugin's `--about` reports.

A Hub reviewer compares a definition with `--about`: the same capabilities, and every
setting the plugin accepts with a Meltano kind that carries its values. The SDK's built-in
settings (stream maps, flattening, batch_config, faker_config) are declared too, on
purpose: Meltano passes a plugin only the settings its definition declares. Both plugins
this repository ships, the extractor tap-enrow-phone and the loader target-enrow-phone,
are held to it.
"""

from __future__ import annotations

import json
import subprocess
import typing as t

import pytest
import yaml

from scripts.sync_plugin_definitions import (
    PLUGINS,
    TAP,
    Plugin,
    about,
    derived,
    described,
    meltano_kind,
)
from tests.helpers import REPO, TAP_EXECUTABLE

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


def _in_meltano_yml(plugin: Plugin) -> dict[str, t.Any]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    return t.cast(
        "dict[str, t.Any]",
        next(p for p in project["plugins"][plugin.kind] if p["name"] == plugin.name),
    )


def _in_hub(plugin: Plugin) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", yaml.safe_load(plugin.hub_file.read_text()))


_ABOUT: dict[str, dict[str, t.Any]] = {}


def _about(plugin: Plugin) -> dict[str, t.Any]:
    if plugin.name not in _ABOUT:
        _ABOUT[plugin.name] = about(plugin)
    return _ABOUT[plugin.name]


definitions = pytest.mark.parametrize(
    ("plugin", "definition"),
    [(plugin, where) for plugin in PLUGINS for where in (_in_meltano_yml, _in_hub)],
    ids=[f"{plugin.name}-{where}" for plugin in PLUGINS for where in ("meltano", "hub")],
)


@definitions
def test_definition_declares_the_capabilities_about_reports(
    plugin: Plugin, definition: t.Callable[[Plugin], dict[str, t.Any]]
) -> None:
    reported = _about(plugin)["capabilities"]
    assert sorted(definition(plugin)["capabilities"]) == sorted(reported)
    assert "structured-logging" in reported


@definitions
def test_definition_declares_every_setting_about_reports_and_no_other(
    plugin: Plugin, definition: t.Callable[[Plugin], dict[str, t.Any]]
) -> None:
    declared = {s["name"]: s for s in definition(plugin)["settings"]}
    properties = _about(plugin)["settings"]["properties"]
    assert set(declared) == set(properties)
    for name, schema in properties.items():
        setting = declared[name]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        expected = SAFE_KIND_OF_TYPES[tuple(sorted(set(types) - {"null"}))]
        assert setting["kind"] == ("password" if schema.get("secret") else expected), name
        assert bool(setting.get("sensitive")) == bool(schema.get("secret")), name
        assert setting["label"] == schema.get("title", name), name
        assert setting["description"].startswith(schema["description"]), name
        assert setting.get("value") == schema.get("default"), name


@definitions
def test_definition_is_what_the_sync_script_derives_from_about(
    plugin: Plugin, definition: t.Callable[[Plugin], dict[str, t.Any]]
) -> None:
    # Fails when a setting changed and scripts/sync_plugin_definitions.py was not run.
    expected = derived(_about(plugin))
    by_name = {s["name"]: s for s in definition(plugin)["settings"]}
    assert by_name == {s["name"]: s for s in expected["settings"]}


def test_a_range_about_publishes_reaches_the_description() -> None:
    # The Hub's setting format has no minimum/maximum: the range goes in the text.
    schema = {"description": "Seconds to wait.", "exclusiveMinimum": 0, "maximum": 600}
    assert described(schema) == "Seconds to wait. Allowed: above 0, at most 600."
    assert described({"description": "No range."}) == "No range."


def test_a_plain_number_setting_is_refused_as_meltano_cannot_carry_it() -> None:
    with pytest.raises(SystemExit, match="no Meltano kind carries"):
        meltano_kind("request_timeout", {"type": ["number", "null"]})


@pytest.mark.parametrize("plugin", PLUGINS, ids=[plugin.name for plugin in PLUGINS])
def test_hub_definition_carries_what_only_the_hub_reads(plugin: Plugin) -> None:
    hub, reported = _in_hub(plugin), _about(plugin)
    assert hub["supported_python_versions"] == reported["supported_python_versions"]
    assert hub["settings_group_validation"] == derived(reported)["settings_group_validation"]
    assert hub["namespace"] == _in_meltano_yml(plugin)["namespace"]
    assert hub["executable"] == _in_meltano_yml(plugin)["executable"] == plugin.name


def test_the_tap_hub_definition_selects_what_meltano_yml_selects() -> None:
    assert _in_hub(TAP)["select"] == _in_meltano_yml(TAP)["select"]


def test_select_takes_every_stream_the_tap_discovers() -> None:
    catalog = subprocess.run(  # noqa: S603
        [TAP_EXECUTABLE, "--discover"], capture_output=True, text=True, check=True
    ).stdout
    streams = sorted(s["tap_stream_id"] for s in json.loads(catalog)["streams"])
    assert _in_meltano_yml(TAP)["select"] == [f"{name}.*" for name in streams]


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
    names = {p["name"] for p in plugins}
    for plugin in plugins:
        if plugin.get("inherit_from"):  # installed as the plugin it inherits from
            assert plugin["inherit_from"] in names, plugin["name"]
            continue
        assert plugin.get("namespace"), plugin["name"]
        assert plugin.get("pip_url"), plugin["name"]
    duckdb = next(p for p in plugins if p["name"] == "target-duckdb")
    # duckdb 1.3+ makes target-duckdb 0.8.0 drop the first row of each load.
    assert "duckdb==1.2.2" in duckdb["pip_url"].split()
