"""Runs of the target against the fake Enrow API: what is sent, recorded and handed off."""

from __future__ import annotations

import json
import sqlite3
import typing as t

import pytest

from tap_enrow_phone import settings as tap_settings
from target_enrow_phone.errors import TargetError
from target_enrow_phone.ledger import Ledger
from tests.target.support import Workspace, lead, run_target, run_target_process, singer_lines

if t.TYPE_CHECKING:
    from pathlib import Path


def submitted_customs(workspace: Workspace) -> list[str]:
    return [s.get("custom", "") for s in workspace.fake.submissions.searches()]


def test_leads_become_batches_whose_ids_the_tap_reads(workspace: Workspace) -> None:
    leads = [lead(n) for n in range(7)]
    run = run_target(workspace.config(batch_size=3), singer_lines(leads))

    assert run.error is None
    created = workspace.fake.submissions.batch_ids()
    assert len(created) == 3  # 3 + 3 + 1
    assert workspace.handed_ids() == created
    # The tap reads exactly these ids from the same file.
    config = {"batch_ids_file": str(workspace.ids_file)}
    assert tap_settings.resolve_ids(config, tap_settings.BATCH_IDS) == created
    assert sorted(submitted_customs(workspace)) == sorted(f"lead-{n}" for n in range(7))
    assert run.states == [{"leads_seen": 7}]


def test_each_batch_says_where_it_came_from_and_passes_the_options(workspace: Workspace) -> None:
    config = workspace.config(webhook="https://hooks.example.com/enrow", country_code="fr")
    run_target(config, singer_lines([lead(1)], stream="crm_leads"))

    (batch_id,) = workspace.fake.submissions.batch_ids()
    batch = workspace.fake.catalog.get(batch_id)
    assert batch is not None
    assert batch.custom is not None
    assert batch.custom["stream"] == "crm_leads"
    assert batch.custom["source"] == "target-enrow-phone"
    assert batch.custom["run"]
    assert batch.results[0]["params"] == {"linkedin_url": "https://www.linkedin.com/in/person-1"}
    assert batch.results[0]["custom"] == "lead-1"
    if batch.results[0]["qualification"] == "found":
        assert batch.results[0]["country"] == "FR"
    comment = workspace.ids_file.read_text().split("#", 1)[1]
    assert "stream=crm_leads" in comment
    assert "searches=1" in comment


def test_a_second_run_over_the_same_leads_submits_nothing(workspace: Workspace) -> None:
    lines = singer_lines([lead(n) for n in range(5)])
    run_target(workspace.config(), lines)
    again = run_target(workspace.config(), lines)

    assert again.error is None
    assert len(workspace.fake.submissions.searches()) == 5
    assert len(workspace.handed_ids()) == 1
    # The records are still acknowledged, so an incremental tap moves on.
    assert again.states == [{"leads_seen": 5}]


def test_the_same_lead_written_differently_is_submitted_once(workspace: Workspace) -> None:
    leads = [
        lead(1, linkedin_url="https://www.linkedin.com/in/jane"),
        lead(2, linkedin_url="linkedin.com/in/JANE/"),
        lead(3, linkedin_url=None, firstname="Ann", lastname="Lee", company_domain="acme.com"),
        lead(
            4,
            linkedin_url=None,
            firstname="ann",
            lastname=" LEE",
            company_domain="https://www.acme.com/",
        ),
    ]
    run_target(workspace.config(), singer_lines(leads))
    assert submitted_customs(workspace) == ["lead-1", "lead-3"]


def test_records_that_make_no_search_are_never_sent_and_are_counted(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    leads = [lead(1), {"id": 2, "firstname": "Only"}, lead(3, linkedin_url="https://example.com/x")]
    caplog.set_level("INFO")
    run_target(workspace.config(), singer_lines(leads))

    assert submitted_customs(workspace) == ["lead-1"]
    (summary,) = [r.getMessage() for r in caplog.records if "skipped 2 records" in r.getMessage()]
    assert "1 no linkedin_url" in summary
    assert "1 linkedin_url is not a LinkedIn profile URL" in summary


def test_resubmit_after_days_lets_an_old_search_go_again(workspace: Workspace) -> None:
    lines = singer_lines([lead(1)])
    run_target(workspace.config(resubmit_after_days=30), lines)
    run_target(workspace.config(resubmit_after_days=30), lines)
    assert len(workspace.fake.submissions.searches()) == 1

    with sqlite3.connect(workspace.ledger) as conn:
        conn.execute("UPDATE searches SET sent_at = '2020-01-01T00:00:00+00:00'")
    run_target(workspace.config(resubmit_after_days=30), lines)
    assert len(workspace.fake.submissions.searches()) == 2
    # Without the setting, an old search is still never sent again.
    with sqlite3.connect(workspace.ledger) as conn:
        conn.execute("UPDATE searches SET sent_at = '2020-01-01T00:00:00+00:00'")
    run_target(workspace.config(), lines)
    assert len(workspace.fake.submissions.searches()) == 2


def test_a_dry_run_sends_records_and_acknowledges_nothing(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    run = run_target(workspace.config(dry_run=True), singer_lines([lead(1), lead(2), lead(2)]))

    assert run.error is None
    assert workspace.fake.stats()["total_requests"] == 0
    assert workspace.fake.stats()["submitted_searches"] == 0
    assert not workspace.ids_file.exists()
    assert not workspace.ledger.exists()
    assert run.states == []
    assert any(
        "Dry run: would submit 2 searches" in r.getMessage()
        and "worst case 80 credits" in r.getMessage()
        for r in caplog.records
    )


def test_max_searches_per_run_holds_the_rest_back_unacknowledged(workspace: Workspace) -> None:
    leads = [lead(n) for n in range(10)]
    run = run_target(workspace.config(max_searches_per_run=4), singer_lines(leads, state_every=2))

    assert run.error is None
    assert len(workspace.fake.submissions.searches()) == 4
    # The last STATE emitted acknowledges only records up to the 4th.
    assert run.states[-1] == {"leads_seen": 4}
    nxt = run_target(workspace.config(max_searches_per_run=4), singer_lines(leads, state_every=2))
    assert nxt.error is None
    assert len(workspace.fake.submissions.searches()) == 8
    assert len(set(submitted_customs(workspace))) == 8


def test_a_run_stops_before_sending_when_credits_cannot_cover_the_worst_case(
    workspace: Workspace,
) -> None:
    workspace.fake.catalog.account["credits"] = 40 * 3 - 1
    run = run_target(workspace.config(), singer_lines([lead(n) for n in range(3)]))

    assert isinstance(run.error, TargetError)
    assert "119 credits, fewer than the 120" in str(run.error)
    assert workspace.fake.stats()["submitted_searches"] == 0
    assert run.states == []


def test_two_runs_cannot_share_a_ledger_at_once(workspace: Workspace) -> None:
    holder = Ledger(workspace.ledger)
    holder.open_for_run({})
    try:
        run = run_target(workspace.config(), singer_lines([lead(1)]))
    finally:
        holder.close()
    assert isinstance(run.error, TargetError)
    assert "Another target-enrow-phone run is using the ledger" in str(run.error)
    assert workspace.fake.stats()["submitted_searches"] == 0


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"batch_size": 3001}, "batch_size must be from 1 to 3,000"),
        ({"max_searches_per_run": 0}, "max_searches_per_run must be from 1"),
        ({"webhook": "http://hooks.example.com"}, "webhook must be an https:// URL"),
        ({"country_code": "USA"}, "country_code must be a two-letter"),
        ({"api_url": "http://api.example.com"}, "plain http to a non-local host"),
        ({"api_key": " "}, "api_key is missing"),
        ({"batch_ids_file": ""}, "batch_ids_file is missing"),
        ({"resubmit_after_days": 0}, "resubmit_after_days must be from 1"),
    ],
)
def test_bad_settings_are_refused_in_one_line_before_any_request(
    workspace: Workspace, extra: dict[str, t.Any], fragment: str
) -> None:
    run = run_target(workspace.config(**extra), singer_lines([lead(1)]))
    assert run.error is not None
    assert fragment in str(run.error)
    assert "\n" not in str(run.error)
    assert workspace.fake.stats()["total_requests"] == 0


def test_the_ledger_stores_no_name_or_url(workspace: Workspace, tmp_path: Path) -> None:
    run_target(
        workspace.config(),
        singer_lines(
            [lead(1, linkedin_url=None, firstname="Zelda", lastname="Quux", company_name="Hyrule")]
        ),
    )
    raw = workspace.ledger.read_bytes()
    for secret in (b"Zelda", b"Quux", b"Hyrule", b"zelda"):
        assert secret not in raw
    assert tmp_path.exists()


def test_other_column_names_are_mapped_with_stream_maps(workspace: Workspace) -> None:
    """The README's example: a CRM table with its own column names."""
    stream_maps = {
        "contacts": {
            "linkedin_url": "profile_url",
            "custom": "str(contact_id)",
        }
    }
    schema = {"properties": {"contact_id": {"type": "integer"}, "profile_url": {"type": "string"}}}
    lines = "".join(
        json.dumps(m) + "\n"
        for m in [
            {
                "type": "SCHEMA",
                "stream": "contacts",
                "schema": schema,
                "key_properties": ["contact_id"],
            },
            {
                "type": "RECORD",
                "stream": "contacts",
                "record": {"contact_id": 7, "profile_url": "linkedin.com/in/ana"},
            },
        ]
    )
    run = run_target(workspace.config(stream_maps=stream_maps), lines)
    assert run.error is None
    assert workspace.fake.submissions.searches() == [
        {"linkedin_url": "https://www.linkedin.com/in/ana", "custom": "7"}
    ]


def test_logs_never_show_the_key_a_name_a_url_or_a_number(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.fake.api_keys.add("sk-very-secret-key")
    leads = [
        lead(1, linkedin_url="https://www.linkedin.com/in/secret-person", custom="c-1"),
        lead(
            2,
            linkedin_url=None,
            firstname="Zelda",
            lastname="Quux",
            company_domain="hyrule.example",
        ),
        {"id": 3, "firstname": "Lonely"},
    ]
    done = run_target_process(
        workspace.config(api_key="sk-very-secret-key"), singer_lines(leads), tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "submitted 2 searches in 1 batches" in done.stderr
    (batch_id,) = workspace.fake.submissions.batch_ids()
    batch = workspace.fake.catalog.get(batch_id)
    assert batch is not None
    numbers = [r["number"] for r in batch.results if r.get("number")]
    for secret in [
        "sk-very-secret-key",
        "secret-person",
        "Zelda",
        "Quux",
        "hyrule",
        "Lonely",
        *numbers,
    ]:
        assert secret not in done.stderr, secret


def test_a_failed_run_exits_non_zero_with_one_error_line(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.fake.catalog.account["credits"] = 0
    done = run_target_process(workspace.config(), singer_lines([lead(1)]), tmp_path)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, errors
    assert "Top up the account" in errors[0]
    assert "Traceback" not in done.stderr
