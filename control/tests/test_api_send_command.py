"""POST /api/control stores a pending command and answers 202."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from control.models import Command

pytestmark = pytest.mark.django_db


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_it_stores_a_pending_command_and_answers_202(operator):
    response = token_client(operator).post(
        "/api/control",
        {"device_id": "dev-1", "command": "set_rate", "parameters": {"hz": 10}},
        format="json",
    )

    assert response.status_code == 202
    body = response.json()
    command = Command.objects.get()
    assert body["id"] == command.id
    assert body["status"] == "pending"
    assert body["device_id"] == "dev-1"
    assert body["command"] == "set_rate"
    assert body["parameters"] == {"hz": 10}
    assert body["message"]
    assert body["created_by"] == "operator"
    assert response["Location"] == f"/api/control/{command.id}"
    assert command.created_by == operator


def test_the_command_expires_after_the_configured_ttl(operator, settings):
    settings.COMMAND_TTL_SECONDS = 42

    token_client(operator).post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    )

    command = Command.objects.get()
    assert command.expires_at - command.created_at == timedelta(seconds=42)


def test_parameters_default_to_an_empty_object(operator):
    response = token_client(operator).post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    )

    assert response.json()["parameters"] == {}


def test_null_parameters_mean_none(operator):
    response = token_client(operator).post(
        "/api/control",
        {"device_id": "dev-1", "command": "reboot", "parameters": None},
        format="json",
    )

    assert response.status_code == 202
    assert response.json()["parameters"] == {}


def test_a_superuser_may_send_commands(db):
    admin = User.objects.create_superuser("admin", password="admin-password")

    response = token_client(admin).post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    )

    assert response.status_code == 202


def test_a_logged_in_admin_session_may_send_commands(db):
    client = APIClient(enforce_csrf_checks=True)
    # force_login: django-axes refuses a password login without a request.
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))
    csrf = client.get("/admin/").cookies["csrftoken"].value

    response = client.post(
        "/api/control",
        {"device_id": "dev-1", "command": "reboot"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )

    assert response.status_code == 202


def test_a_session_post_without_the_csrf_token_is_refused(db):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))

    response = client.post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert not Command.objects.exists()


def test_deleting_the_user_keeps_the_command(operator):
    token_client(operator).post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    )

    operator.delete()

    assert Command.objects.get().created_by is None
