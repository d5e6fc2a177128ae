"""Reads are public unless API_READS_REQUIRE_AUTH; health is always public."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_reads_are_public_by_default(client) -> None:
    assert client.get("/api/sensors/stats").status_code == 200


def test_reads_need_credentials_when_the_setting_asks(client, settings) -> None:
    settings.API_READS_REQUIRE_AUTH = True

    response = client.get("/api/sensors/stats")

    assert response.status_code == 401
    assert "message" in response.json()


def test_a_token_opens_the_reads_when_the_setting_asks(client, settings) -> None:
    settings.API_READS_REQUIRE_AUTH = True
    token = Token.objects.create(user=User.objects.create_user("analyst"))

    response = client.get("/api/sensors/stats", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200


def test_health_stays_public_when_reads_need_credentials(client, settings) -> None:
    settings.API_READS_REQUIRE_AUTH = True

    assert client.get("/api/health").status_code == 200
