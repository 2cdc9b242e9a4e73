"""The same dbt models on Snowflake SQL: fakesnow (a Snowflake emulator speaking its wire
protocol) holds the raw tables in the shapes target-snowflake writes, filled from two real
tap runs against the fake Enrow API, and `dbt build` with dbt-snowflake passes there,
the demo seeds compared included.

dbt-snowflake and fakesnow are installed once per session into a virtualenv of their own,
from the dbt-snowflake plugin's pip_url in meltano.yml, so the versions tested are the
versions users get.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import typing as t

import pytest
import yaml

from fake_enrow import DEMO_API_KEY
from fake_enrow.data import DEMO_SINGLE_SEARCH_IDS
from tests.conftest import READABLE_DEMO_IDS
from tests.e2e.dbt_models import FAKESNOW_EXEC, snowflake_load_statements
from tests.helpers import REPO, run_tap_cli

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer

DATABASE = "ANALYTICS"
RAW_SCHEMA = "ENROW"
# fakesnow's server needs the connector's 4.x line; dbt-snowflake brings it.
EMULATOR_REQUIREMENTS = ("fakesnow[server]", "snowflake-connector-python<5")


def _uv() -> list[str]:
    # scripts/test.sh installs uv into the system Python when it is not on PATH.
    if found := shutil.which("uv"):
        return [found]
    return [shutil.which("python3") or sys.executable, "-m", "uv"]


def _dbt_snowflake_pip_url() -> list[str]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    plugin = next(p for p in project["plugins"]["utilities"] if p["name"] == "dbt-snowflake")
    return shlex.split(plugin["pip_url"])


@pytest.fixture(scope="session")
def snowflake_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the plugin's dbt-snowflake and fakesnow."""
    venv = tmp_path_factory.mktemp("dbt-snowflake") / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(  # noqa: S603 - uv with fixed arguments
        [*_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env
    )
    subprocess.run(  # noqa: S603
        [
            *_uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *_dbt_snowflake_pip_url(),
            *EMULATOR_REQUIREMENTS,
        ],
        check=True,
        env=env,
        timeout=900,
    )
    return venv


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fakesnow(snowflake_venv: Path, tmp_path: Path) -> t.Iterator[int]:
    """A fakesnow server on a free port, stopped afterwards."""
    port = _free_port()
    log = (tmp_path / "fakesnow.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(snowflake_venv / "bin" / "fakesnow"), "-s", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"fakesnow did not start: {(tmp_path / 'fakesnow.log').read_text()}")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _tap_messages(fake: FakeEnrowServer, tmp_path: Path) -> list[dict[str, t.Any]]:
    """Two runs of the real tap, the second with the first's state, as a schedule would."""
    config = {
        "api_key": DEMO_API_KEY,
        "api_url": fake.url,
        "batch_ids": READABLE_DEMO_IDS,
        "single_search_ids": DEMO_SINGLE_SEARCH_IDS,
    }
    first = run_tap_cli(config, tmp_path)
    second = run_tap_cli(config, tmp_path, state=first.last_state)
    assert first.returncode == second.returncode == 0, second.stderr[-2000:]
    return [*first.messages, *second.messages]


def _dbt(venv: Path, tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    profiles = tmp_path / "profiles"
    profiles.mkdir(exist_ok=True)
    profile = {
        "enrow": {
            "target": "fakesnow",
            "outputs": {
                "fakesnow": {
                    "type": "snowflake",
                    "account": "fakesnow",
                    "user": "dbt",
                    "password": "fakesnow",
                    "role": "TRANSFORMER",
                    "warehouse": "TRANSFORMING",
                    "database": DATABASE,
                    "schema": f"{RAW_SCHEMA}_ANALYTICS",
                    "host": "127.0.0.1",
                    "port": port,
                    "protocol": "http",
                    "threads": 1,
                }
            },
        }
    }
    (profiles / "profiles.yml").write_text(yaml.safe_dump(profile))
    env = {
        **os.environ,
        "DBT_ENROW_SOURCE_SCHEMA": RAW_SCHEMA,
        "DBT_ENROW_DEMO_CHECKS": "true",
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "NO_COLOR": "1",
    }
    return subprocess.run(  # noqa: S603
        [
            str(venv / "bin" / "dbt"),
            *args,
            "--project-dir",
            str(REPO / "transform"),
            "--profiles-dir",
            str(profiles),
        ],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )


def test_dbt_build_passes_on_snowflake_sql_over_target_snowflake_shaped_tables(
    snowflake_venv: Path, fakesnow: int, fake_api: FakeEnrowServer, tmp_path: Path
) -> None:
    statements = snowflake_load_statements(_tap_messages(fake_api, tmp_path), DATABASE, RAW_SCHEMA)
    assert any("PARAMS VARIANT" in sql for sql, _ in statements)  # objects as VARIANT
    subprocess.run(  # noqa: S603
        [str(snowflake_venv / "bin" / "python"), str(FAKESNOW_EXEC)],
        input=json.dumps({"port": fakesnow, "statements": statements}),
        text=True,
        check=True,
    )

    built = _dbt(snowflake_venv, tmp_path, fakesnow, "build")

    assert built.returncode == 0, built.stdout[-6000:]
    # The seeds were loaded and dbt compared both models with them.
    for check in (
        "assert_batch_quality_matches_the_demo_data",
        "assert_latest_phone_per_lead_matches_the_demo_data",
    ):
        assert f"PASS {check}" in built.stdout
    assert " ERROR=0 " in built.stdout
