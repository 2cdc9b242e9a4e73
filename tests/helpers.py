"""Run the tap for real, in this process or as a subprocess, and read what it wrote."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from tap_enrow_phone.state import finished_key
from tap_enrow_phone.tap import TapEnrowPhone

REPO = Path(__file__).resolve().parent.parent
TAP_EXECUTABLE = str(Path(sys.executable).with_name("tap-enrow-phone"))


@dataclass
class SyncOutput:
    """The Singer messages one run wrote, sorted out for assertions."""

    messages: list[dict[str, t.Any]]
    error: BaseException | None = None
    stderr: str = ""
    returncode: int = 0
    records: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records.setdefault(message["stream"], []).append(message["record"])

    @property
    def states(self) -> list[dict[str, t.Any]]:
        """Every STATE value, in order."""
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, t.Any]:
        """The state to hand the next run."""
        state: dict[str, t.Any] = self.states[-1]
        return state

    def finished(self, stream: str = "batches") -> set[str]:
        """The ids the last state lists as finished, as the state writes them."""
        return set(self.last_state["bookmarks"][stream]["finished"])

    def is_finished(self, item_id: str, stream: str = "batches") -> bool:
        """Whether the last state marks `item_id` finished (so the next run skips it)."""
        return finished_key(item_id) in self.finished(stream)

    def ids(self, stream: str) -> list[str]:
        """The batch ids a stream's records belong to, in output order."""
        key = "id" if stream == "batches" else "batch_id"
        return [r[key] for r in self.records.get(stream, [])]


def parse_messages(text: str) -> list[dict[str, t.Any]]:
    """Singer messages from a tap's stdout."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_tap(
    config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
) -> SyncOutput:
    """Sync in this process; an error the tap raises is kept, not re-raised."""
    stdout = io.StringIO()
    error: BaseException | None = None
    with contextlib.redirect_stdout(stdout):
        try:
            tap = TapEnrowPhone(config=config, state=state, catalog=catalog)
            tap.sync_all()
        except Exception as exc:  # noqa: BLE001 - the tests assert on it
            error = exc
    return SyncOutput(parse_messages(stdout.getvalue()), error=error)


def run_tap_cli(
    config: dict[str, t.Any],
    tmp_path: Path,
    *,
    state: dict[str, t.Any] | str | None = None,
    extra_args: t.Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> SyncOutput:
    """Run the installed `tap-enrow-phone` command as a real subprocess."""
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    args = [TAP_EXECUTABLE, "--config", str(config_path), *extra_args]
    if state is not None:
        state_path = tmp_path / "state.json"
        # A string is the file's text as it is, for states that are not JSON.
        state_path.write_text(state if isinstance(state, str) else json.dumps(state))
        args += ["--state", str(state_path)]
    completed = subprocess.run(  # noqa: S603
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
        stdin=subprocess.DEVNULL,
    )
    messages = parse_messages(completed.stdout) if completed.stdout.startswith("{") else []
    return SyncOutput(messages, stderr=completed.stderr, returncode=completed.returncode)


def catalog_selecting(streams: set[str]) -> dict[str, t.Any]:
    """The tap's discovered catalog with only `streams` selected."""
    tap = TapEnrowPhone(config={"api_key": "x", "batch_ids": ["x"]}, validate_config=False)
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog
