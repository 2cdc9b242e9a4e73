"""The loaders of the target matrix: each pinned, installed from PyPI into a virtualenv of
its own (once per session), run as a real subprocess fed with the tap's real output.

The pins of the loaders the Meltano project declares are read from meltano.yml, so the
matrix checks what users install; the others are pinned here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from functools import cache

import yaml

from tests.helpers import REPO

if t.TYPE_CHECKING:
    from pathlib import Path

# pandas 2.0 in pipelinewise-target-snowflake 2.3.0 is built against numpy 1: with the
# numpy 2 its requirements let in, importing the target fails.
PIPELINEWISE_SNOWFLAKE = ("pipelinewise-target-snowflake==2.3.0", "numpy<2")
PIPELINEWISE_POSTGRES = ("pipelinewise-target-postgres==2.1.2",)
MELTANOLABS_CSV = ("meltanolabs-target-csv==0.5.0",)


@cache
def project_loader(name: str) -> tuple[str, ...]:
    """The pinned requirements of one loader of meltano.yml (its `pip_url`)."""
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    (loader,) = (p for p in project["plugins"]["loaders"] if p["name"] == name)
    return tuple(loader["pip_url"].split())


@dataclass(frozen=True)
class Loader:
    """A target, pinned: what to install and the command it installs."""

    label: str
    requirements: tuple[str, ...]
    command: str


class LoaderEnvironments:
    """One virtualenv per loader under `root`, made on first use and reused after."""

    def __init__(self, root: Path) -> None:
        """Keep the environments under `root`."""
        self.root = root
        self._made: dict[tuple[str, ...], Path] = {}

    def bin_dir(self, requirements: tuple[str, ...]) -> Path:
        """The `bin` directory of a virtualenv holding exactly these requirements."""
        if requirements not in self._made:
            venv = self.root / f"env{len(self._made)}"
            # The machine's uv cache makes this a copy, not a download, after the first time.
            _uv("venv", "--quiet", "--python", sys.executable, str(venv))
            _uv(
                "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *requirements
            )
            self._made[requirements] = venv / "bin"
        return self._made[requirements]

    def load(
        self, loader: Loader, config: dict[str, t.Any], messages: Path, workdir: Path
    ) -> subprocess.CompletedProcess[str]:
        """Pipe the tap's messages into the loader, as `tap | target --config` would."""
        config_path = workdir / f"{loader.command}-config.json"
        config_path.write_text(json.dumps(config))
        with messages.open("rb") as stdin:
            done = subprocess.run(  # noqa: S603 - the loader we installed, fixed arguments
                [
                    str(self.bin_dir(loader.requirements) / loader.command),
                    "--config",
                    str(config_path),
                ],
                stdin=stdin,
                capture_output=True,
                text=True,
                cwd=workdir,
                timeout=600,
                check=False,
            )
        assert done.returncode == 0, (
            f"{loader.label} exited {done.returncode}:\n{done.stderr[-4000:]}"
        )
        return done

    def python(
        self, requirements: tuple[str, ...], script: Path, *args: str, stdin: str = ""
    ) -> str:
        """Run one of our probe scripts with a loader's own Python; its stdout."""
        done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [str(self.bin_dir(requirements) / "python"), str(script), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, (
            f"{script.name} exited {done.returncode}:\n{done.stderr[-4000:]}"
        )
        return done.stdout


def _uv(*args: str) -> None:
    # scripts/test.sh puts uv on PATH, or installs it as a module when it cannot.
    uv = shutil.which("uv")
    command = [uv] if uv else ["python3", "-m", "uv"]
    done = subprocess.run(  # noqa: S603 - uv with fixed arguments
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
            "UV_PYTHON_DOWNLOADS": "never",
        },
    )
    assert done.returncode == 0, f"uv {' '.join(args)} failed:\n{done.stderr[-4000:]}"
