"""The dbt project and its Meltano plugins: seeds current, settings wired to the loaders."""

from __future__ import annotations

import re
import typing as t

import pytest
import yaml

from scripts.demo_expected_rows import lead_key, linkedin_key, seed_files
from tests.helpers import REPO

TRANSFORM = REPO / "transform"
# Each dbt plugin, the loader whose tables it reads, and the loader setting it follows.
DBT_READS = {
    "dbt-postgres": ("target-postgres", "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"),
    "dbt-duckdb": ("target-duckdb", "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA"),
    "dbt-snowflake": ("target-snowflake", "TARGET_SNOWFLAKE_DEFAULT_TARGET_SCHEMA"),
}


def _project() -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", yaml.safe_load((REPO / "meltano.yml").read_text()))


def _plugin(kind: str, name: str) -> dict[str, t.Any]:
    return next(p for p in _project()["plugins"][kind] if p["name"] == name)


def test_demo_seeds_are_what_the_script_writes_from_the_fake_demo_data() -> None:
    for path, text in seed_files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run `uv run python scripts/demo_expected_rows.py`"
        )


@pytest.mark.parametrize("plugin", sorted(DBT_READS))
def test_dbt_reads_the_schema_its_loader_writes(plugin: str) -> None:
    loader, loader_env = DBT_READS[plugin]
    settings = {s["name"]: s for s in _plugin("utilities", plugin)["settings"]}
    source_schema = settings["source_schema"]
    # Meltano hands dbt the loader's setting; the sources fall back to the loader's
    # default in meltano.yml when the environment does not set it.
    assert source_schema["value"] == f"${loader_env}"
    assert source_schema["env"] == "DBT_ENROW_SOURCE_SCHEMA"
    sources = (TRANSFORM / "models" / "sources.yml").read_text()
    fallback = re.search(r"env_var\('DBT_ENROW_SOURCE_SCHEMA', '(\w+)'\)", sources)
    assert fallback is not None
    loader_default = _plugin("loaders", loader)["config"]["default_target_schema"]
    assert fallback.group(1).lower() == loader_default.lower()


@pytest.mark.parametrize("plugin", sorted(DBT_READS))
def test_every_dbt_setting_is_documented_and_the_profile_reads_it(plugin: str) -> None:
    definition = _plugin("utilities", plugin)
    adapter = plugin.removeprefix("dbt-")
    profile = (TRANSFORM / "profiles" / adapter / "profiles.yml").read_text()
    assert definition["executable"] == "dbt"
    assert {"build", "run", "test"} <= set(definition["commands"])
    for setting in definition["settings"]:
        assert setting.get("label"), setting["name"]
        assert setting.get("description"), setting["name"]
        assert bool(setting.get("sensitive")) == (setting.get("kind") == "password")
        env = setting.get("env", f"DBT_{adapter.upper()}_{setting['name'].upper()}")
        if env not in {"DBT_PROJECT_DIR", "DBT_PROFILES_DIR"}:  # read by dbt itself
            assert env in profile or env in _dbt_project_text(), (plugin, setting["name"])


def _dbt_project_text() -> str:
    texts = [(TRANSFORM / "dbt_project.yml").read_text()]
    texts += [p.read_text() for p in (TRANSFORM / "models").glob("*.yml")]
    return "\n".join(texts)


def test_dbt_duckdb_uses_the_duckdb_that_target_duckdb_writes_with() -> None:
    def duckdb_pin(pip_url: str) -> str:
        (pin,) = [p for p in pip_url.split() if p.startswith("duckdb")]
        return pin

    target = duckdb_pin(_plugin("loaders", "target-duckdb")["pip_url"])
    assert duckdb_pin(_plugin("utilities", "dbt-duckdb")["pip_url"]) == target


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.linkedin.com/in/michael-scott", "linkedin.com/in/michael-scott"),
        ("HTTPS://www.LinkedIn.com/in/Michael-Scott/?trk=x#top", "linkedin.com/in/michael-scott"),
        ("http://linkedin.com/in/michael-scott/", "linkedin.com/in/michael-scott"),
        ("  ", None),
        (None, None),
    ],
)
def test_linkedin_urls_written_differently_give_one_lead(url: str | None, key: str | None) -> None:
    assert linkedin_key(url) == key


def test_lead_key_prefers_custom_then_linkedin_then_names_and_company() -> None:
    params = {
        "linkedin_url": "https://www.linkedin.com/in/x",
        "firstname": "Amelie",
        "lastname": "Poulain",
        "company_name": "Cafe",
    }
    assert lead_key(" crm-1 ", params) == ("custom", "crm-1")
    assert lead_key(None, params) == ("linkedin_url", "linkedin.com/in/x")
    del params["linkedin_url"]
    assert lead_key("", params) == ("name_company", "amelie|poulain|cafe")
    assert lead_key(None, {}) is None
