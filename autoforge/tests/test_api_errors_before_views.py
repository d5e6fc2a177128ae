"""Requests Django refuses before any view runs still get a JSON error body."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_a_body_over_the_upload_limit_is_a_json_413(client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    user = User.objects.create_user("operator")
    user.user_permissions.add(Permission.objects.get(codename="add_command"))
    key = Token.objects.create(user=user).key
    body = {"device_id": "dev-1", "command": "reboot", "parameters": {"blob": "x" * 2000}}

    response = client.post(
        "/api/control", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )

    assert response.status_code == 413
    assert response.json() == {"message": "Request body too large"}


def test_a_host_not_allowed_is_a_json_400(client) -> None:
    response = client.get("/api/sensors/latest", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
    assert response.json() == {"message": "Bad request"}
