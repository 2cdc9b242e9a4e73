"""Every file in hub/ passes the checks Meltano Hub runs on a plugin definition.

tests/hub/ holds the Hub's own plugin-definition JSON schemas and yamllint config,
copied unchanged (Apache-2.0, see tests/hub/README.md). The Hub's CI also checks that a
plugin's name is its folder's (here: the file's) name and derives the maintainer's URL
from `repo`; its formatter sorts keys, settings and capabilities, which its lint then
expects.
"""

from __future__ import annotations

import copy
import json
import typing as t
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from yamllint import linter  # type: ignore[import-untyped]
from yamllint.config import YamlLintConfig  # type: ignore[import-untyped]

from tests.helpers import REPO

if t.TYPE_CHECKING:
    from pathlib import Path

HUB = REPO / "tests" / "hub"
DEFINITIONS = sorted((REPO / "hub").glob("*.yml"))
PLUGIN_TYPE_OF_PREFIX = {"tap-": "extractors", "target-": "loaders"}


def _registry() -> Registry[t.Any]:
    # As the Hub's plugin_schema_validate.py: common/ and plugin_definitions/ by $id.
    resources = []
    for path in sorted((HUB / "schemas").glob("*/*.schema.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema, DRAFT7)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _plugin_type(definition: dict[str, t.Any]) -> str:
    for prefix, plugin_type in PLUGIN_TYPE_OF_PREFIX.items():
        if definition["name"].startswith(prefix):
            return plugin_type
    pytest.fail(f"{definition['name']}: a Hub plugin name starts with tap- or target-")


def _schema_errors(definition: dict[str, t.Any]) -> list[str]:
    path = HUB / "schemas" / "plugin_definitions" / f"{_plugin_type(definition)}.schema.json"
    validator = Draft7Validator(json.loads(path.read_text()), registry=REGISTRY)
    return sorted(error.message for error in validator.iter_errors(definition))


def _lint_problems(text: str) -> list[str]:
    config = YamlLintConfig(file=str(HUB / "yamllint.yaml"))
    return [f"{p.line}:{p.column} {p.rule}: {p.desc}" for p in linter.run(text, config)]


def _load(path: Path) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", yaml.safe_load(path.read_text()))


definitions = pytest.mark.parametrize("path", DEFINITIONS, ids=[p.name for p in DEFINITIONS])


def test_hub_holds_the_tap_definition() -> None:
    assert REPO / "hub" / "tap-enrow-phone.yml" in DEFINITIONS


@definitions
def test_definition_passes_the_hub_json_schema(path: Path) -> None:
    assert _schema_errors(_load(path)) == []


@definitions
def test_definition_passes_the_hub_yaml_lint(path: Path) -> None:
    assert _lint_problems(path.read_text()) == []


@definitions
def test_definition_is_as_the_hub_formatter_leaves_it(path: Path) -> None:
    definition = _load(path)
    names = [s["name"] for s in definition.get("settings", [])]
    assert names == sorted(names)
    assert definition.get("capabilities", []) == sorted(definition.get("capabilities", []))
    for group in definition.get("settings_group_validation", []):
        assert group == sorted(group)


@definitions
def test_definition_names_its_file_and_its_maintainer(path: Path) -> None:
    definition = _load(path)
    assert definition["name"] == path.stem
    # The Hub lists the maintainer (the variant) at the repo URL without its last part.
    repo = urlsplit(definition["repo"])
    assert repo.scheme == "https"
    assert repo.netloc
    owner = repo.path.strip("/").split("/")[0]
    assert definition["variant"].lower() == owner.lower()
    assert definition["namespace"] == definition["name"].replace("-", "_")
    assert definition["logo_url"].startswith(f"/assets/logos/{_plugin_type(definition)}/")
    assert definition["supported_python_versions"]


def test_the_hub_schema_check_refuses_what_the_hub_refuses() -> None:
    # The vendored schema and registry must bite: without these the checks prove nothing.
    tap = _load(REPO / "hub" / "tap-enrow-phone.yml")
    for broken in (
        {k: v for k, v in tap.items() if k != "quality"},
        {**tap, "quality": "platinum"},
        {**tap, "capabilities": ["teleport"]},
        {**tap, "homepage": "https://example.invalid"},
    ):
        assert _schema_errors(broken), broken
    setting = copy.deepcopy(tap)
    setting["settings"][0]["kind"] = "float"
    assert _schema_errors(setting)


def test_the_hub_lint_refuses_unsorted_keys() -> None:
    assert any("key-ordering" in p for p in _lint_problems("name: a\nlabel: b\n"))
