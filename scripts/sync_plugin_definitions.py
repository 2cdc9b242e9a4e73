"""Rewrite the plugins' settings in meltano.yml and the Hub definitions from their code.

The tap's come from `SETTINGS` in tap_enrow_phone/settings.py, the target's from
target_enrow_phone/settings.py. Run after adding or changing a setting:

    uv run python scripts/sync_plugin_definitions.py

tests/test_plugin_definitions.py and tests/target/test_plugin_definition.py fail until
the files agree with the code again.
"""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

import yaml

from tap_enrow_phone.settings import SETTINGS
from target_enrow_phone.settings import SETTINGS as TARGET_SETTINGS

REPO = Path(__file__).resolve().parent.parent
MELTANO_YML = REPO / "meltano.yml"
HUB_YML = REPO / "hub" / "tap-enrow-phone.yml"
TARGET_HUB_YML = REPO / "hub" / "target-enrow-phone.yml"
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
# The loader's settings block, up to the SDK built-ins declared after the target's own.
TARGET_SETTINGS_BLOCK = re.compile(
    r"(\n    - name: target-enrow-phone\n.*?\n      settings:\n)(.*?)"
    r"(\n        # Built into every SDK target)",
    re.DOTALL,
)
SELECT_BLOCK = re.compile(r"(\n      select:\n)((?:        - .*\n)+)")


def tap_setting_entries(settings: t.Any = SETTINGS) -> list[dict[str, t.Any]]:  # noqa: ANN401
    """One Meltano setting entry per setting (the tap's by default), in declaration order."""
    entries = []
    for name, schema in settings.to_dict()["properties"].items():
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


def _settings_block(entries: list[dict[str, t.Any]]) -> str:
    dumped = yaml.safe_dump(entries, sort_keys=False, width=110)
    return "".join(f"        {line}\n" if line else "\n" for line in dumped.splitlines()).rstrip(
        "\n"
    )


def sync_target(text: str) -> str:
    """meltano.yml's text with the target's settings rewritten; the Hub file rewritten."""
    block = _settings_block(tap_setting_entries(TARGET_SETTINGS))
    text, found = TARGET_SETTINGS_BLOCK.subn(
        lambda m: m.group(1) + block + m.group(3), text, count=1
    )
    if not found:
        raise SystemExit("meltano.yml: the target-enrow-phone loader's settings were not found")
    project = yaml.safe_load(text)
    loader = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-enrow-phone")
    _update_hub(TARGET_HUB_YML, settings=loader["settings"], capabilities=loader["capabilities"])
    return text


def _update_hub(path: Path, **fields: t.Any) -> None:  # noqa: ANN401
    """Replace some top-level fields of a Hub definition, keeping its header comment."""
    header, _, body = path.read_text().partition("\nname:")
    hub = yaml.safe_load("name:" + body)
    hub.update(fields)
    path.write_text(header + "\n" + yaml.safe_dump(hub, sort_keys=False, width=110))


def main() -> None:
    """Rewrite the files in place."""
    text = MELTANO_YML.read_text()
    block = _settings_block(tap_setting_entries())
    text, found = TAP_SETTINGS_BLOCK.subn(lambda m: m.group(1) + block + m.group(3), text, count=1)
    if not found:
        raise SystemExit("meltano.yml: the extractor's settings block was not found")
    select = "".join(f"        - {pattern}\n" for pattern in streams())
    text, found = SELECT_BLOCK.subn(lambda m: m.group(1) + select, text, count=1)
    if not found:
        raise SystemExit("meltano.yml: the extractor's select block was not found")
    text = sync_target(text)
    MELTANO_YML.write_text(text)

    project = yaml.safe_load(text)
    extractor = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-enrow-phone")
    id_settings = [n for n in SETTINGS.to_dict()["properties"] if n.endswith(("_ids", "_ids_file"))]
    _update_hub(
        HUB_YML,
        settings=extractor["settings"],
        select=extractor["select"],
        settings_group_validation=[["api_key", name] for name in id_settings],
    )


if __name__ == "__main__":
    main()
