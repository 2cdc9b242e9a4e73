"""The buffered writer and the lean record path: same output as the SDK's, faster.

The lean path is taken only when the SDK's per-record steps are identities; these
tests check both that it is taken then, and that every SDK feature that changes
records (stream maps, flattening, deselection, BATCH messages) still applies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import signal
import subprocess
import typing as t
from pathlib import Path

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib.encoding.simple import RecordMessage, SchemaMessage, StateMessage

from tap_enrow_phone.fetcher import fetch_in_order
from tap_enrow_phone.output import BufferedSingerWriter
from tap_enrow_phone.record_path import LeanRecordStream
from tap_enrow_phone.tap import TapEnrowPhone
from tests.conftest import COMPLETED, READABLE_DEMO_IDS
from tests.helpers import TAP_EXECUTABLE, catalog_selecting, parse_messages, run_tap, run_tap_cli

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer

STREAMS = ("batches", "batch_stats", "phone_results")
# Identity maps: the SDK runs them, so records must come out exactly as on the lean path.
IDENTITY_MAPS: dict[str, t.Any] = {"stream_maps": {name: {} for name in STREAMS}}


def lean_paths(config: dict[str, t.Any], catalog: dict[str, t.Any] | None = None) -> set[str]:
    tap = TapEnrowPhone(config=config, catalog=catalog)
    return {
        name
        for name, stream in tap.streams.items()
        if isinstance(stream, LeanRecordStream) and stream.takes_lean_path
    }


def test_the_lean_path_is_taken_by_default_and_emits_what_the_sdk_path_emits(
    fake_api: FakeEnrowServer, config: dict[str, t.Any]
) -> None:
    assert lean_paths(config) == set(STREAMS)
    assert lean_paths({**config, **IDENTITY_MAPS}) == set()

    lean = run_tap(config)
    fake_api.reset()  # the ongoing demo batch is read as ongoing again
    sdk = run_tap({**config, **IDENTITY_MAPS})

    assert lean.error is None
    assert sdk.error is None
    assert set(lean.records) >= set(STREAMS)
    for stream in STREAMS:
        assert lean.records[stream] == sdk.records[stream]
    assert lean.states == sdk.states


def test_a_stream_map_still_filters_and_transforms(config: dict[str, t.Any]) -> None:
    maps = {
        "phone_results": {
            "__filter__": "qualification == 'found'",
            "country": "country.lower()",
            "number": None,
        }
    }
    assert "phone_results" not in lean_paths({**config, "stream_maps": maps})

    out = run_tap({**config, "stream_maps": maps})

    results = out.records["phone_results"]
    assert results
    assert {r["qualification"] for r in results} == {"found"}
    assert all("number" not in r for r in results)
    assert all(r["country"] == r["country"].lower() for r in results)


def test_flattening_still_flattens(config: dict[str, t.Any]) -> None:
    flat = {**config, "flattening_enabled": True, "flattening_max_depth": 1}
    assert lean_paths(flat) == set()

    out = run_tap({**flat, "batch_ids": [COMPLETED]})

    # Objects the schema leaves open are flattened into JSON text by the SDK.
    first = out.records["phone_results"][0]
    assert isinstance(first["params"], str)
    assert json.loads(first["params"])["linkedin_url"].startswith("https://")
    assert json.loads(out.records["batches"][0]["custom"]) == {"crm_list": "q3"}


def test_a_deselected_field_is_still_left_out(config: dict[str, t.Any]) -> None:
    catalog = catalog_selecting(set(STREAMS))
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == "phone_results":
            for metadata in entry["metadata"]:
                if metadata["breadcrumb"] == ["properties", "number"]:
                    metadata["metadata"]["selected"] = False
    assert lean_paths(config, catalog) == {"batches", "batch_stats"}

    out = run_tap(config, catalog=catalog)

    assert out.records["phone_results"]
    assert all("number" not in r for r in out.records["phone_results"])
    assert all("country" in r for r in out.records["phone_results"])


def test_batch_messages_still_carry_every_record(config: dict[str, t.Any], tmp_path: Path) -> None:
    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": tmp_path.as_uri()},
    }
    out = run_tap({**config, "batch_ids": [COMPLETED], "batch_config": batch_config})

    assert out.error is None
    assert out.records == {}
    manifests = {m["stream"]: m["manifest"] for m in out.messages if m["type"] == "BATCH"}
    assert set(manifests) >= set(STREAMS)
    lines = [
        json.loads(line)
        for url in manifests["phone_results"]
        for line in gzip.decompress(Path(url.removeprefix("file://")).read_bytes()).splitlines()
    ]
    assert [r["index"] for r in lines] == [0, 1, 2]


def test_the_writer_writes_the_lines_the_sdk_msgspec_writer_writes() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
    record = {"batch_id": "b", "index": 1, "custom": {"x": [1, 2.5, None, True]}}
    messages = [
        SchemaMessage(stream="s", schema={"type": "object"}, key_properties=["batch_id"]),
        RecordMessage(stream="s", record=record, time_extracted=when),
        RecordMessage(stream="s", record=record, version=3, time_extracted=when),
        StateMessage(value={"bookmarks": {"s": {"partitions": [{"context": {"id": "b"}}]}}}),
    ]
    ours = BufferedSingerWriter()
    sdk = MsgSpecWriter()

    for message in messages:
        assert bytes(ours.serialize_message(message)) == bytes(sdk.serialize_message(message))

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        ours.write_record("s", record, 3, when)
    assert stdout.getvalue() == ""  # held until the next non-record message
    with contextlib.redirect_stdout(stdout):
        ours.write_message(messages[3])
    # The SDK's writer reuses one buffer: copy each line before the next.
    expected = bytes(sdk.serialize_message(messages[2])) + bytes(sdk.serialize_message(messages[3]))
    assert stdout.getvalue().encode() == expected


def test_records_go_out_early_once_the_buffer_is_full_and_only_whole_lines() -> None:
    writer = BufferedSingerWriter(flush_threshold=300)
    stdout = io.StringIO()
    when = dt.datetime.now(dt.timezone.utc)
    with contextlib.redirect_stdout(stdout):
        for index in range(20):
            writer.write_record("s", {"index": index, "pad": "x" * 40}, None, when)
    written = stdout.getvalue()
    assert 0 < len(written.splitlines()) < 20
    assert written.endswith("\n")
    assert [m["record"]["index"] for m in parse_messages(written)] == list(
        range(len(written.splitlines()))
    )


def test_sigterm_stops_cleanly_and_the_next_run_reads_the_rest(
    fake_api: FakeEnrowServer, config: dict[str, t.Any], tmp_path: Path
) -> None:
    ids = [f"gen-term{i:02d}-50" for i in range(40)]
    fake_api.latency = 0.05
    config_path = tmp_path / "config.json"
    config_path.write_text(
        json.dumps({**config, "batch_ids": ids, "max_concurrency": 2, "state_interval": 0})
    )
    process = subprocess.Popen(  # noqa: S603
        [TAP_EXECUTABLE, "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # STATE lines arrive while the run goes on
        lines.append(line)
        if b'"type":"STATE"' in line and b'"finished":["' in line:
            break
    process.send_signal(signal.SIGTERM)
    lines += process.stdout.readlines()
    process.wait(timeout=60)

    first = parse_messages(b"".join(lines).decode())  # every line is whole JSON
    assert first[-1]["type"] == "STATE"
    done = set(first[-1]["value"]["bookmarks"]["batches"]["finished"])
    assert 0 < len(done) < len(ids)
    emitted = [
        m["record"]["batch_id"]
        for m in first
        if m["type"] == "RECORD" and m["stream"] == "phone_results"
    ]
    for batch_id in done:
        assert emitted.count(batch_id) == 50

    rest = run_tap({**config, "batch_ids": ids}, state=first[-1]["value"])
    assert rest.error is None
    assert set(rest.ids("batches")) == set(ids) - done
    assert len(rest.records["phone_results"]) == 50 * (len(ids) - len(done))


@pytest.mark.parametrize("max_in_flight", [1, 2, 5])
def test_fetching_never_runs_more_than_one_answer_ahead_of_the_window(
    max_in_flight: int,
) -> None:
    started: list[str] = []

    def fetch(batch_id: str) -> str:
        started.append(batch_id)
        return batch_id

    ids = [f"b{i}" for i in range(30)]
    consumed = 0
    for fetched in fetch_in_order(ids, fetch, max_in_flight):
        assert fetched.batch_id == ids[consumed]
        # Answers held: the one being consumed plus at most the window.
        assert len(started) - consumed <= max_in_flight + 1
        consumed += 1
    assert consumed == len(ids)


def test_demo_ids_sync_unchanged_through_the_cli(config: dict[str, t.Any], tmp_path: Path) -> None:
    out = run_tap_cli(config, tmp_path)
    assert out.returncode == 0
    assert out.ids("batches") == READABLE_DEMO_IDS
    assert out.messages[-1]["type"] == "STATE"


def test_each_schema_is_sent_once_and_before_its_records(config: dict[str, t.Any]) -> None:
    out = run_tap(config)

    schemas = [m["stream"] for m in out.messages if m["type"] == "SCHEMA"]
    assert set(schemas) >= set(STREAMS)
    assert len(schemas) == len(set(schemas))
    seen: set[str] = set()
    for message in out.messages:
        if message["type"] == "SCHEMA":
            seen.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in seen
