"""API_READS_REQUIRE_AUTH=true closes every /api/sensors/* endpoint to anonymous clients."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db

# What each endpoint answers on an empty database when it lets the client in.
SENSOR_ENDPOINTS = [
    ("/api/sensors/latest", 404),
    ("/api/sensors/history", 200),
    ("/api/sensors/stats", 200),
    ("/api/sensors/ml-data", 200),
]


@pytest.mark.parametrize(("path", "allowed"), SENSOR_ENDPOINTS)
def test_sensor_reads_are_public_by_default(settings, path, allowed):
    settings.API_READS_REQUIRE_AUTH = False

    assert APIClient().get(path).status_code == allowed


@pytest.mark.parametrize(("path", "allowed"), SENSOR_ENDPOINTS)
def test_sensor_reads_need_credentials_when_required(settings, path, allowed):
    settings.API_READS_REQUIRE_AUTH = True

    response = APIClient().get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["message"]


@pytest.mark.parametrize(("path", "allowed"), SENSOR_ENDPOINTS)
def test_a_bad_token_is_refused_even_when_reads_are_public(settings, path, allowed):
    settings.API_READS_REQUIRE_AUTH = False
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get(path).status_code == 401


@pytest.mark.parametrize(("path", "allowed"), SENSOR_ENDPOINTS)
def test_any_token_opens_sensor_reads_when_required(settings, nobody, path, allowed):
    settings.API_READS_REQUIRE_AUTH = True

    assert token_client(nobody).get(path).status_code == allowed


@pytest.mark.parametrize(("path", "allowed"), SENSOR_ENDPOINTS)
def test_an_admin_session_opens_sensor_reads_when_required(settings, path, allowed):
    settings.API_READS_REQUIRE_AUTH = True
    client = APIClient()
    # force_login: django-axes refuses a password login without a request.
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))

    assert client.get(path).status_code == allowed


def test_health_stays_public_when_reads_are_protected(settings):
    settings.API_READS_REQUIRE_AUTH = True

    assert APIClient().get("/api/health").status_code == 200


def test_a_bad_query_parameter_is_still_401_first_when_reads_are_protected(settings):
    settings.API_READS_REQUIRE_AUTH = True

    assert APIClient().get("/api/sensors/history?limit=0").status_code == 401
