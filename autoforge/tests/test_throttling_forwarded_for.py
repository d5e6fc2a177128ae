"""X-Forwarded-For does not lift the anonymous rate limit unless a proxy is trusted.

DRF's own throttles take any client's ``X-Forwarded-For`` as its address
when ``NUM_PROXIES`` is unset; here the header counts only with
``API_TRUSTED_PROXIES`` set, and then only its rightmost entries.
"""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PATH = "/api/sensors/stats"


@pytest.fixture
def limited(settings) -> None:
    settings.API_THROTTLE_ANON = "2/min"
    settings.API_TRUSTED_PROXIES = 0


def exhaust_limit(client: APIClient, **headers: str) -> None:
    assert [client.get(PATH, **headers).status_code for _ in range(3)] == [200, 200, 429]


def test_a_random_forwarded_for_is_still_throttled(limited):
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    exhaust_limit(client)

    statuses = {
        client.get(PATH, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(1, 21)
    }

    assert statuses == {429}


def test_a_constant_forwarded_for_is_still_throttled(limited):
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    exhaust_limit(client)

    statuses = {client.get(PATH, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code for _ in range(5)}

    assert statuses == {429}


def test_the_forwarded_for_of_an_exhausted_client_cannot_spend_anothers_limit(limited):
    exhaust_limit(APIClient(REMOTE_ADDR="198.51.100.7"), HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert APIClient(REMOTE_ADDR="203.0.113.9").get(PATH).status_code == 200


def test_behind_one_trusted_proxy_the_rightmost_address_is_the_client(limited, settings):
    settings.API_TRUSTED_PROXIES = 1
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    # What a client put in the header comes first; the proxy appends the peer.
    exhaust_limit(proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5")

    forged = proxy.get(PATH, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5")
    other_client = proxy.get(PATH, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.6")

    assert (forged.status_code, other_client.status_code) == (429, 200)


def test_behind_two_trusted_proxies_the_second_address_from_the_right_is_the_client(
    limited, settings
):
    settings.API_TRUSTED_PROXIES = 2
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    exhaust_limit(proxy, HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.2")

    again = proxy.get(PATH, HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.5, 10.0.0.3")
    other_client = proxy.get(PATH, HTTP_X_FORWARDED_FOR="203.0.113.6, 10.0.0.2")

    assert (again.status_code, other_client.status_code) == (429, 200)


def test_a_forwarded_entry_that_is_no_address_counts_as_the_peer(limited, settings):
    settings.API_TRUSTED_PROXIES = 1
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    exhaust_limit(client)

    junk = (f"junk-{n}" for n in itertools.count())
    statuses = {client.get(PATH, HTTP_X_FORWARDED_FOR=next(junk)).status_code for _ in range(5)}

    assert statuses == {429}


def test_drf_is_told_the_same_number_of_proxies():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.API_TRUSTED_PROXIES
