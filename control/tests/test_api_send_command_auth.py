"""Only authenticated users with control.add_command may send commands."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from control.models import Command
from control.tests.test_api_send_command import token_client

pytestmark = pytest.mark.django_db

BODY = {"device_id": "dev-1", "command": "reboot"}


def test_without_credentials_it_answers_401_with_a_challenge():
    response = APIClient().post("/api/control", BODY, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"message": "Authentication credentials were not provided."}
    assert not Command.objects.exists()


def test_with_an_unknown_token_it_answers_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.post("/api/control", BODY, format="json")

    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token."


def test_a_user_without_the_permission_gets_403(nobody):
    response = token_client(nobody).post("/api/control", BODY, format="json")

    assert response.status_code == 403
    assert response.json()["message"]
    assert not Command.objects.exists()


def test_a_user_who_may_only_view_commands_gets_403(viewer):
    response = token_client(viewer).post("/api/control", BODY, format="json")

    assert response.status_code == 403


def test_an_inactive_users_token_is_refused(operator):
    client = token_client(operator)
    operator.is_active = False
    operator.save()

    response = client.post("/api/control", BODY, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(operator, method):
    response = getattr(token_client(operator), method)("/api/control", BODY, format="json")

    assert response.status_code == 405
