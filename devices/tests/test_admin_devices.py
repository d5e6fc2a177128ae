"""The device registry in the admin: listed with online state, linked to readings and commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from devices.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", password="root-password"))
    return client


def test_it_lists_devices_with_their_online_state_and_links(admin_client, settings):
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    now = timezone.now()
    Device.objects.create(device_id="press-1", last_seen=now, reading_count=3)
    Device.objects.create(device_id="press-2", last_seen=now - timedelta(hours=1))

    page = admin_client.get("/admin/devices/device/").content.decode()

    assert "press-1" in page
    assert "press-2" in page
    assert page.count('alt="True"') == 1
    assert "/admin/sensors/sensorreading/?q=press-1" in page
    assert "/admin/control/command/?q=press-2" in page


def test_it_filters_online_and_offline_devices(admin_client):
    Device.objects.create(device_id="on-1", last_seen=timezone.now())
    Device.objects.create(device_id="off-1", last_seen=timezone.now() - timedelta(days=1))

    online = admin_client.get("/admin/devices/device/?online=yes").content.decode()
    offline = admin_client.get("/admin/devices/device/?online=no").content.decode()

    assert "on-1" in online
    assert "off-1" not in online
    assert "off-1" in offline
    assert "on-1" not in offline


def test_the_links_find_the_device_readings(admin_client):
    from sensors.tests.readings_factory import add_reading

    add_reading("press-7")
    add_reading("press-8")

    page = admin_client.get("/admin/sensors/sensorreading/?q=press-7").content.decode()

    assert "press-7" in page
    assert "press-8" not in page
