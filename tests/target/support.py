"""Run target-enrow-phone for real (in this process or as a subprocess) against the fake."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

from fake_enrow import DEMO_API_KEY
from target_enrow_phone.target import TargetEnrowPhone
from tests.helpers import REPO

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer

TARGET_EXECUTABLE = str(Path(sys.executable).with_name("target-enrow-phone"))
LEDGER_EXECUTABLE = str(Path(sys.executable).with_name("target-enrow-phone-ledger"))
LEADS_SCHEMA = {
    "properties": {
        "id": {"type": "integer"},
        "custom": {"type": ["string", "null"]},
        "linkedin_url": {"type": ["string", "null"]},
        "firstname": {"type": ["string", "null"]},
        "lastname": {"type": ["string", "null"]},
        "company_domain": {"type": ["string", "null"]},
        "company_name": {"type": ["string", "null"]},
    }
}


def lead(n: int, **fields: t.Any) -> dict[str, t.Any]:
    """A lead with a LinkedIn URL of its own and its id as `custom`, unless overridden."""
    return {
        "id": n,
        "custom": f"lead-{n}",
        "linkedin_url": f"https://www.linkedin.com/in/person-{n}",
        **fields,
    }


def singer_lines(leads: list[dict[str, t.Any]], stream: str = "leads", state_every: int = 0) -> str:
    """SCHEMA, the RECORDs, and a STATE after every `state_every` records and at the end."""
    lines = [{"type": "SCHEMA", "stream": stream, "schema": LEADS_SCHEMA, "key_properties": ["id"]}]
    for i, record in enumerate(leads, start=1):
        lines.append({"type": "RECORD", "stream": stream, "record": record})
        if state_every and i % state_every == 0:
            lines.append({"type": "STATE", "value": {"leads_seen": i}})
    lines.append({"type": "STATE", "value": {"leads_seen": len(leads)}})
    return "".join(json.dumps(line) + "\n" for line in lines)


@dataclass
class Workspace:
    """One test's ids file and ledger, and a config pointing the target at the fake."""

    root: Path
    fake: FakeEnrowServer

    @property
    def ids_file(self) -> Path:
        return self.root / "enrow" / "batch_ids.txt"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger.sqlite3"

    def config(self, **extra: t.Any) -> dict[str, t.Any]:
        return {
            "api_key": DEMO_API_KEY,
            "api_url": self.fake.url,
            "batch_ids_file": str(self.ids_file),
            "ledger_path": str(self.ledger),
            "request_timeout": 2,
            "retry_max_wait": 0.05,
            **extra,
        }

    def handed_ids(self) -> list[str]:
        """The batch ids in the ids file, as the tap reads them."""
        if not self.ids_file.exists():
            return []
        return [
            line.split("#", 1)[0].strip()
            for line in self.ids_file.read_text().splitlines()
            if line.split("#", 1)[0].strip()
        ]


@dataclass
class Run:
    """What one in-process run wrote to stdout, and the error it ended with."""

    states: list[dict[str, t.Any]]
    error: BaseException | None


def run_target(config: dict[str, t.Any], lines: str) -> Run:
    """Run the target in this process on `lines`; its errors are returned, not raised."""
    out = io.StringIO()
    error: BaseException | None = None
    with contextlib.redirect_stdout(out):
        try:
            target = TargetEnrowPhone(config=config, validate_config=True)
            target.listen(io.StringIO(lines))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            error = exc
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return Run(states, error)


def run_target_process(
    config: dict[str, t.Any], lines: str, tmp: Path
) -> subprocess.CompletedProcess[str]:
    """Run the installed `target-enrow-phone` on `lines`, at DEBUG, as Meltano would."""
    config_file = tmp / f"config-{os.getpid()}-{len(list(tmp.iterdir()))}.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(  # noqa: S603 - our own executable
        [TARGET_EXECUTABLE, "--config", str(config_file)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env={**os.environ, "TARGET_ENROW_PHONE_LOGLEVEL": "DEBUG"},
    )


def ledger_command(ledger: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `target-enrow-phone-ledger --ledger <ledger> <args>`."""
    return subprocess.run(  # noqa: S603 - our own executable
        [LEDGER_EXECUTABLE, "--ledger", str(ledger), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
