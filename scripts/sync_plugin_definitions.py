"""Derive the plugins' Meltano definitions from their `--about`, into meltano.yml and hub/.

For the extractor `tap-enrow-phone` and the loader `target-enrow-phone` alike, `--about`
(the plugin's `SETTINGS` plus the SDK's built-in settings and capabilities) is the one
source of truth; this script is the only code that turns it into Meltano settings. Run it
after changing a setting:

    uv run python scripts/sync_plugin_definitions.py

tests/test_plugin_definitions.py fails until every file agrees with `--about` again.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
MELTANO_YML = REPO / "meltano.yml"


@dataclass(frozen=True)
class Plugin:
    """A plugin this repository ships: where meltano.yml lists it, and its Hub file."""

    kind: str
    name: str

    @property
    def hub_file(self) -> Path:
        """Its definition in Meltano Hub's format."""
        return REPO / "hub" / f"{self.name}.yml"

    @property
    def executable(self) -> Path:
        """Its console script, installed beside this Python."""
        return Path(sys.executable).with_name(self.name)


TAP = Plugin("extractors", "tap-enrow-phone")
TARGET = Plugin("loaders", "target-enrow-phone")
PLUGINS = (TAP, TARGET)
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
# A plugin's blocks in meltano.yml that are derived, up to the next key.
_BLOCK = (
    r"(\n    - name: {name}\n(?:      .*\n)*?      {key}:\n)"
    r"((?:        .*\n|\n)*?)(      \w)"
)


def about(plugin: Plugin = TAP) -> dict[str, t.Any]:
    """The plugin's `--about`, as the Hub's tooling reads it."""
    out = subprocess.run(  # noqa: S603 - our own executable, fixed arguments
        [str(plugin.executable), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
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

    Meltano passes a plugin only the settings its definition declares, so every setting
    the plugin accepts is declared, in `--about`'s order.
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
        # A run needs the key, and the tap ids from at least one of its id settings (the
        # target the ids file it hands them on through).
        "settings_group_validation": [
            ["api_key", name] for name in names if name.endswith(("_ids", "_ids_file"))
        ],
        "supported_python_versions": about["supported_python_versions"],
    }


def write_hub(plugin: Plugin, definition: dict[str, t.Any]) -> None:
    """The Hub file: its hand-written metadata, the derived keys, keys sorted (its lint)."""
    text = plugin.hub_file.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    hub = {**yaml.safe_load(text), **definition}
    # Sorted as the Hub's own formatter (hub-utils yaml_lint.py) sorts them.
    hub["settings"] = [dict(sorted(s.items())) for s in sorted(hub["settings"], key=_name)]
    plugin.hub_file.write_text(header + yaml.safe_dump(hub, sort_keys=True, width=100))


def _escaped(replacement: str) -> str:
    return replacement.replace("\\", "\\\\")


def _name(setting: dict[str, t.Any]) -> str:
    return str(setting["name"])


def write_meltano_yml(plugin: Plugin, definition: dict[str, t.Any]) -> None:
    """The plugin's capabilities and settings blocks in meltano.yml, in place."""
    text = MELTANO_YML.read_text()
    for key in ("capabilities", "settings"):
        dumped = yaml.safe_dump(definition[key], sort_keys=False, width=110)
        block = "".join(f"        {line}\n" for line in dumped.splitlines())
        pattern = re.compile(_BLOCK.format(name=re.escape(plugin.name), key=key))
        text, found = pattern.subn(rf"\g<1>{_escaped(block)}\g<3>", text, count=1)
        if not found:
            raise SystemExit(f"meltano.yml: the {plugin.name} {key} block was not found")
    MELTANO_YML.write_text(text)


def main() -> None:
    """Rewrite meltano.yml and the Hub files in place."""
    for plugin in PLUGINS:
        definition = derived(about(plugin))
        write_meltano_yml(plugin, definition)
        write_hub(plugin, definition)


if __name__ == "__main__":
    main()
