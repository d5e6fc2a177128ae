"""Credentials by API and command, and the broker set-up, on a broker configured as shipped."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from conftest import SecureBroker
from devices.tests.mqtt_sessions import open_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_settings(settings, secure_mosquitto):
    for name, value in secure_mosquitto.settings().items():
        setattr(settings, name, int(value) if name == "MQTT_PORT" else value)
    return settings


def test_the_password_it_shows_logs_the_device_in_until_revoked(
    request, secure_mosquitto, broker_settings
):
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("root", password="root-password"))

    body = client.post("/api/devices/press-1/credentials").json()
    device = open_session(request, secure_mosquitto, body["username"], body["password"])
    assert device.connected

    assert client.delete("/api/devices/press-1/credentials").status_code == 204
    assert device.disconnected.wait(10)
    assert open_session(request, secure_mosquitto, "press-1", body["password"]).reason.is_failure


def test_a_wrong_admin_password_is_a_503_naming_no_password(
    client, secure_mosquitto, broker_settings
):
    broker_settings.MQTT_ADMIN_PASSWORD = "not-the-admin-password"
    api = APIClient()
    api.force_authenticate(User.objects.create_superuser("root", password="root-password"))

    response = api.post("/api/devices/press-1/credentials")

    assert response.status_code == 503
    assert "refused the admin account" in response.json()["message"]
    assert "not-the-admin-password" not in response.content.decode()


def test_the_command_prints_a_password_that_logs_the_device_in_until_revoked(
    request, secure_mosquitto, broker_settings
):
    out = io.StringIO()
    call_command("device_credentials", "press-1", stdout=out)
    password = out.getvalue().split("password: ")[1].strip()

    assert open_session(request, secure_mosquitto, "press-1", password).connected
    call_command("device_credentials", "press-1", "--revoke", stdout=io.StringIO())
    assert open_session(request, secure_mosquitto, "press-1", password).reason.is_failure


def test_mosquitto_starts_with_the_file_mqtt_security_init_writes(request, settings, tmp_path):
    broker = SecureBroker(tmp_path)
    for name, value in broker.settings().items():
        setattr(settings, name, int(value) if name == "MQTT_PORT" else value)
    call_command("mqtt_security_init", str(broker.security_file), "--force", stdout=io.StringIO())
    broker.start()
    request.addfinalizer(broker.kill)

    ingest = open_session(request, broker, *SecureBroker.INGEST)
    assert str(ingest.subscribe("$share/autoforge/sensors/+/data")) == "Granted QoS 1"
    assert str(ingest.subscribe("control/+/ack")) == "Granted QoS 1"
    assert str(ingest.subscribe("#")) == "Not authorized"
    body = APIClient()
    body.force_authenticate(User.objects.create_superuser("root", password="root-password"))
    password = body.post("/api/devices/press-1/credentials").json()["password"]
    assert open_session(request, broker, "press-1", password).connected
