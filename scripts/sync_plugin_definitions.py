"""Derive the tap's Meltano plugin definition from `--about`, into meltano.yml and hub/.

`--about` (the tap's `SETTINGS` plus the SDK's built-in settings and capabilities) is the
one source of truth; this script is the only code that turns it into Meltano settings.
Run it after changing a setting:

    uv run python scripts/sync_plugin_definitions.py

tests/test_plugin_definitions.py fails until both files agree with `--about` again.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
MELTANO_YML = REPO / "meltano.yml"
HUB_YML = REPO / "hub" / "tap-enrow-phone.yml"
TAP = Path(sys.executable).with_name("tap-enrow-phone")
# Meltano's kind for a setting of one JSON type. A setting that also accepts text
# (seconds, id lists) is `string`: Meltano passes text through untouched, and the tap
# reads it. A plain `number` has no kind that Meltano 4.4 handles (`integer` refuses
# 2.5, `decimal` crashes writing the config), so it is refused here.
KIND_OF_TYPE = {
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}
_RANGE_WORDS = {
    "minimum": "at least",
    "exclusiveMinimum": "above",
    "maximum": "at most",
    "exclusiveMaximum": "below",
}
# The extractor's blocks in meltano.yml that are derived, up to the next key.
_BLOCK = (
    r"(\n    - name: tap-enrow-phone\n(?:      .*\n)*?      {key}:\n)"
    r"((?:        .*\n|\n)*?)(      \w)"
)


def about() -> dict[str, t.Any]:
    """The tap's `--about`, as the Hub's tooling reads it."""
    out = subprocess.run(  # noqa: S603 - our own executable, fixed arguments
        [str(TAP), "--about", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    return t.cast("dict[str, t.Any]", json.loads(out))


def meltano_kind(name: str, schema: dict[str, t.Any]) -> str:
    """The Meltano kind of one `--about` setting."""
    if schema.get("secret"):
        return "password"
    types = schema.get("type", [])
    types = [x for x in ([types] if isinstance(types, str) else types) if x != "null"]
    if len(types) > 1 and "string" in types:
        return "string"
    if len(types) != 1 or types[0] not in KIND_OF_TYPE:
        msg = f"{name}: no Meltano kind carries type {types}; accept text too (see SECONDS)"
        raise SystemExit(msg)
    return KIND_OF_TYPE[types[0]]


def described(schema: dict[str, t.Any]) -> str:
    """The description, with the allowed range `--about` publishes, if any."""
    limits = [f"{word} {schema[key]}" for key, word in _RANGE_WORDS.items() if key in schema]
    text = str(schema.get("description", ""))
    return f"{text} Allowed: {', '.join(limits)}." if limits else text


def settings(about: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """One Meltano setting per `--about` setting, the SDK's built-ins included.

    Meltano passes a tap only the settings its definition declares, so every setting
    the tap accepts is declared, in `--about`'s order.
    """
    entries = []
    for name, schema in about["settings"]["properties"].items():
        entry: dict[str, t.Any] = {
            "name": name,
            "kind": meltano_kind(name, schema),
            "label": schema.get("title", name),
            "description": described(schema),
        }
        if schema.get("secret"):
            entry["sensitive"] = True
        if schema.get("default") is not None:
            entry["value"] = schema["default"]
        entries.append(entry)
    return entries


def derived(about: dict[str, t.Any]) -> dict[str, t.Any]:
    """Everything in a plugin definition that `--about` decides."""
    names = list(about["settings"]["properties"])
    return {
        "capabilities": sorted(about["capabilities"]),
        "settings": settings(about),
        # A run needs the key and ids from at least one of the id settings.
        "settings_group_validation": [
            ["api_key", name] for name in names if name.endswith(("_ids", "_ids_file"))
        ],
        "supported_python_versions": about["supported_python_versions"],
    }


def write_hub(plugin: dict[str, t.Any]) -> None:
    """The Hub file: its hand-written metadata, the derived keys, keys sorted (its lint)."""
    text = HUB_YML.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    hub = {**yaml.safe_load(text), **plugin}
    # Sorted as the Hub's own formatter (hub-utils yaml_lint.py) sorts them.
    hub["settings"] = [dict(sorted(s.items())) for s in sorted(hub["settings"], key=_name)]
    HUB_YML.write_text(header + yaml.safe_dump(hub, sort_keys=True, width=100))


def _escaped(replacement: str) -> str:
    return replacement.replace("\\", "\\\\")


def _name(setting: dict[str, t.Any]) -> str:
    return str(setting["name"])


def write_meltano_yml(plugin: dict[str, t.Any]) -> None:
    """The extractor's capabilities and settings blocks in meltano.yml, in place."""
    text = MELTANO_YML.read_text()
    for key in ("capabilities", "settings"):
        dumped = yaml.safe_dump(plugin[key], sort_keys=False, width=110)
        block = "".join(f"        {line}\n" for line in dumped.splitlines())
        pattern = re.compile(_BLOCK.format(key=key))
        text, found = pattern.subn(rf"\g<1>{_escaped(block)}\g<3>", text, count=1)
        if not found:
            raise SystemExit(f"meltano.yml: the extractor's {key} block was not found")
    MELTANO_YML.write_text(text)


def main() -> None:
    """Rewrite both files in place."""
    plugin = derived(about())
    write_meltano_yml(plugin)
    write_hub(plugin)


if __name__ == "__main__":
    main()
