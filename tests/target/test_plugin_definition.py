"""meltano.yml and the Hub file declare exactly what target-enrow-phone accepts."""

from __future__ import annotations

import json
import subprocess
import typing as t

import pytest
import yaml
from singer_sdk import Target

from scripts.sync_plugin_definitions import KIND_OF_TYPE
from target_enrow_phone.settings import SETTINGS
from tests.helpers import REPO
from tests.target.support import TARGET_EXECUTABLE

TARGET_SETTINGS: dict[str, dict[str, t.Any]] = SETTINGS.to_dict()["properties"]
PROJECT = yaml.safe_load((REPO / "meltano.yml").read_text())


def _plugin(kind: str, name: str) -> dict[str, t.Any]:
    return t.cast(
        "dict[str, t.Any]", next(p for p in PROJECT["plugins"][kind] if p["name"] == name)
    )


def _hub() -> dict[str, t.Any]:
    return t.cast(
        "dict[str, t.Any]", yaml.safe_load((REPO / "hub" / "target-enrow-phone.yml").read_text())
    )


@pytest.fixture(scope="module")
def about() -> dict[str, t.Any]:
    out = subprocess.run(  # noqa: S603
        [TARGET_EXECUTABLE, "--about", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    return t.cast("dict[str, t.Any]", json.loads(out))


@pytest.mark.parametrize(
    "definition", [lambda: _plugin("loaders", "target-enrow-phone"), _hub], ids=["meltano", "hub"]
)
def test_every_setting_is_declared_as_the_target_declares_it(
    definition: t.Callable[[], dict[str, t.Any]], about: dict[str, t.Any]
) -> None:
    declared = {s["name"]: s for s in definition()["settings"]}
    assert set(TARGET_SETTINGS) <= set(declared)
    accepted = about["settings"]["properties"]
    for name, setting in declared.items():
        assert name in accepted, name
        assert setting["description"], name
    for name, schema in TARGET_SETTINGS.items():
        setting = declared[name]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        (json_type,) = [x for x in types if x != "null"]
        assert setting["kind"] == (
            "password" if schema.get("secret") else KIND_OF_TYPE[json_type]
        ), name
        assert bool(setting.get("sensitive")) == bool(schema.get("secret")), name
        assert setting["label"] == schema["title"], name
        assert setting["description"] == schema["description"], name
        assert setting.get("value") == schema.get("default"), name
    assert set(definition()["capabilities"]) <= set(about["capabilities"])
    assert "about" in definition()["capabilities"]
    assert "stream-maps" in definition()["capabilities"]


def test_the_hub_file_matches_meltano_yml() -> None:
    loader, hub = _plugin("loaders", "target-enrow-phone"), _hub()
    assert hub["settings"] == loader["settings"]
    assert hub["capabilities"] == loader["capabilities"]
    assert hub["namespace"] == loader["namespace"] == "target_enrow_phone"
    assert hub["executable"] == loader["executable"] == "target-enrow-phone"


def test_the_tap_and_the_target_share_the_ids_file_and_the_key() -> None:
    loader, tap = _plugin("loaders", "target-enrow-phone"), _plugin("extractors", "tap-enrow-phone")
    assert loader["config"]["batch_ids_file"] == tap["config"]["batch_ids_file"]
    assert loader["config"]["api_key"] == "${TAP_ENROW_PHONE_API_KEY}"
    # The shared file exists in a fresh clone, so the tap can read it before any run.
    assert (REPO / "enrow" / "batch_ids.txt").is_file()


def test_the_leads_extractors_are_pinned_and_installable_without_the_hub() -> None:
    for name, pin in (
        ("tap-postgres", "meltanolabs-tap-postgres=="),
        ("tap-spreadsheets", "tap-spreadsheets=="),
    ):
        plugin = _plugin("extractors", name)
        assert plugin["pip_url"].startswith(pin), name
        assert plugin["namespace"], name
        assert plugin["executable"] == name
        assert {"catalog", "discover", "state"} <= set(plugin["capabilities"]), name
    assert _plugin("extractors", "tap-postgres--leads")["inherit_from"] == "tap-postgres"


def test_the_sdk_still_routes_state_through_the_hook_the_target_overrides() -> None:
    """The one private override: if the SDK renames it, this fails before users pay."""
    assert callable(getattr(Target, "_process_state_message", None))
    from target_enrow_phone.target import TargetEnrowPhone  # noqa: PLC0415

    assert TargetEnrowPhone._process_state_message is not Target._process_state_message
