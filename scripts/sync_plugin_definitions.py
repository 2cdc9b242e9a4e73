"""Rewrite the tap's settings in meltano.yml and the Hub definition from `SETTINGS`.

Run after adding or changing a setting in tap_enrow_phone/tap.py:

    uv run python scripts/sync_plugin_definitions.py

tests/test_plugin_definitions.py fails until the files agree with the tap again.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import yaml

from tap_enrow_phone.settings import SETTINGS

REPO = Path(__file__).resolve().parent.parent
MELTANO_YML = REPO / "meltano.yml"
HUB_YML = REPO / "hub" / "tap-enrow-phone.yml"
# Meltano's setting kind for each JSON type; secrets are `password`. Numbers are
# `integer`: Meltano 4.4 turns a `decimal` value from the environment into a Decimal it
# then cannot write to the tap's config file, so the run crashes.
KIND_OF_TYPE = {
    "string": "string",
    "array": "array",
    "integer": "integer",
    "number": "integer",
    "boolean": "boolean",
    "object": "object",
}
# The extractor's settings block, up to the SDK built-ins declared after the tap's own.
TAP_SETTINGS_BLOCK = re.compile(
    r"(\n      settings:\n)(.*?)(\n        # Built into every SDK tap)", re.DOTALL
)
SELECT_BLOCK = re.compile(r"(\n      select:\n)((?:        - .*\n)+)")


def tap_setting_entries() -> list[dict[str, t.Any]]:
    """One Meltano setting entry per tap setting, in declaration order."""
    entries = []
    for name, schema in SETTINGS.to_dict()["properties"].items():
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        (json_type,) = [x for x in types if x != "null"]
        entry: dict[str, t.Any] = {
            "name": name,
            "kind": "password" if schema.get("secret") else KIND_OF_TYPE[json_type],
            "label": schema["title"],
            "description": schema["description"],
        }
        if schema.get("secret"):
            entry["sensitive"] = True
        if "default" in schema:
            entry["value"] = schema["default"]
        entries.append(entry)
    return entries


def streams() -> list[str]:
    """Every stream the tap discovers, selected whole."""
    from tap_enrow_phone.tap import TapEnrowPhone  # noqa: PLC0415 - keep import light

    tap = TapEnrowPhone(config={"api_key": "x", "batch_ids": ["x"]}, validate_config=False)
    return [f"{name}.*" for name in tap.streams]


def main() -> None:
    """Rewrite both files in place."""
    text = MELTANO_YML.read_text()
    dumped = yaml.safe_dump(tap_setting_entries(), sort_keys=False, width=110)
    block = "".join(f"        {line}\n" if line else "\n" for line in dumped.splitlines()).rstrip(
        "\n"
    )
    text, found = TAP_SETTINGS_BLOCK.subn(lambda m: m.group(1) + block + m.group(3), text, count=1)
    if not found:
        raise SystemExit("meltano.yml: the extractor's settings block was not found")
    select = "".join(f"        - {pattern}\n" for pattern in streams())
    text, found = SELECT_BLOCK.subn(lambda m: m.group(1) + select, text, count=1)
    if not found:
        raise SystemExit("meltano.yml: the extractor's select block was not found")
    MELTANO_YML.write_text(text)

    project = yaml.safe_load(text)
    extractor = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-enrow-phone")
    header, _, body = HUB_YML.read_text().partition("\nname:")
    hub = yaml.safe_load("name:" + body)
    hub["settings"] = extractor["settings"]
    hub["select"] = extractor["select"]
    id_settings = [n for n in SETTINGS.to_dict()["properties"] if n.endswith(("_ids", "_ids_file"))]
    hub["settings_group_validation"] = [["api_key", name] for name in id_settings]
    HUB_YML.write_text(header + "\n" + yaml.safe_dump(hub, sort_keys=False, width=110))


if __name__ == "__main__":
    main()
