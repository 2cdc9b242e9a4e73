"""Settings: documented everywhere alike, and bad values refused before any request."""

from __future__ import annotations

import re
import subprocess
import typing as t

import pytest

from tap_enrow_phone.errors import ConfigError
from tap_enrow_phone.settings import SETTINGS, read_settings
from tap_enrow_phone.tap import TapEnrowPhone
from tests.conftest import COMPLETED, ONGOING
from tests.helpers import REPO, TAP_EXECUTABLE, run_tap_cli

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer

TAP_SETTINGS = SETTINGS.to_dict()["properties"]


def test_readme_settings_table_is_the_about_output() -> None:
    about = subprocess.run(  # noqa: S603
        [TAP_EXECUTABLE, "--about", "--format=markdown"], capture_output=True, text=True, check=True
    ).stdout
    table = [line for line in about.splitlines() if line.startswith("|")]
    readme = (REPO / "README.md").read_text()
    assert "\n".join(table) in readme


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"api_key": ""}, "api_key is missing or empty"),
        ({"api_key": None}, "api_key is missing or empty"),
        ({"api_key": 123456789}, "api_key is missing or empty"),
        ({"batch_ids": []}, "No id to read"),
        ({"batch_ids": ["  "]}, "No id to read"),
        ({"batch_ids": [], "single_search_ids": [" "]}, "No id to read"),
        ({"single_search_ids": ["a/b"]}, "Single search id 'a/b' is not a valid id"),
        (
            {"single_search_ids_file": "/nonexistent/s.txt"},
            "single_search_ids_file '/nonexistent/s.txt' cannot be read",
        ),
        ({"poll_interval": 0}, "poll_interval must be a number above zero"),
        ({"max_wait": -5}, "max_wait must be a number above zero"),
        ({"batch_ids": ["has space"]}, "is not a valid id"),
        ({"batch_ids": ["a/b"]}, "is not a valid id"),
        ({"batch_ids": ["a?b"]}, "is not a valid id"),
        ({"batch_ids": ["a&id=b"]}, "is not a valid id"),
        ({"batch_ids": ["a#b"]}, "is not a valid id"),
        ({"batch_ids": ["a\x07b"]}, "is not a valid id"),
        (
            {"batch_ids_file": "/nonexistent/ids.txt"},
            "batch_ids_file '/nonexistent/ids.txt' cannot be read",
        ),
        ({"api_url": "http://api.enrow.io"}, "plain http to a non-local host"),
        ({"api_url": "ftp://127.0.0.1"}, "is not an http(s) URL"),
        ({"request_timeout": 0}, "request_timeout must be a number above zero"),
        ({"request_timeout": -1.5}, "request_timeout must be a number above zero"),
        ({"max_concurrency": 0}, "max_concurrency must be a whole number from 1 to 64"),
        ({"max_retries": -1}, "max_retries must be a whole number from 0 to 20"),
    ],
)
def test_bad_config_is_refused_before_any_request_in_one_line(
    fake_api: FakeEnrowServer,
    config: dict[str, t.Any],
    tmp_path: Path,
    override: dict[str, t.Any],
    expected: str,
) -> None:
    out = run_tap_cli({**config, "batch_ids": [COMPLETED], **override}, tmp_path)

    assert out.returncode == 1
    assert fake_api.stats()["total_requests"] == 0
    [line] = [line for line in out.stderr.splitlines() if "| ERROR" in line]
    assert expected in line
    assert "Traceback" not in out.stderr
    assert "123456789" not in out.stderr


@pytest.mark.parametrize("url", ["http://localhost:1", "http://127.0.0.5:1", "http://[::1]:1"])
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    tap = TapEnrowPhone(config={"api_key": "k", "batch_ids": ["b"], "api_url": url})
    assert tap.run.client is not None


def test_secret_settings_are_marked_secret() -> None:
    assert TAP_SETTINGS["api_key"].get("secret") is True
    assert TAP_SETTINGS["api_key"].get("writeOnly") is True


@pytest.mark.parametrize(
    "written",
    [
        f"{COMPLETED}",
        f"{COMPLETED},{ONGOING}",
        f" {COMPLETED} , {ONGOING} ,",
        f'["{COMPLETED}", "{ONGOING}"]',
        [COMPLETED, ONGOING],
    ],
)
def test_batch_ids_are_read_from_every_form_a_user_types(written: object) -> None:
    settings = read_settings({"api_key": "k", "batch_ids": written})
    assert settings.batch_ids in ([COMPLETED], [COMPLETED, ONGOING])
    assert settings.batch_ids[0] == COMPLETED


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('["a", ', "starts with '[' but is not a JSON array"),
        ("[1, 2]", "Every entry of batch_ids must be a string"),
        (7, "batch_ids must be a list of ids, or text"),
    ],
)
def test_batch_ids_that_are_no_list_of_ids_are_refused_in_one_line(
    written: object, expected: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        read_settings({"api_key": "k", "batch_ids": written})


@pytest.mark.parametrize("written", ["2.5", " 30 ", 2.5, 30])
def test_seconds_are_read_from_a_number_or_its_text(written: object) -> None:
    settings = read_settings({"api_key": "k", "batch_ids": ["b"], "request_timeout": written})
    assert settings.request_timeout == float(str(written))


@pytest.mark.parametrize("written", ["soon", "nan", "inf", "-1", ""])
def test_seconds_text_that_is_no_positive_number_is_refused(written: str) -> None:
    with pytest.raises(ConfigError, match="request_timeout must be a number above zero"):
        read_settings({"api_key": "k", "batch_ids": ["b"], "request_timeout": written})
