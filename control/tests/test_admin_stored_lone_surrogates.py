"""A command stored with lone surrogates in its JSON renders in the admin, as U+FFFD.

Which engines can hold such a row: see ``control/tests/stored_surrogates.py``.
"""

from __future__ import annotations

import html
import json

import pytest
from django.contrib.auth.models import User

from control.services import command_create
from control.tests.stored_surrogates import (
    BAD_DETAILS,
    SHOWN_PARAMETERS,
    store_command_with_lone_surrogates,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client):
    client.force_login(User.objects.create_superuser("admin", password="admin-password"))
    return client


@pytest.mark.parametrize(("detail", "shown"), BAD_DETAILS)
def test_the_change_page_shows_replacement_characters(admin_client_logged_in, detail, shown):
    command = store_command_with_lone_surrogates(detail)

    response = admin_client_logged_in.get(f"/admin/control/command/{command.id}/change/")

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert json.dumps(SHOWN_PARAMETERS, ensure_ascii=False) in page
    assert json.dumps(shown, ensure_ascii=False) in page


@pytest.mark.parametrize(("detail", "shown"), BAD_DETAILS)
def test_the_list_page_renders(admin_client_logged_in, detail, shown):
    store_command_with_lone_surrogates(detail)

    response = admin_client_logged_in.get("/admin/control/command/")

    assert response.status_code == 200
    assert b"dev-1" in response.content


def test_the_change_page_shows_json_as_json(admin_client_logged_in):
    command = command_create(
        device_id="dev-1", command="reboot", parameters={"é": [1, None]}, ttl_seconds=300
    )

    response = admin_client_logged_in.get(f"/admin/control/command/{command.id}/change/")

    page = html.unescape(response.content.decode())
    assert '{"é": [1, null]}' in page
    assert "Detail:" in page
