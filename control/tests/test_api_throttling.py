"""Anonymous clients are rate-limited by API_THROTTLE_ANON, users by API_THROTTLE_USER."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db


def test_an_anonymous_client_gets_429_past_the_limit(settings):
    settings.API_THROTTLE_ANON = "3/min"
    client = APIClient()

    statuses = [client.get("/api/sensors/stats").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/sensors/stats")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["message"]


def test_anonymous_clients_are_counted_by_address(settings):
    settings.API_THROTTLE_ANON = "1/min"

    first = APIClient(REMOTE_ADDR="192.0.2.1").get("/api/sensors/stats")
    second = APIClient(REMOTE_ADDR="192.0.2.2").get("/api/sensors/stats")

    assert (first.status_code, second.status_code) == (200, 200)


def test_an_empty_rate_means_no_limit(settings):
    settings.API_THROTTLE_ANON = ""
    client = APIClient()

    assert {client.get("/api/sensors/stats").status_code for _ in range(20)} == {200}


def test_health_is_never_throttled(settings):
    settings.API_THROTTLE_ANON = "1/min"
    client = APIClient()

    assert {client.get("/api/health").status_code for _ in range(5)} == {200}


def test_authenticated_users_have_their_own_limit(settings, viewer):
    settings.API_THROTTLE_ANON = "1/min"
    settings.API_THROTTLE_USER = "2/min"
    client = token_client(viewer)

    statuses = [client.get("/api/control").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_authenticated_users_are_not_limited_by_default(settings, viewer):
    settings.API_THROTTLE_ANON = "1/min"
    settings.API_THROTTLE_USER = ""
    client = token_client(viewer)

    assert {client.get("/api/control").status_code for _ in range(5)} == {200}
