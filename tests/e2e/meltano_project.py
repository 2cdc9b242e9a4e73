"""Drive the repository's Meltano project with real `meltano` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fake_enrow import DEMO_API_KEY
from tests.helpers import REPO

MELTANO = str(Path(sys.executable).with_name("meltano"))
# Plugins the end-to-end runs load into, and dbt for the ELT jobs; target-snowflake is
# installed on demand by the one test that needs it.
RUN_PLUGINS = (
    "tap-enrow-phone",
    "target-postgres",
    "target-duckdb",
    "target-jsonl",
    "dbt-postgres",
    "dbt-duckdb",
)
# Settings a developer's shell may carry; a test sets its own.
_OWN_PREFIXES = ("TAP_ENROW_PHONE_", "TARGET_", "MELTANO_")


@dataclass
class MeltanoProject:
    """The repo's meltano.yml, with plugins installed once in `sys_dir`.

    Each test gets its own system database (so its own stored state) through `state_dir`.
    """

    sys_dir: Path
    state_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    root: Path = REPO

    def for_test(self, state_dir: Path, **env: str) -> MeltanoProject:
        """The same installed plugins, with a fresh system database and extra env."""
        return MeltanoProject(self.sys_dir, state_dir, {**self.env, **env}, self.root)

    def point_tap_at(self, api_url: str, batch_ids: list[str]) -> None:
        """Read these batches from the fake, through env vars as a user would set them."""
        self.env.update(
            TAP_ENROW_PHONE_API_KEY=DEMO_API_KEY,
            TAP_ENROW_PHONE_API_URL=api_url,
            # One of the forms the tap reads from text (see settings.ID_LIST).
            TAP_ENROW_PHONE_BATCH_IDS=json.dumps(batch_ids),
        )

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `meltano <args>` in the project; on failure show its log."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
        env.update(
            MELTANO_SYS_DIR_ROOT=str(self.sys_dir),
            MELTANO_DATABASE_URI=f"sqlite:///{self.state_dir / 'meltano.db'}",
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            NO_COLOR="1",
        )
        env.update(self.env)
        done = subprocess.run(  # noqa: S603 - our own meltano, fixed arguments
            [MELTANO, *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
        if check and done.returncode != 0:
            msg = f"meltano {' '.join(args)} exited {done.returncode}:\n{done.stderr[-6000:]}"
            raise AssertionError(msg)
        return done
