"""Bad config, tried for real: each refused before any request, in one line, exit 1.

Complements tests/test_settings.py with the inputs the issue lists that it does not try.
Every case is tried in process against its own fake API, so any request it let through
is caught; the first case of each setting also runs as a real tap subprocess, for the
exit code and the log line a scheduler shows.
"""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.exceptions import ConfigValidationError

from fake_enrow import DEMO_API_KEY
from tests.helpers import run_tap, run_tap_cli
from tests.reliability.support import DEBUG_ENV, error_lines

if t.TYPE_CHECKING:
    from pathlib import Path

    from fake_enrow import FakeEnrowServer
    from tests.reliability.conftest import Figures

_ABSENT = object()
NON_UTF8_FILE = "non-utf8.txt"
DIRECTORY = "a-directory"
BAD_ID_FILE = "bad-id.txt"
COMMENTS_ONLY_FILE = "comments-only.txt"

# name -> (settings to change, what the one error line must say)
CASES: dict[str, tuple[dict[str, t.Any], str]] = {
    "api_key-absent": ({"api_key": _ABSENT}, "api_key is missing or empty"),
    "api_key-blank": ({"api_key": "   "}, "api_key is missing or empty"),
    "api_key-inner-newline": ({"api_key": "demo\nkey"}, "api_key holds whitespace"),
    "batch_ids-absent": ({"batch_ids": _ABSENT}, "No id to read"),
    "batch_ids-not-strings": ({"batch_ids": [12345]}, "batch_ids"),
    "batch_ids_file-comments-only": (
        {"batch_ids": _ABSENT, "batch_ids_file": COMMENTS_ONLY_FILE},
        "No id to read",
    ),
    "batch_ids_file-a-directory": ({"batch_ids_file": DIRECTORY}, "cannot be read"),
    "batch_ids_file-not-utf8": ({"batch_ids_file": NON_UTF8_FILE}, "cannot be read"),
    "batch_ids_file-holds-bad-id": ({"batch_ids_file": BAD_ID_FILE}, "is not a valid id"),
    "id-tab-inside": ({"batch_ids": ["ab\tcd"]}, "is not a valid id"),
    "id-newline-inside": ({"batch_ids": ["ab\ncd"]}, "is not a valid id"),
    "id-no-break-space": ({"batch_ids": ["ab\u00a0cd"]}, "is not a valid id"),
    "id-nul": ({"batch_ids": ["ab\x00cd"]}, "is not a valid id"),
    "id-escape": ({"batch_ids": ["ab\x1b[31mcd"]}, "is not a valid id"),
    "id-del": ({"batch_ids": ["ab\x7fcd"]}, "is not a valid id"),
    "id-pasted-url": (
        {"batch_ids": ["https://api.enrow.io/phone/bulk?id=abc"]},
        "is not a valid id",
    ),
    "id-path-traversal": ({"batch_ids": ["../account/info"]}, "is not a valid id"),
    "id-second-parameter": ({"batch_ids": ["abc&id=def"]}, "is not a valid id"),
    "id-fragment": ({"batch_ids": ["abc#def"]}, "is not a valid id"),
    "api_url-http-ip": ({"api_url": "http://10.0.0.1:8080"}, "plain http to a non-local host"),
    "api_url-http-lookalike-host": (
        {"api_url": "http://127.0.0.1.example.com"},
        "plain http to a non-local host",
    ),
    "api_url-http-localhost-suffix": (
        {"api_url": "http://localhost.example.com"},
        "plain http to a non-local host",
    ),
    "api_url-credentials": (
        {"api_url": "https://user:pw@api.enrow.io"},
        "must not hold credentials",
    ),
    "timeout-zero-float": ({"request_timeout": 0.0}, "request_timeout must be a number above zero"),
    "timeout-tiny-negative": (
        {"request_timeout": -0.001},
        "request_timeout must be a number above zero",
    ),
    # Text holding a number is accepted (Meltano passes seconds as text); other text is not.
    "timeout-a-word": ({"request_timeout": "thirty"}, "request_timeout must be a number"),
    "retry_max_wait-negative": ({"retry_max_wait": -1}, "retry_max_wait must be a number"),
}


def _config(case: dict[str, t.Any], url: str, files: Path) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": DEMO_API_KEY,
        "api_url": url,
        "batch_ids": ["gen-ok-1"],
    }
    config.update(case)
    if isinstance(config.get("batch_ids_file"), str):
        config["batch_ids_file"] = str(files / config["batch_ids_file"])
    return {name: value for name, value in config.items() if value is not _ABSENT}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ids files the cases point at."""
    files = tmp_path_factory.mktemp("inputs")
    (files / NON_UTF8_FILE).write_bytes(b"gen-ok-1\n\xff\xfe\xfa\n")
    (files / DIRECTORY).mkdir()
    (files / BAD_ID_FILE).write_text("gen-ok-1\ngen-ok-2 # fine\nab/cd\n")
    (files / COMMENTS_ONLY_FILE).write_text("# nothing yet\n\n   # still nothing\n")
    return files


def _setting(name: str) -> str:
    return name.split("-", 1)[0]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_before_any_request(
    fake_api: FakeEnrowServer, files: Path, figures: Figures, name: str
) -> None:
    overrides, expected = CASES[name]
    out = run_tap(_config(overrides, fake_api.url, files))

    assert isinstance(out.error, ConfigValidationError)
    assert expected in str(out.error)
    assert DEMO_API_KEY not in str(out.error)
    assert out.messages == []
    assert fake_api.stats()["total_requests"] == 0
    figures.bad_inputs_refused[_setting(name)] += 1


# The first case of each setting, run as the command a scheduler runs.
CLI_CASES = list({_setting(name): name for name in reversed(CASES)}.values())


@pytest.mark.parametrize("name", CLI_CASES)
def test_bad_input_stops_the_command_with_one_line_and_exit_1(
    fake_api: FakeEnrowServer, files: Path, tmp_path: Path, name: str
) -> None:
    overrides, expected = CASES[name]
    out = run_tap_cli(_config(overrides, fake_api.url, files), tmp_path, env=DEBUG_ENV)

    assert out.returncode == 1
    assert fake_api.stats()["total_requests"] == 0
    [line] = error_lines(out.stderr)
    assert expected in line
    assert "Traceback" not in out.stderr
    assert out.messages == []
    assert DEMO_API_KEY not in out.stderr


def test_the_base_config_of_the_cases_is_accepted(fake_api: FakeEnrowServer, files: Path) -> None:
    """The cases fail for what they change, not for the config they start from."""
    out = run_tap(_config({}, fake_api.url, files))
    assert out.error is None
    assert (
        sum(fake_api.stats()["requests"].values()) == 1
    )  # the one batch, besides the account read
