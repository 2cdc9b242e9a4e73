"""The release artefacts: the sdist and wheel a tag publishes, built here for real.

The wheel ships the packages pyproject.toml names and the stream schemas, nothing else:
no tests, no benchmarks, no fake Enrow API (it serves the tests, the benchmarks and the
quick start, all of which run from a clone; a user of the tap never needs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import typing as t
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.helpers import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli where tomllib is missing
    import tomli as tomllib

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
WHEEL_CONFIG = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]


def _uv() -> list[str]:
    uv = shutil.which("uv")
    return [uv] if uv else [sys.executable, "-m", "uv"]


def _run(*args: str | Path, cwd: Path = REPO) -> str:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(  # noqa: S603 - our own tools, fixed arguments
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`uv build`: the sdist, then the wheel built from it, as a release job does."""
    out = tmp_path_factory.mktemp("dist")
    _run(*_uv(), "build", "--out-dir", out)
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("*.whl")
    return wheel


def _metadata(dist: Path) -> t.Any:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(wheel.read(name).decode())


def _expected_wheel_files() -> set[str]:
    """Every tracked module of the packages pyproject names, and the schemas."""
    tracked = _run("git", "ls-files", *WHEEL_CONFIG["packages"], "schemas").splitlines()
    expected = {f for f in tracked if f.endswith(".py") and not f.startswith("schemas/")}
    for source, target in WHEEL_CONFIG["force-include"].items():
        expected |= {
            f"{target}/{Path(f).relative_to(source)}" for f in tracked if f.startswith(source)
        }
    return expected


def test_wheel_holds_the_packages_and_schemas_and_nothing_else(dist: Path) -> None:
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        names = wheel.namelist()
    shipped = {n for n in names if ".dist-info/" not in n}
    assert shipped == _expected_wheel_files()
    assert {n for n in shipped if n.startswith("tap_enrow_phone/schemas/")} == {
        f"tap_enrow_phone/schemas/{p.name}" for p in (REPO / "schemas").glob("*.json")
    }
    assert not {n for n in shipped if n.startswith(("tests/", "fake_enrow/", "bench/"))}
    dist_info = {n.split(".dist-info/", 1)[1] for n in names if ".dist-info/" in n}
    assert dist_info == {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE"}


def test_sdist_holds_the_sources_a_rebuild_needs(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "PKG-INFO"} <= names
    assert {f"schemas/{p.name}" for p in (REPO / "schemas").glob("*.json")} <= names
    assert not {n for n in names if n.startswith((".venv/", ".meltano/", "output/"))}


def test_wheel_metadata_carries_the_licence_links_and_pythons(dist: Path) -> None:
    metadata = _metadata(dist)
    assert metadata["License-Expression"] == "Apache-2.0"
    urls = {u.split(",", 1)[0].lower() for u in metadata.get_all("Project-URL")}
    assert urls >= {"homepage", "documentation", "issues", "changelog"}
    pythons = sorted(
        c.rsplit(":: ", 1)[1]
        for c in metadata.get_all("Classifier")
        if c.startswith("Programming Language :: Python :: 3.")
    )
    assert pythons == PYTHONS_THE_SUITE_RAN_ON
    assert metadata["Requires-Python"] == ">=3.10"


# The Pythons the whole suite passed on (README "Tests"); 3.14 joins when it has.
PYTHONS_THE_SUITE_RAN_ON = ["3.10", "3.11", "3.12", "3.13"]


def test_a_release_is_a_tag_the_version_comes_from_it(tmp_path: Path) -> None:
    # A clone of the commit under test, tagged as a maintainer tags a release.
    clone = tmp_path / "clone"
    _run("git", "clone", "--quiet", "--no-checkout", REPO, clone)
    _run("git", "-C", clone, "checkout", "--quiet", _run("git", "rev-parse", "HEAD").strip())
    _run("git", "-C", clone, "tag", "v9.8.7")

    _run(*_uv(), "build", "--wheel", "--out-dir", tmp_path / "dist", cwd=clone)

    assert _metadata(tmp_path / "dist")["Version"] == "9.8.7"


def test_the_wheel_installs_and_discovers_every_stream_from_its_own_schemas(
    dist: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    _run(*_uv(), "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(*_uv(), "pip", "install", "--quiet", "--python", python, _wheel(dist))

    catalog = _run(venv / "bin" / "tap-enrow-phone", "--discover", cwd=tmp_path)

    streams = {s["tap_stream_id"]: s["schema"] for s in json.loads(catalog)["streams"]}
    for path in (REPO / "schemas").glob("*.json"):
        assert (
            streams[path.stem]["properties"].keys()
            >= json.loads(path.read_text())["properties"].keys()
        )
