"""The Meltano SDK's built-in tap tests, run against the fake Enrow API."""

from __future__ import annotations

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from fake_enrow import DEMO_API_KEY, FakeEnrowServer
from tap_enrow_phone.tap import TapEnrowPhone
from tests.conftest import COMPLETED, FAILED, LEGACY, SINGLE_FOUND, SINGLE_NOT_FOUND

# The built-in suite takes its config when the class is built, so this module keeps one
# fake API for its whole run; every batch and single search in it is finished, so reruns read the same.
_FAKE_API = FakeEnrowServer().start()

TestTapEnrowPhone = get_tap_test_class(
    tap_class=TapEnrowPhone,
    config={
        "api_key": DEMO_API_KEY,
        "api_url": _FAKE_API.url,
        "batch_ids": [COMPLETED, LEGACY, FAILED],
        "single_search_ids": [SINGLE_FOUND, SINGLE_NOT_FOUND],
    },
    suite_config=SuiteConfig(ignore_no_records_for_streams=[]),
)
