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
            command = self.bin_dir(loader.requirements) / loader.command
            return _run(loader.label, [str(command), "--config", str(config_path)], stdin, workdir)

    def python(
        self, requirements: tuple[str, ...], script: Path, *args: str, stdin: str = ""
    ) -> str:
        """Run one of our probe scripts with a loader's own Python; its stdout."""
        python = self.bin_dir(requirements) / "python"
        return _run(script.name, [str(python), str(script), *args], stdin).stdout


def _run(
    label: str,
    args: list[str],
    stdin: t.IO[bytes] | str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a loader, a probe or uv; on failure, the end of its stderr."""
    done = subprocess.run(  # noqa: S603 - a program we installed, fixed arguments
        args,
        input=stdin if isinstance(stdin, str) else None,
        stdin=None if isinstance(stdin, str) else stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{label} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return done


def _uv(*args: str) -> None:
    # scripts/test.sh puts uv on PATH, or installs it as a module when it cannot.
    uv = shutil.which("uv")
    command = [uv] if uv else ["python3", "-m", "uv"]
    # The loader's environment, not the project's: uv must not see the active one.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    _run(f"uv {args[0]}", [*command, *args], "", env={**env, "UV_PYTHON_DOWNLOADS": "never"})
