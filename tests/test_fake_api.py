"""The fake answers the new endpoints as the API contract says Enrow does."""

from __future__ import annotations

import typing as t

import requests

from fake_enrow import DEMO_API_KEY
from tests.conftest import SINGLE_FOUND, SINGLE_ONGOING

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer


def get(
    server: FakeEnrowServer, path: str, key: str | None = DEMO_API_KEY, **params: str
) -> requests.Response:
    headers = {"x-api-key": key} if key else {}
    return requests.get(server.url + path, params=params, headers=headers, timeout=5)


def test_account_info_needs_a_key_but_not_the_phone_search_plan(
    fake_api: FakeEnrowServer,
) -> None:
    assert get(fake_api, "/account/info", key=None).status_code == 401
    assert get(fake_api, "/account/info", key="wrong").json() == {
        "message": "This apikey is not valid"
    }
    fake_api.phone_search_allowed = False
    answer = get(fake_api, "/account/info")
    assert answer.status_code == 200
    assert answer.json() == {"credits": 36000, "webhooks": ["https://hooks.example.com/enrow"]}


def test_single_search_answers_202_ongoing_then_200_with_the_result(
    fake_api: FakeEnrowServer,
) -> None:
    first = get(fake_api, "/phone/single", id=SINGLE_ONGOING)
    second = get(fake_api, "/phone/single", id=SINGLE_ONGOING)

    assert (first.status_code, first.json()) == (202, {"qualification": "ongoing"})
    assert second.status_code == 200
    assert set(second.json()) == {"params", "custom", "number", "country", "qualification"}


def test_single_search_errors_are_the_documented_ones(fake_api: FakeEnrowServer) -> None:
    assert get(fake_api, "/phone/single", id="never-submitted").status_code == 500
    missing = get(fake_api, "/phone/single")
    assert (missing.status_code, missing.json()["message"]) == (
        400,
        "Missing id in the query params",
    )
    assert get(fake_api, "/phone/single", key="wrong", id=SINGLE_FOUND).status_code == 401
    fake_api.phone_search_allowed = False
    assert get(fake_api, "/phone/single", id=SINGLE_FOUND).status_code == 401
