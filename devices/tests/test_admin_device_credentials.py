"""The admin actions on the device list: issue (password shown once, on the page) and revoke."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from devices.models import Device

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/devices/device/"


def act(client, action: str, *device_ids: str):
    pks = [str(Device.objects.get(device_id=d).pk) for d in device_ids]
    return client.post(CHANGELIST, {"action": action, "_selected_action": pks})


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password="root-password"))
    return client


def test_issuing_shows_each_password_on_the_page_it_answers(admin_client, broker):
    Device.objects.create(device_id="press-1")
    Device.objects.create(device_id="press-2")

    response = act(admin_client, "issue_credentials", "press-1", "press-2")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    passwords = [commands[-1]["password"] for commands in broker.sent]
    assert len(passwords) == 2
    assert all(page.count(password) == 1 for password in passwords)
    assert Device.objects.filter(credentials_issued_at__isnull=False).count() == 2
    # Shown once: the device list does not show it again.
    listing = admin_client.get(CHANGELIST).content.decode()
    assert not any(password in listing for password in passwords)


def test_revoking_says_so(admin_client, broker):
    Device.objects.create(device_id="press-1")

    response = act(admin_client, "revoke_credentials", "press-1")

    assert response.status_code == 302
    assert [c["command"] for c in broker.sent[-1]] == ["deleteClient", "deleteRole"]
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Revoked the MQTT credentials of press-1" in page


def test_a_broker_failure_is_reported(admin_client, broker):
    Device.objects.create(device_id="press-1")
    object.__setattr__(broker, "failure", "cannot reach the broker")

    page = act(admin_client, "issue_credentials", "press-1").content.decode()

    assert "cannot reach the broker" in page


def test_staff_without_the_permission_are_not_offered_the_actions(client, broker):
    staff = User.objects.create_user("staff", password="staff-password", is_staff=True)
    staff.user_permissions.add(*_view_device_permission())
    client.force_login(staff)
    Device.objects.create(device_id="press-1")

    page = client.get(CHANGELIST).content.decode()
    assert "issue_credentials" not in page
    act(client, "issue_credentials", "press-1")
    assert broker.sent == []


def _view_device_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename="view_device")


def test_a_keeper_is_offered_them(client, keeper, broker):
    keeper.is_staff = True
    keeper.save()
    keeper.user_permissions.add(*_view_device_permission())
    client.force_login(keeper)
    Device.objects.create(device_id="press-1")

    assert "issue_credentials" in client.get(CHANGELIST).content.decode()
