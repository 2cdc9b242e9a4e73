"""Which records make a search, what is sent, and when two records are the same search."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from target_enrow_phone.leads import (
    Search,
    SkipReason,
    make_search,
    normalise_domain,
    normalise_linkedin_url,
)

slugs = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)
# Shared, slow machines: no deadline, and slow generation is not a failure.
PROPERTIES = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
names = st.text(alphabet=string.ascii_letters + " -'", min_size=1, max_size=20).filter(
    lambda s: s.strip()
)


def search(record: dict[str, object]) -> Search:
    made = make_search(record)
    assert isinstance(made, Search), made
    return made


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/jane-doe",
        "http://linkedin.com/in/jane-doe/",
        "linkedin.com/in/jane-doe",
        "  https://fr.linkedin.com/in/jane-doe?trk=abc#x ",
        "HTTPS://WWW.LINKEDIN.COM/in/jane-doe/details/experience/",
    ],
)
def test_any_spelling_of_a_profile_url_is_sent_in_one_canonical_form(url: str) -> None:
    assert normalise_linkedin_url(url) == "https://www.linkedin.com/in/jane-doe"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/in/jane",
        "https://www.linkedin.com/company/acme",
        "https://www.linkedin.com/in/",
        "ftp://linkedin.com/in/jane",
        "https://linkedin.com.evil.io/in/jane",
        "not a url",
        "https://[::1/in/x",
    ],
)
def test_urls_that_are_not_linkedin_profiles_are_refused(url: str) -> None:
    assert normalise_linkedin_url(url) is None


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/about", "acme.com"),
        (" ACME.co.uk. ", "acme.co.uk"),
        ("acme", None),
        ("acme .com", None),
        ("http://", None),
    ],
)
def test_company_domains_are_normalised_or_refused(raw: str, domain: str | None) -> None:
    assert normalise_domain(raw) == domain


def test_a_linkedin_url_wins_over_names_and_carries_the_custom_id() -> None:
    made = search(
        {
            "linkedin_url": "linkedin.com/in/jane",
            "firstname": "Jane",
            "lastname": "Doe",
            "company_name": "Acme",
            "custom": "crm-42",
        }
    )
    assert made.payload == {"linkedin_url": "https://www.linkedin.com/in/jane", "custom": "crm-42"}


def test_names_with_a_domain_or_a_company_name_make_a_search() -> None:
    by_domain = search({"firstname": " Jane ", "lastname": "Doe", "company_domain": "www.acme.com"})
    assert by_domain.payload == {
        "firstname": "Jane",
        "lastname": "Doe",
        "company_domain": "acme.com",
    }
    by_name = search({"firstname": "Jane", "lastname": "Doe", "company_name": "Acme  Inc"})
    assert by_name.payload == {"firstname": "Jane", "lastname": "Doe", "company_name": "Acme Inc"}
    assert by_domain.custom is None


def test_an_integer_custom_id_is_sent_as_a_string() -> None:
    assert search({"linkedin_url": "linkedin.com/in/x", "custom": 17}).custom == "17"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({}, SkipReason.MISSING_FIELDS),
        ({"firstname": "Jane", "lastname": "Doe"}, SkipReason.MISSING_FIELDS),
        ({"firstname": "Jane", "company_name": "Acme"}, SkipReason.MISSING_FIELDS),
        ({"firstname": "  ", "lastname": "Doe", "company_name": "Acme"}, SkipReason.MISSING_FIELDS),
        ({"linkedin_url": "https://example.com/jane"}, SkipReason.INVALID_LINKEDIN_URL),
        (
            {"firstname": "J", "lastname": "D", "company_domain": "nope"},
            SkipReason.INVALID_COMPANY_DOMAIN,
        ),
        ({"linkedin_url": "linkedin.com/in/x", "custom": {"id": 1}}, SkipReason.INVALID_CUSTOM),
        ({"linkedin_url": "linkedin.com/in/x", "custom": True}, SkipReason.INVALID_CUSTOM),
        ({"linkedin_url": "linkedin.com/in/x", "custom": "x" * 501}, SkipReason.INVALID_CUSTOM),
        ({"linkedin_url": 42}, SkipReason.MISSING_FIELDS),
    ],
)
def test_a_record_that_can_make_no_valid_search_says_why(
    record: dict[str, object], reason: SkipReason
) -> None:
    assert make_search(record) is reason


def test_a_bad_linkedin_url_falls_back_to_valid_names() -> None:
    made = search(
        {
            "linkedin_url": "https://example.com/x",
            "firstname": "A",
            "lastname": "B",
            "company_name": "C",
        }
    )
    assert "linkedin_url" not in made.payload


def test_the_dedupe_key_holds_no_name_or_url() -> None:
    made = search({"firstname": "Jane", "lastname": "Doe", "company_name": "Acme"})
    assert len(made.key) == 64
    assert "jane" not in made.key.lower()


@PROPERTIES
@given(
    slug=slugs,
    www=st.sampled_from(["", "www.", "fr."]),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    tail=st.sampled_from(["", "/", "?trk=1", "/#top"]),
    upper=st.booleans(),
)
def test_the_same_profile_written_any_way_is_one_search(
    *, slug: str, www: str, scheme: str, tail: str, upper: bool
) -> None:
    written = f"{scheme}{www}linkedin.com/in/{slug.upper() if upper else slug}{tail}"
    plain = f"https://www.linkedin.com/in/{slug}"
    assert search({"linkedin_url": written}).key == search({"linkedin_url": plain}).key


@PROPERTIES
@given(slug=slugs)
def test_normalising_a_profile_url_twice_changes_nothing(slug: str) -> None:
    once = normalise_linkedin_url(f"linkedin.com/in/{slug}/")
    assert once is not None
    assert normalise_linkedin_url(once) == once


@PROPERTIES
@given(first=names, last=names, company=names, spaces=st.sampled_from([" ", "  ", "\t"]))
def test_names_differing_in_case_and_spacing_are_one_search(
    first: str, last: str, company: str, spaces: str
) -> None:
    a = search({"firstname": first, "lastname": last, "company_name": company})
    b = search(
        {
            "firstname": spaces + first.upper().replace(" ", spaces) + spaces,
            "lastname": last.lower(),
            "company_name": company.swapcase(),
        }
    )
    assert a.key == b.key


@PROPERTIES
@given(first=names, last=names, one=names, other=names)
def test_the_same_names_at_different_companies_are_different_searches(
    first: str, last: str, one: str, other: str
) -> None:
    a = search({"firstname": first, "lastname": last, "company_name": one})
    b = search({"firstname": first, "lastname": last, "company_name": other})
    assert (a.key == b.key) == (
        " ".join(one.casefold().split()) == " ".join(other.casefold().split())
    )


@PROPERTIES
@given(
    record=st.dictionaries(
        st.sampled_from(
            ["linkedin_url", "firstname", "lastname", "company_domain", "company_name", "custom"]
        ),
        st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans()),
    )
)
def test_any_record_either_makes_a_complete_search_or_a_reason(record: dict[str, object]) -> None:
    made = make_search(record)
    if isinstance(made, SkipReason):
        return
    payload = made.payload
    if "linkedin_url" in payload:
        assert payload["linkedin_url"].startswith("https://www.linkedin.com/")
    else:
        assert payload["firstname"].strip()
        assert payload["lastname"].strip()
        assert payload.get("company_domain") or payload.get("company_name")
    assert all(isinstance(value, str) and value for value in payload.values())
