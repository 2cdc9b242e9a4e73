"""What goes over the wire: TLS verified, the batch id only as an encoded query value."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import typing as t
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from fake_enrow import DEMO_API_KEY, FakeEnrowServer, Fault
from fake_enrow.data import generated_batch
from tests.helpers import run_tap, run_tap_cli
from tests.reliability.support import DEBUG_ENV, error_lines

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.reliability.conftest import Figures


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no system trust store knows, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the TLS tests need the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def https_fake(self_signed: tuple[Path, Path]) -> Iterator[tuple[FakeEnrowServer, str]]:
    """The fake served over TLS with the self-signed certificate, and its https URL."""
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FakeEnrowServer()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.socket.getsockname()[1]
    with server:
        yield server, f"https://127.0.0.1:{port}"


def test_an_untrusted_certificate_stops_the_run_in_one_line(
    https_fake: tuple[FakeEnrowServer, str], tmp_path: Path, figures: Figures
) -> None:
    server, url = https_fake
    config = {"api_key": DEMO_API_KEY, "api_url": url, "batch_ids": ["gen-tls-2"]}

    out = run_tap_cli(config, tmp_path, env=DEBUG_ENV)

    assert out.returncode == 1
    [line] = error_lines(out.stderr)
    assert "TLS certificate of api_url could not be verified" in line
    assert "Traceback" not in out.stderr
    assert server.stats()["total_requests"] == 0  # no HTTP request got through
    assert out.records == {}
    assert DEMO_API_KEY not in out.stderr
    figures.fatal_answers_stopped_cleanly["untrusted TLS certificate"] += 1


def test_the_same_server_is_read_once_its_certificate_is_trusted(
    https_fake: tuple[FakeEnrowServer, str], self_signed: tuple[Path, Path], tmp_path: Path
) -> None:
    """The failure above is the verification, not a broken TLS setup."""
    server, url = https_fake
    config = {"api_key": DEMO_API_KEY, "api_url": url, "batch_ids": ["gen-tls-2"]}

    out = run_tap_cli(config, tmp_path, env={"REQUESTS_CA_BUNDLE": str(self_signed[0])})

    assert out.returncode == 0
    assert server.stats()["requests"] == {"gen-tls-2": 1}
    assert len(out.records["phone_results"]) == 2


# Characters a batch id may hold that mean something in a URL.
ODD_ID = "b+1=2;x%41é~!$'()*,:@[]"


def test_the_batch_id_travels_only_as_an_encoded_query_value(fake_api: FakeEnrowServer) -> None:
    fake_api.catalog.add(generated_batch(ODD_ID, 2))
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids": [ODD_ID]}

    out = run_tap(config)

    assert out.error is None
    [target] = [sent for sent in fake_api.stats()["raw_targets"] if sent.startswith("/phone/")]
    parts = urlsplit(target)
    assert parts.path == "/phone/bulk"
    assert parts.query == "id=" + quote(ODD_ID, safe="")
    assert parse_qs(parts.query, strict_parsing=True) == {"id": [ODD_ID]}
    assert DEMO_API_KEY not in target
    assert out.ids("batches") == [ODD_ID]
    assert out.is_finished(ODD_ID) is True


def test_a_redirect_from_https_to_plain_http_is_refused_in_one_line(
    https_fake: tuple[FakeEnrowServer, str],
    self_signed: tuple[Path, Path],
    tmp_path: Path,
    figures: Figures,
) -> None:
    server, url = https_fake
    with FakeEnrowServer() as plain:
        plain_url = plain.url
        downgrade = f"{plain_url}/phone/bulk?id=gen-tls-2"
        server.script("gen-tls-2", Fault(301, {}, headers={"Location": downgrade}))
        config = {"api_key": DEMO_API_KEY, "api_url": url, "batch_ids": ["gen-tls-2"]}

        out = run_tap_cli(
            config, tmp_path, env={**DEBUG_ENV, "REQUESTS_CA_BUNDLE": str(self_signed[0])}
        )

        assert plain.stats()["total_requests"] == 0
    assert out.returncode == 1
    [line] = error_lines(out.stderr)
    assert f"redirect (HTTP 301) to {plain_url};" in line
    assert "Traceback" not in out.stderr
    assert DEMO_API_KEY not in out.stderr
    assert out.records.get("phone_results") is None
    figures.fatal_answers_stopped_cleanly["redirect from https to plain http"] += 1
