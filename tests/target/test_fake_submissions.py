"""The fake's POST /phone/bulk behaves as the API contract says Enrow's does."""

from __future__ import annotations

import typing as t

import requests

from fake_enrow import DEMO_API_KEY

if t.TYPE_CHECKING:
    from fake_enrow import FakeEnrowServer

SEARCHES = [
    {"linkedin_url": "https://www.linkedin.com/in/jane", "custom": "crm-1"},
    {"firstname": "Ann", "lastname": "Lee", "company_domain": "acme.com", "custom": "crm-2"},
    {"firstname": "Bo", "lastname": "Ng", "company_name": "Acme"},
]


def post(
    server: FakeEnrowServer, body: object, key: str | None = DEMO_API_KEY
) -> requests.Response:
    headers = {"x-api-key": key} if key else {}
    return requests.post(server.url + "/phone/bulk", json=body, headers=headers, timeout=5)


def read(server: FakeEnrowServer, batch_id: str) -> dict[str, t.Any]:
    answer = requests.get(
        server.url + "/phone/bulk",
        params={"id": batch_id},
        headers={"x-api-key": DEMO_API_KEY},
        timeout=5,
    )
    assert answer.status_code == 200
    return t.cast("dict[str, t.Any]", answer.json())


def test_a_submitted_batch_is_created_charged_and_served_ongoing_then_completed(
    fake_api: FakeEnrowServer,
) -> None:
    credits_before = fake_api.catalog.account["credits"]
    created = post(fake_api, {"searches": SEARCHES, "custom": {"list": "q3"}})

    assert created.status_code == 201
    answer = created.json()
    assert answer["message"] == "Bulk search operating"
    assert answer["credits_used"] == 120
    assert fake_api.catalog.account["credits"] == credits_before - 120

    ongoing = read(fake_api, answer["id"])
    assert ongoing["general"] == {"id": answer["id"], "status": "ongoing"}
    assert "results" not in ongoing
    completed = read(fake_api, answer["id"])
    assert completed["general"]["status"] == "completed"
    assert completed["general"]["custom"] == {"list": "q3"}
    assert completed["stats"]["requested"] == 3
    results = completed["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[0]["params"] == {"linkedin_url": "https://www.linkedin.com/in/jane"}
    assert results[1]["params"] == {
        "firstname": "Ann",
        "lastname": "Lee",
        "company_domain": "acme.com",
    }
    assert [r.get("custom") for r in results] == ["crm-1", "crm-2", None]
    for result in results:
        assert ("number" in result) == (result["qualification"] == "found")


def test_the_same_search_always_gets_the_same_answer(fake_api: FakeEnrowServer) -> None:
    first = post(fake_api, {"searches": SEARCHES}).json()["id"]
    second = post(fake_api, {"searches": SEARCHES}).json()["id"]
    read(fake_api, first)
    read(fake_api, second)
    assert read(fake_api, first)["results"] == read(fake_api, second)["results"]
    assert fake_api.submissions.batch_ids() == [first, second]


def test_bad_bodies_keys_and_credits_are_refused_and_create_nothing(
    fake_api: FakeEnrowServer,
) -> None:
    assert post(fake_api, {"searches": SEARCHES}, key=None).status_code == 401
    assert post(fake_api, {"searches": []}).json() == {
        "message": "At least 1 phone search must be present in the payload"
    }
    assert post(fake_api, {"searches": [{"firstname": "A"}]}).json() == {
        "message": "Missing mandatory property"
    }
    assert post(fake_api, {"searches": [{"linkedin_url": "x"}]}).json() == {
        "message": "Invalid linkedin_url"
    }
    assert post(fake_api, {"searches": SEARCHES * 1001}).status_code == 400
    fake_api.catalog.account["credits"] = 100
    assert post(fake_api, {"searches": SEARCHES}).status_code == 402
    assert fake_api.submissions.batch_ids() == []
    assert fake_api.catalog.account["credits"] == 100
