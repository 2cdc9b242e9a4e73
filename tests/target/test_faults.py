"""Faults while submitting: no search is ever paid for twice, no created batch id is lost.

"Lost" means: a batch the fake created whose id is neither in the ids file nor
accounted for by searches marked uncertain in the ledger (which stop the run with the
line saying how to find it).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
import typing as t
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fake_enrow import FakeEnrowServer, Fault
from fake_enrow.server import SUBMIT_KEY
from target_enrow_phone.errors import TargetError
from target_enrow_phone.ledger import Ledger
from target_enrow_phone.submitter import recover_from_ids_file
from tests.target.support import (
    TARGET_EXECUTABLE,
    Workspace,
    lead,
    ledger_command,
    run_target,
    singer_lines,
)

TIMEOUT = 1.0  # the target's request_timeout in these runs
UNCERTAIN_FAULTS = {
    "HTTP 500": Fault(status=500, body={"message": "Internal server error"}),
    "HTTP 503 after create": Fault(status=503, body={"message": "busy"}, after_create=True),
    "timeout after create": Fault(delay=TIMEOUT * 3, after_create=True),
    "reset after create": Fault(action="reset", after_create=True),
    "reset before create": Fault(action="reset"),
}
REFUSALS = {
    "HTTP 400": (
        Fault(status=400, body={"message": "Invalid linkedin_url"}),
        "linkedin_url was refused",
    ),
    "HTTP 401": (
        Fault(status=401, body={"message": "This apikey is not valid"}),
        "rejected the API key",
    ),
    "HTTP 402": (Fault(status=402, body={"message": "Not enough credits"}), "lack of credits"),
    "HTTP 422": (Fault(status=422, body={"message": "Insufficient credits"}), "lack of credits"),
}


def config(workspace: Workspace, **extra: t.Any) -> dict[str, t.Any]:
    return workspace.config(**{"request_timeout": TIMEOUT, "batch_size": 2, **extra})


def keys_submitted(fake: FakeEnrowServer) -> Counter[str]:
    return Counter(json.dumps(s, sort_keys=True) for s in fake.submissions.searches())


def ledger_states(workspace: Workspace) -> Counter[str]:
    with sqlite3.connect(workspace.ledger) as conn:
        return Counter(
            dict(conn.execute("SELECT state, COUNT(*) FROM searches GROUP BY state").fetchall())
        )


def unaccounted_batches(workspace: Workspace) -> list[str]:
    """Created batches neither handed to the tap nor covered by uncertain searches."""
    handed = set(workspace.handed_ids())
    uncertain_customs: set[str] = set()
    if workspace.ledger.exists():
        with sqlite3.connect(workspace.ledger) as conn:
            uncertain_customs = {
                c for (c,) in conn.execute("SELECT custom FROM searches WHERE state = 'uncertain'")
            }
    lost = []
    for batch_id, searches in workspace.fake.submissions.batches:
        if batch_id in handed:
            continue
        if not {s["custom"] for s in searches} <= uncertain_customs:
            lost.append(batch_id)
    return lost


def test_a_429_is_retried_after_its_retry_after_and_submits_once(workspace: Workspace) -> None:
    workspace.fake.script(
        SUBMIT_KEY,
        Fault(status=429, body={"message": "Too Many Requests"}, headers={"Retry-After": "0"}),
        Fault(status=429, body={"message": "Too Many Requests"}, headers={"Retry-After": "0"}),
    )
    run = run_target(config(workspace), singer_lines([lead(1), lead(2)]))

    assert run.error is None
    assert workspace.fake.stats()["faults_served"] == {"HTTP 429 with Retry-After (seconds)": 2}
    assert len(workspace.fake.submissions.batch_ids()) == 1
    assert workspace.handed_ids() == workspace.fake.submissions.batch_ids()


@pytest.mark.parametrize("name", list(UNCERTAIN_FAULTS))
def test_an_unknown_outcome_is_never_retried_and_its_searches_wait_for_a_person(
    workspace: Workspace, name: str
) -> None:
    leads = [lead(n) for n in range(4)]  # two batches of two
    workspace.fake.script(SUBMIT_KEY, UNCERTAIN_FAULTS[name])
    run = run_target(config(workspace), singer_lines(leads))

    assert isinstance(run.error, TargetError)
    message = str(run.error)
    assert "no clear answer" in message
    assert "marked uncertain" in message
    assert "target-enrow-phone-ledger" in message
    assert "\n" not in message
    assert run.states == []  # nothing acknowledged
    assert workspace.fake.stats()["faults_served"] == {UNCERTAIN_FAULTS[name].kind: 1}
    assert ledger_states(workspace) == {"uncertain": 2}
    assert unaccounted_batches(workspace) == []

    again = run_target(config(workspace), singer_lines(leads))
    assert again.error is None
    # The uncertain pair is skipped; the other pair goes out once.
    assert max(keys_submitted(workspace.fake).values()) == 1
    assert ledger_states(workspace) == {"uncertain": 2, "submitted": 2}
    assert again.states == [{"leads_seen": 4}]


def test_clearing_uncertain_searches_sends_them_again_once(workspace: Workspace) -> None:
    workspace.fake.script(SUBMIT_KEY, UNCERTAIN_FAULTS["HTTP 500"])
    leads = [lead(1), lead(2)]
    run_target(config(workspace), singer_lines(leads))

    listed = ledger_command(workspace.ledger, "list", "--customs")
    assert listed.returncode == 0
    attempt = listed.stdout.split()[1]
    assert "searches 2" in listed.stdout
    assert "custom lead-1" in listed.stdout

    cleared = ledger_command(workspace.ledger, "clear", attempt)
    assert cleared.returncode == 0, cleared.stderr
    assert "2 uncertain searches cleared" in cleared.stdout
    run_target(config(workspace), singer_lines(leads))
    assert sorted(s["custom"] for s in workspace.fake.submissions.searches()) == [
        "lead-1",
        "lead-2",
    ]
    assert ledger_command(workspace.ledger, "list").stdout.strip() == "No uncertain searches."


def test_confirming_an_uncertain_batch_records_it_and_never_sends_it(workspace: Workspace) -> None:
    workspace.fake.script(SUBMIT_KEY, UNCERTAIN_FAULTS["timeout after create"])
    leads = [lead(1), lead(2)]
    run_target(config(workspace), singer_lines(leads))
    (created,) = workspace.fake.submissions.batch_ids()
    attempt = ledger_command(workspace.ledger, "list").stdout.split()[1]

    confirmed = ledger_command(workspace.ledger, "confirm", attempt, "--batch-id", created)
    assert confirmed.returncode == 0, confirmed.stderr
    run_target(config(workspace), singer_lines(leads))
    assert len(workspace.fake.submissions.searches()) == 2
    assert ledger_states(workspace) == {"submitted": 2}
    wrong = ledger_command(workspace.ledger, "clear", "no-such-attempt")
    assert wrong.returncode == 1
    assert "No uncertain search matches" in wrong.stderr


@pytest.mark.parametrize("name", list(REFUSALS))
def test_a_refusal_stops_the_run_in_one_line_and_submits_nothing_more(
    workspace: Workspace, name: str
) -> None:
    fault, fragment = REFUSALS[name]
    workspace.fake.script(SUBMIT_KEY, fault)
    run = run_target(config(workspace), singer_lines([lead(n) for n in range(6)]))

    assert isinstance(run.error, TargetError)
    assert fragment in str(run.error)
    assert "Nothing from this batch of 2 searches was created" in str(run.error)
    assert "\n" not in str(run.error)
    assert workspace.fake.stats()["submitted_searches"] == 0
    assert run.states == []
    # Nothing was created, so nothing is uncertain: a later run may send them.
    assert ledger_states(workspace) == {}
    run_target(config(workspace), singer_lines([lead(n) for n in range(6)]))
    assert max(keys_submitted(workspace.fake).values()) == 1
    assert len(workspace.fake.submissions.searches()) == 6


def test_a_fault_on_a_later_batch_keeps_the_earlier_ids_and_acknowledges_nothing(
    workspace: Workspace,
) -> None:
    workspace.fake.script(SUBMIT_KEY, Fault(), UNCERTAIN_FAULTS["HTTP 500"])
    run = run_target(config(workspace), singer_lines([lead(n) for n in range(6)], state_every=1))

    assert isinstance(run.error, TargetError)
    assert "Before it, 2 searches were submitted in 1 batches" in str(run.error)
    assert workspace.handed_ids() == workspace.fake.submissions.batch_ids()[:1]
    assert run.states == []


def test_a_run_that_died_after_handing_off_is_settled_from_the_ids_file(
    workspace: Workspace,
) -> None:
    """Killed between the fsync of the id and the ledger's update: nothing is uncertain."""
    ledger = Ledger(workspace.ledger)
    ledger.open_for_run({})
    ledger.mark_pending("abc123", "run-1", "leads", [("k1", "lead-1")])
    ledger.close()
    workspace.ids_file.parent.mkdir(parents=True)
    workspace.ids_file.write_text(
        "bulk-777  # 2026-01-01T00:00:00+00:00 stream=leads searches=1 attempt=abc123\n"
    )

    reopened = Ledger(workspace.ledger)

    assert reopened.open_for_run(recover_from_ids_file(workspace.ids_file)) == 0
    assert reopened.counts() == {"submitted": 1}
    reopened.close()


def _kill_mid_post(workspace: Workspace, fault: Fault, tmp_path: Path) -> None:
    """Start the target, SIGKILL it while its POST is in flight at the fake."""
    workspace.fake.script(SUBMIT_KEY, fault)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config(workspace, request_timeout=60)))
    with subprocess.Popen(  # noqa: S603 - our own executable
        [TARGET_EXECUTABLE, "--config", str(config_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdin is not None
        proc.stdin.write(singer_lines([lead(1), lead(2), lead(3)]))
        proc.stdin.close()
        deadline = time.monotonic() + 60
        while workspace.fake.stats()["in_flight"] == 0:
            assert time.monotonic() < deadline, "the POST never arrived"
            time.sleep(0.05)
        if fault.after_create:
            while not workspace.fake.submissions.batch_ids():
                assert time.monotonic() < deadline
                time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        assert proc.stdout.read() == ""  # no STATE acknowledged anything


@pytest.mark.parametrize("after_create", [True, False], ids=["created", "not-created"])
def test_sigkill_mid_post_leaves_the_searches_uncertain_never_resent(
    workspace: Workspace, tmp_path: Path, *, after_create: bool
) -> None:
    _kill_mid_post(workspace, Fault(delay=30, after_create=after_create), tmp_path)
    created = len(workspace.fake.submissions.batch_ids())
    assert created == (1 if after_create else 0)

    again = run_target(config(workspace), singer_lines([lead(1), lead(2), lead(3)]))
    assert again.error is None
    assert ledger_states(workspace) == {"uncertain": 2, "submitted": 1}
    assert max(keys_submitted(workspace.fake).values()) == 1
    assert unaccounted_batches(workspace) == []


FAULT_CHOICES = [None, "HTTP 429", *UNCERTAIN_FAULTS, "HTTP 402", "HTTP 400"]


@settings(deadline=None, max_examples=25, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    runs=st.lists(
        st.lists(st.sampled_from(FAULT_CHOICES), min_size=0, max_size=3), min_size=1, max_size=4
    ),
    leads=st.integers(min_value=1, max_value=7),
    clear_between=st.booleans(),
)
def test_no_sequence_of_faults_pays_twice_or_loses_a_batch(
    *, runs: list[list[str | None]], leads: int, clear_between: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeEnrowServer() as fake:
        workspace = Workspace(Path(tmp), fake)
        lines = singer_lines([lead(n) for n in range(leads)])
        for faults in runs:
            for name in faults:
                fault = (
                    Fault()
                    if name is None
                    else Fault(
                        status=429,
                        body={"message": "Too Many Requests"},
                        headers={"Retry-After": "0"},
                    )
                    if name == "HTTP 429"
                    else UNCERTAIN_FAULTS.get(name) or REFUSALS[name][0]
                )
                fake.script(SUBMIT_KEY, fault)
            run_target(config(workspace, request_timeout=0.3), lines)
            if clear_between and workspace.ledger.exists():
                # A person checked the dashboard and found nothing: send again.
                with sqlite3.connect(workspace.ledger) as conn:
                    created = {
                        c for _, ss in fake.submissions.batches for c in (s["custom"] for s in ss)
                    }
                    uncertain = {
                        c
                        for (c,) in conn.execute(
                            "SELECT custom FROM searches WHERE state='uncertain'"
                        )
                    }
                if not (uncertain & created):
                    ledger_command(workspace.ledger, "clear", "--all")
            fake.faults.clear()
        assert max(keys_submitted(fake).values(), default=1) == 1
        assert unaccounted_batches(workspace) == []
