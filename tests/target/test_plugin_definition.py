"""target-enrow-phone's place in meltano.yml: beside the tap, and the extractors of its leads.

That its definitions equal its `--about` is checked with the tap's, in
tests/test_plugin_definitions.py.
"""

from __future__ import annotations

import typing as t

import yaml
from singer_sdk import Target

from tests.helpers import REPO

PROJECT = yaml.safe_load((REPO / "meltano.yml").read_text())


def _plugin(kind: str, name: str) -> dict[str, t.Any]:
    return t.cast(
        "dict[str, t.Any]", next(p for p in PROJECT["plugins"][kind] if p["name"] == name)
    )


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
