"""Commands are browsable in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from control.services import command_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    # force_login: django-axes refuses a password login without a request.
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))
    return client


def test_the_admin_lists_commands(admin_client_logged_in):
    command_create(device_id="dev-1", command="reboot", ttl_seconds=300)

    response = admin_client_logged_in.get("/admin/control/command/?status=pending")

    assert response.status_code == 200
    assert b"dev-1" in response.content


def test_the_admin_shows_one_command(admin_client_logged_in):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)

    response = admin_client_logged_in.get(f"/admin/control/command/{command.id}/change/")

    assert response.status_code == 200


def test_the_admin_cannot_add_a_command(admin_client_logged_in):
    response = admin_client_logged_in.get("/admin/control/command/add/")

    assert response.status_code == 403


def test_the_admin_cannot_rewrite_a_commands_history(admin_client_logged_in):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)

    response = admin_client_logged_in.post(
        f"/admin/control/command/{command.id}/change/",
        {"device_id": "dev-2", "command": "reboot", "status": "acknowledged"},
    )

    command.refresh_from_db()
    assert response.status_code == 403
    assert (command.device_id, command.status) == ("dev-1", "pending")
