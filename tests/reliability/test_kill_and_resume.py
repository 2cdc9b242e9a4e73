"""SIGKILL in the middle of a run, then a run from the last state that reached stdout.

The tap is the real installed command; its stdout is read as it streams. Only complete
lines count, and only the STATE messages among them: whatever the tap had buffered when
it was killed is lost, exactly as it would be for a target reading the pipe.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import typing as t

import pytest

from fake_enrow import DEMO_API_KEY, FakeEnrowServer
from tests.helpers import TAP_EXECUTABLE, SyncOutput, run_tap_cli
from tests.reliability.support import (
    DEBUG_ENV,
    assert_nothing_leaked,
    expected_result_keys,
    generated_ids,
    result_keys,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.reliability.conftest import Figures

STATES_BEFORE_KILL = 3
WATCHDOG_SECONDS = 60


def _run_until_killed(config_path: Path, stderr_path: Path) -> tuple[SyncOutput, int]:
    """Start the tap, SIGKILL it after a few batches were marked done; what reached stdout."""
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [TAP_EXECUTABLE, "--config", str(config_path)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **DEBUG_ENV},
        )
    # Never hang the suite if the tap stops writing.
    watchdog = threading.Timer(WATCHDOG_SECONDS, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        received = b""
        states = 0
        for line in process.stdout:
            received += line
            if line.endswith(b"\n") and _marks_a_batch_done(json.loads(line)):
                states += 1
            if states == STATES_BEFORE_KILL:
                os.kill(process.pid, signal.SIGKILL)
                break
        received += process.stdout.read()
        returncode = process.wait()
    finally:
        watchdog.cancel()
    # A line cut by the kill is not a message a target would accept.
    complete = received[: received.rfind(b"\n") + 1].decode()
    messages = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return SyncOutput(messages, stderr=stderr_path.read_text(), returncode=returncode), states


def _marks_a_batch_done(message: dict[str, t.Any]) -> bool:
    """A STATE message that records progress through the batches (not the account)."""
    if message["type"] != "STATE":
        return False
    return bool(message["value"]["bookmarks"].get("batches", {}).get("finished"))


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_a_killed_run_resumed_from_its_last_state_loses_nothing_and_rereads_no_done_batch(
    fake_api: FakeEnrowServer,
    tmp_path: Path,
    figures: Figures,
    max_concurrency: int,
) -> None:
    ids = generated_ids("k", 10, 25)
    fake_api.latency = 0.25  # slow enough that the kill lands mid-run
    config = {
        "api_key": DEMO_API_KEY,
        "api_url": fake_api.url,
        "batch_ids": ids,
        "max_concurrency": max_concurrency,
        # A STATE after every batch, so the kill lands between two of them.
        "state_interval": 0,
    }
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))

    first, states_seen = _run_until_killed(config_path, tmp_path / "stderr.txt")

    assert first.returncode == -signal.SIGKILL
    assert states_seen == STATES_BEFORE_KILL
    handed_state = first.last_state
    done = set(handed_state["bookmarks"]["batches"]["finished"])
    assert done, "the kill came before any batch was done"
    assert done < set(ids), "the kill came after the run ended"
    requests_before = dict(fake_api.stats()["requests"])

    fake_api.latency = 0.0
    second = run_tap_cli(config, tmp_path, state=handed_state, env=DEBUG_ENV)

    assert second.returncode == 0
    requests = fake_api.stats()["requests"]
    # No batch the state called done is requested again ...
    assert all(requests[batch_id] == 1 for batch_id in done)
    assert not done & set(second.ids("batches"))
    # ... every other batch is read by the second run, once ...
    assert second.ids("batches") == [b for b in ids if b not in done]
    assert all(requests[b] == requests_before.get(b, 0) + 1 for b in ids if b not in done)
    # ... and together the two runs emitted every record.
    assert set(first.ids("batches")) | set(second.ids("batches")) == set(ids)
    assert set(result_keys(first, second)) == expected_result_keys(ids)
    for run in (first, second):
        assert_nothing_leaked(run, fake_api, DEMO_API_KEY)
    figures.kills_resumed += 1
    figures.delivered(expected_result_keys(ids), result_keys(first, second))
