"""POST/DELETE /api/devices/<device_id>/credentials (CONTRACT §3 v2), the broker faked."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from devices.models import Device

pytestmark = pytest.mark.django_db

URL = "/api/devices/press-1/credentials"


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_it_creates_credentials_and_shows_the_password_once(keeper, broker):
    response = token_client(keeper).post(URL)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"device_id", "username", "password"}
    assert body["device_id"] == "press-1"
    assert body["username"] == "press-1"
    assert len(body["password"]) >= 40
    assert response["Cache-Control"] == "no-store"
    (commands,) = broker.sent
    assert commands[-1]["command"] == "createClient"
    assert commands[-1]["password"] == body["password"]


def test_the_password_is_not_kept_anywhere_in_the_database(keeper, broker):
    password = token_client(keeper).post(URL).json()["password"]

    device = Device.objects.get(device_id="press-1")
    assert password not in str(Device.objects.filter(pk=device.pk).values().get())
    assert password not in APIClient().get("/api/devices/press-1").content.decode()


def test_a_device_without_readings_joins_the_registry(keeper, broker):
    token_client(keeper).post(URL)

    device = APIClient().get("/api/devices/press-1").json()["data"]
    assert device["device_id"] == "press-1"
    assert device["first_seen"] is None
    assert device["last_seen"] is None
    assert device["online"] is False
    assert device["reading_count"] == 0
    assert device["latest"] is None


def test_posting_again_rotates_to_a_new_password(keeper, broker):
    client = token_client(keeper)
    first = client.post(URL).json()["password"]
    second = client.post(URL).json()["password"]

    assert first != second
    assert Device.objects.filter(device_id="press-1").count() == 1
    assert [c["command"] for c in broker.sent[1]] == ["createRole", "deleteClient", "createClient"]


def test_delete_revokes_with_204(keeper, broker):
    client = token_client(keeper)
    client.post(URL)

    response = client.delete(URL)

    assert response.status_code == 204
    assert [c["command"] for c in broker.sent[-1]] == ["deleteClient", "deleteRole"]
    assert Device.objects.get(device_id="press-1").credentials_issued_at is None


def test_without_credentials_it_answers_401(broker):
    for method in ("post", "delete"):
        response = getattr(APIClient(), method)(URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    assert broker.sent == []
    assert not Device.objects.exists()


def test_without_the_permission_it_answers_403(broker, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="nobody-password")
    client = token_client(nobody)

    assert client.post(URL).status_code == 403
    assert client.delete(URL).status_code == 403
    assert broker.sent == []


def test_a_superuser_may(broker, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-password")
    assert token_client(root).post(URL).status_code == 201


@pytest.mark.parametrize("device_id", ["bad%20id", "x" * 65, "autoforge-ingest", "autoforge-admin"])
def test_a_bad_or_reserved_device_id_is_a_400(keeper, broker, device_id):
    client = token_client(keeper)
    for method in ("post", "delete"):
        response = getattr(client, method)(f"/api/devices/{device_id}/credentials")
        assert response.status_code == 400
        assert response.json()["message"]
    assert broker.sent == []
    assert not Device.objects.exists()


def test_an_unreachable_broker_is_a_503_and_changes_nothing(keeper, broker):
    object.__setattr__(broker, "failure", "cannot reach the broker at broker.test:1883")

    response = token_client(keeper).post(URL)

    assert response.status_code == 503
    assert "cannot reach the broker" in response.json()["message"]
    assert not Device.objects.exists()


def test_without_an_admin_account_configured_it_is_a_503(keeper, settings):
    settings.MQTT_ADMIN_USERNAME = ""

    response = token_client(keeper).post(URL)

    assert response.status_code == 503
    assert "MQTT_ADMIN_USERNAME" in response.json()["message"]
