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
ENDLESS_LINE_FILE = "endless-line.txt"
BINARY_FILE = "binary.bin"
HUGE_FILE = "huge.txt"
INVISIBLE_ON_LINE_3_FILE = "invisible-line-3.txt"
BOM_ON_LINE_2_FILE = "bom-line-2.txt"
# A made-up secret pasted into the wrong setting: no error may show it.
PASTED_KEY = "sk-live-PASTED-9f2c41"

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
    # Keys that cannot travel in an HTTP header (or are a paste accident): refused
    # without being shown.
    "api_key-euro-sign": ({"api_key": "demo-key€"}, "api_key holds a character no API key"),
    "api_key-emoji": ({"api_key": "demo-key\U0001f511"}, "api_key holds a character no API key"),
    "api_key-zero-width-space": (
        {"api_key": "demo\u200bkey"},
        "api_key holds a character no API key",
    ),
    "api_key-accented-letter": ({"api_key": "démo-key"}, "api_key holds a character no API key"),
    "api_url-a-pasted-key": ({"api_url": PASTED_KEY}, "api_url is not an http(s) URL"),
    "api_url-plain-http-with-key-in-path": (
        {"api_url": f"http://10.0.0.1/{PASTED_KEY}"},
        "plain http to a non-local host",
    ),
    # Out of range: refused before any thread, connection or request is made.
    "max_concurrency-10^8": ({"max_concurrency": 10**8}, "from 1 to 64; got 100000000"),
    "max_concurrency-10^12": ({"max_concurrency": 10**12}, "max_concurrency must be a whole"),
    "max_concurrency-fraction": ({"max_concurrency": 2.5}, "max_concurrency must be a whole"),
    "max_concurrency-a-pasted-key": ({"max_concurrency": PASTED_KEY}, "got a str"),
    "request_timeout-1e308": ({"request_timeout": 1e308}, "above zero and at most 600"),
    "request_timeout-infinity": ({"request_timeout": float("inf")}, "at most 600"),
    "request_timeout-601": ({"request_timeout": 601}, "at most 600"),
    "max_retries-21": ({"max_retries": 21}, "max_retries must be a whole number from 0 to 20"),
    "max_retries-10^9": ({"max_retries": 10**9}, "max_retries must be a whole number"),
    "retry_max_wait-a-year": ({"retry_max_wait": 31_536_000}, "at most 3600"),
    "poll_interval-10^9": ({"poll_interval": 10**9}, "poll_interval must be a number above"),
    "max_wait-a-week": ({"max_wait": 604_800}, "max_wait must be a number above zero and"),
    # Ids files that are no ids file: refused before they are read whole.
    "batch_ids_file-dev-zero": (
        {"batch_ids_file": "/dev/zero"},
        "cannot be read: line 1 is over 4096 bytes",
    ),
    "batch_ids_file-one-endless-line": (
        {"batch_ids_file": ENDLESS_LINE_FILE},
        "cannot be read: line 1 is over 4096 bytes",
    ),
    "batch_ids_file-binary": (
        {"batch_ids_file": BINARY_FILE},
        "cannot be read: it is a binary file (NUL byte, line 2)",
    ),
    "batch_ids_file-over-64-MiB": ({"batch_ids_file": HUGE_FILE}, "it is over 64 MiB"),
    "batch_ids_file-invisible-character": (
        {"batch_ids_file": INVISIBLE_ON_LINE_3_FILE},
        "(line 3 of batch_ids_file): it holds an invisible or control character",
    ),
    "batch_ids_file-byte-order-mark-inside": (
        {"batch_ids_file": BOM_ON_LINE_2_FILE},
        "(line 2 of batch_ids_file): it holds an invisible",
    ),
    "id-zero-width-space": (
        {"batch_ids": ["gen-ok-1", "gen-ok\u200b-2"]},
        "(entry 2 of batch_ids): it holds an invisible",
    ),
    "id-byte-order-mark": ({"batch_ids": ["\ufeffgen-ok-1"]}, "it holds an invisible"),
    "id-right-to-left-override": ({"batch_ids": ["gen-\u202eok-1"]}, "it holds an invisible"),
    "id-word-joiner": ({"batch_ids": ["gen-\u2060ok-1"]}, "it holds an invisible"),
}


def _config(case: dict[str, t.Any], url: str, files: Path) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": DEMO_API_KEY,
        "api_url": url,
        "batch_ids": ["gen-ok-1"],
    }
    config.update(case)
    if isinstance(config.get("batch_ids_file"), str):  # relative to `files`, or absolute
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
    (files / ENDLESS_LINE_FILE).write_text("gen-ok-1" * 2000)
    (files / BINARY_FILE).write_bytes(b"gen-ok-1\n\x00\x01\x02\x89PNG\n")
    # Valid lines (long comments) past 64 MiB: refused for its size alone.
    with (files / HUGE_FILE).open("w") as huge:
        huge.write("gen-ok-1\n")
        comment = "# " + "x" * 4000 + "\n"
        for _ in range(64 * 1024 * 1024 // len(comment) + 2):
            huge.write(comment)
    (files / INVISIBLE_ON_LINE_3_FILE).write_text("gen-ok-1\n# fine\ngen-ok\u200b-2\n")
    (files / BOM_ON_LINE_2_FILE).write_text("gen-ok-1\n\ufeffgen-ok-2\n")
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
    assert PASTED_KEY not in str(out.error)
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
    assert PASTED_KEY not in out.stderr


def test_the_base_config_of_the_cases_is_accepted(fake_api: FakeEnrowServer, files: Path) -> None:
    """The cases fail for what they change, not for the config they start from."""
    out = run_tap(_config({}, fake_api.url, files))
    assert out.error is None
    assert (
        sum(fake_api.stats()["requests"].values()) == 1
    )  # the one batch, besides the account read


def test_a_byte_order_mark_opening_an_ids_file_is_not_part_of_the_first_id(
    fake_api: FakeEnrowServer, tmp_path: Path
) -> None:
    """Windows editors open UTF-8 files with one; the id must go out without it."""
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\ufeffgen-bom0-2\ngen-bom1-2\n", encoding="utf-8")
    config = {"api_key": DEMO_API_KEY, "api_url": fake_api.url, "batch_ids_file": str(ids_file)}

    out = run_tap(config)

    assert out.error is None
    sent = [target for target in fake_api.stats()["raw_targets"] if "/phone/bulk" in target]
    assert sent == ["/phone/bulk?id=gen-bom0-2", "/phone/bulk?id=gen-bom1-2"]
    assert out.ids("batches") == ["gen-bom0-2", "gen-bom1-2"]
