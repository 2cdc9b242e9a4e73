"""Hostile servers on loopback: redirects, trickled answers, deep nesting, repeated indexes.

Each test runs the tap against a server that answers in a way Enrow never should, and
checks the promise that holds anyway: the key stays with api_url's origin, a whole
answer is bounded by request_timeout, a broken answer costs only its own batch, and the
user is told in one line.
"""

from __future__ import annotations

import json
import socket
import subprocess
import typing as t

import pytest

from fake_enrow import DEMO_API_KEY, FakeEnrowServer, Fault
from tap_enrow_phone.transport import OffOriginError, OriginBoundSession, RedirectRefusedError
from tests.helpers import TAP_EXECUTABLE, run_tap, run_tap_cli
from tests.reliability.hostile import TrickleServer, completed_batch
from tests.reliability.support import (
    DEBUG_ENV,
    assert_nothing_leaked,
    error_lines,
    expected_result_keys,
    generated_ids,
    result_keys,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.reliability.conftest import Figures

REDIRECTS = (301, 302, 303, 307, 308)


@pytest.fixture
def elsewhere() -> Iterator[FakeEnrowServer]:
    """Another fake on another port: any request it gets is the key leaving its origin."""
    with FakeEnrowServer() as server:
        yield server


def _redirect_target(kind: str, fake: FakeEnrowServer, other: FakeEnrowServer) -> str:
    port = other.server_address[1]
    return {
        "another port": f"{other.url}/phone/bulk?id=gen-elsewhere-2",
        # The same machine under another name: another host to the browser rules.
        "another host": f"http://localhost:{port}/phone/bulk?id=gen-elsewhere-2",
        # The same server: refused too, since the API documents no redirect at all.
        "the same origin": f"{fake.url}/phone/bulk?id=gen-same-2",
    }[kind]


@pytest.mark.parametrize("kind", ["another port", "another host", "the same origin"])
@pytest.mark.parametrize("status", REDIRECTS)
def test_a_redirect_is_never_followed_and_stops_the_run_naming_its_target(
    fake_api: FakeEnrowServer,
    elsewhere: FakeEnrowServer,
    figures: Figures,
    status: int,
    kind: str,
) -> None:
    ids = generated_ids("r", 3, 2)
    target = _redirect_target(kind, fake_api, elsewhere)
    fake_api.script(ids[1], Fault(status, {"moved": True}, headers={"Location": target}))

    config = {
        "api_key": DEMO_API_KEY,
        "api_url": fake_api.url,
        "batch_ids": ids,
        "max_concurrency": 1,
    }

    out = run_tap(config)

    assert elsewhere.stats()["total_requests"] == 0
    assert fake_api.stats()["requests"] == {ids[0]: 1, ids[1]: 1}  # nothing after it
    message = str(out.error)
    assert f"redirect (HTTP {status}) to" in message
    shown_host = "localhost" if kind == "another host" else "127.0.0.1"
    assert f"http://{shown_host}:" in message
    assert "id=" not in message
    assert DEMO_API_KEY not in message
    # The batch before it is kept and done; the redirected one and the rest are not.
    assert out.ids("batches") == ids[:1]
    assert out.is_finished(ids[0]) is True
    figures.fatal_answers_stopped_cleanly[f"redirect to {kind}"] += 1


def test_a_redirect_ends_the_command_in_one_line_and_exit_1(
    fake_api: FakeEnrowServer, elsewhere: FakeEnrowServer, tmp_path: Path
) -> None:
    fake_api.script("gen-r00-2", Fault(302, {}, headers={"Location": elsewhere.url + "/x"}))
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids": ["gen-r00-2"]}

    out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert out.returncode == 1
    [line] = error_lines(out.stderr)
    assert f"redirect (HTTP 302) to {elsewhere.url}" in line
    assert "Traceback" not in out.stderr
    assert DEMO_API_KEY not in out.stderr
    assert elsewhere.stats()["total_requests"] == 0


@pytest.mark.parametrize("part", ["body", "headers"])
def test_an_answer_trickled_past_request_timeout_is_cut_off_and_retried(
    tmp_path: Path, figures: Figures, part: str
) -> None:
    """request_timeout bounds the whole answer, not the gap between two bytes."""
    body = completed_batch("gen-slow-3", 3)
    # Trickled whole, the answer would take over 30 s; request_timeout is 1 s.
    with TrickleServer(body, trickled=1, part=part, gap=0.2) as server:
        config = {
            "api_key": DEMO_API_KEY,
            "api_url": server.url,
            "batch_ids": ["gen-slow-3"],
            "request_timeout": 1,
            "retry_max_wait": 0.01,
        }
        out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

        assert out.returncode == 0, error_lines(out.stderr)
        assert server.finished_trickles == 0  # the tap hung up before the last byte
        assert server.requests == 2  # the trickled one, then its retry
        assert "no complete answer within 1 s; retry 1 of 5" in out.stderr
        assert [r["index"] for r in out.records["phone_results"]] == [0, 1, 2]
        assert out.is_finished("gen-slow-3") is True
    figures.faults_survived[f"answer {part} trickled a byte per 0.2 s"] += 1


def test_a_document_nested_thousands_deep_fails_its_batch_and_the_run_goes_on(
    fake_api: FakeEnrowServer, tmp_path: Path, figures: Figures
) -> None:
    ids = generated_ids("n", 3, 4)
    deep = "[" * 100_000 + "]" * 100_000
    fake_api.script(ids[1], Fault(200, deep))
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids": ids}

    out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "RecursionError" not in out.stderr
    [batch_line, summary] = error_lines(out.stderr)
    assert f"Batch {ids[1]!r}: the API answered with an unexpected document" in batch_line
    assert "nests deeper" in batch_line
    assert f"1 batch(es) could not be read: {ids[1]!r}" in summary
    assert out.ids("batches") == [ids[0], ids[2]]  # the batches after it are read
    keys = result_keys(out)
    assert set(keys) == expected_result_keys([ids[0], ids[2]])
    assert out.is_finished(ids[1]) is False
    assert_nothing_leaked(out, fake_api, DEMO_API_KEY)
    figures.malformed_answers_reported["200 nested 100,000 deep"] += 1
    figures.delivered(expected_result_keys([ids[0], ids[2]]), keys)


def test_results_repeating_an_index_are_loaded_with_one_warning_naming_the_batch(
    fake_api: FakeEnrowServer, tmp_path: Path, figures: Figures
) -> None:
    items = [{"index": i % 1500, "qualification": "not_found"} for i in range(3000)]
    answer = {"general": {"status": "completed"}, "stats": {"requested": 3000}, "results": items}
    fake_api.script("gen-dup-3000", Fault(200, answer))
    config = {
        "api_key": DEMO_API_KEY,
        "api_url": fake_api.url,
        "batch_ids": ["gen-dup-3000", "gen-fine-5"],
    }

    out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert out.returncode == 0
    warnings = [line for line in out.stderr.splitlines() if "repeat an index" in line]
    assert len(warnings) == 1
    assert "| WARNING" in warnings[0]
    assert "Batch 'gen-dup-3000': 1500 result item(s) repeat an index" in warnings[0]
    assert "gen-fine-5" not in warnings[0]
    assert len(out.records["phone_results"]) == 3005
    figures.malformed_answers_reported["results repeating an index (warned)"] += 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        (f"http://127.0.0.1:{_closed_port()}", "the connection to api_url was refused"),
        # `.invalid` never resolves (RFC 6761).
        ("https://enrow-tap-test.invalid", "the host name of api_url does not resolve"),
    ],
    ids=["connection-refused", "unknown-host"],
)
def test_the_connection_test_reports_an_unreachable_api_url_at_once(
    tmp_path: Path, figures: Figures, api_url: str, expected: str
) -> None:
    config = {"api_key": DEMO_API_KEY, "api_url": api_url, "batch_ids": ["b-1"]}

    out = run_tap_cli(config, tmp_path, extra_args=["--test"], env=DEBUG_ENV)

    assert out.returncode == 1
    [line] = error_lines(out.stderr)
    assert f"Connection test failed: Account info: {expected}" in line
    assert "Check the api_url setting" in line
    assert "Enrow API may be down" not in line
    assert "; retry 1 of" not in out.stderr  # reported at the first attempt
    assert "Traceback" not in out.stderr
    figures.fatal_answers_stopped_cleanly[f"--test: {expected}"] += 1


def test_a_reader_closing_the_pipe_stops_the_command_quietly(
    fake_api: FakeEnrowServer, tmp_path: Path
) -> None:
    """`tap-enrow-phone ... | head -1`: one quiet line, the SIGPIPE exit status."""
    ids = generated_ids("p", 4, 3000)
    config_path = tmp_path / "config.json"
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids": ids}
    config_path.write_text(json.dumps(config))
    shell = f"{TAP_EXECUTABLE} --config {config_path} | head -1; exit ${{PIPESTATUS[0]}}"

    done = subprocess.run(  # noqa: S603
        ["/bin/bash", "-c", shell],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    assert done.stdout.startswith('{"type":"SCHEMA"')
    assert done.stdout.count("\n") == 1
    assert done.returncode == 141  # 128 + SIGPIPE, as `yes | head -1` gives
    loud = [line for line in done.stderr.splitlines() if "| INFO" not in line]
    assert loud == [
        next(line for line in loud if "The reader of the tap's output closed it" in line)
    ]
    assert "| WARNING" in loud[0]
    assert "unhandled error" not in done.stderr
    assert "Traceback" not in done.stderr


def test_the_session_keeps_any_method_at_api_urls_origin(
    fake_api: FakeEnrowServer, elsewhere: FakeEnrowServer
) -> None:
    """The guard sits below the client's methods: a POST gets it as a GET does."""
    session = OriginBoundSession(fake_api.url, timeout=5, pool_size=1)
    session.headers["x-api-key"] = DEMO_API_KEY
    fake_api.script("gen-post-2", Fault(307, {}, headers={"Location": elsewhere.url + "/p"}))

    with pytest.raises(OffOriginError):
        session.post(elsewhere.url + "/phone/bulk", json={"searches": []})
    with pytest.raises(RedirectRefusedError, match=f"HTTP 307 redirect to {elsewhere.url}$"):
        session.get(fake_api.url + "/phone/bulk", params={"id": "gen-post-2"})
    session.close()

    assert elsewhere.stats()["total_requests"] == 0
    assert fake_api.stats()["requests"] == {"gen-post-2": 1}


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("http://[not-an-address/x", "an address that is not a URL"),
        ("http://evil\x1b.example:99/?id=x", "http://evil\\x1b.example:99"),
        ("/phone/bulk?id=elsewhere", "http://127.0.0.1:"),
    ],
    ids=["not-a-url", "control-characters", "relative"],
)
def test_a_redirect_target_is_shown_as_origin_only_and_harmless(
    fake_api: FakeEnrowServer, location: str, shown: str
) -> None:
    session = OriginBoundSession(fake_api.url, timeout=5, pool_size=1)
    fake_api.script("gen-loc-2", Fault(302, {}, headers={"Location": location}))

    with pytest.raises(RedirectRefusedError) as refused:
        session.get(fake_api.url + "/phone/bulk", params={"id": "gen-loc-2"})
    session.close()

    assert shown in refused.value.target
    assert "\x1b" not in refused.value.target
    assert "id=" not in refused.value.target
