"""GET /api/devices and /api/devices/<device_id>: the registry as CONTRACT §3 v2 shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from devices.models import Device
from sensors.tests.readings_factory import add_reading, iso

pytestmark = pytest.mark.django_db

DEVICE_KEYS = {"device_id", "first_seen", "last_seen", "online", "reading_count", "latest"}


def seen_ago(device_id: str, seconds: float) -> None:
    """Make the registry say the device was last seen ``seconds`` ago."""
    Device.objects.filter(device_id=device_id).update(
        last_seen=timezone.now() - timedelta(seconds=seconds)
    )


def device_ids(response) -> list[str]:
    return [device["device_id"] for device in response.json()["data"]]


def test_the_list_shows_every_device_in_the_contract_shape(client) -> None:
    reading = add_reading("press-1", seconds=0, temperature=21.5)

    body = client.get("/api/devices").json()

    assert body["count"] == 1
    assert body["total"] == 1
    assert body["limit"] == 100
    assert body["offset"] == 0
    [device] = body["data"]
    assert set(device) == DEVICE_KEYS
    stored = Device.objects.get(device_id="press-1")
    assert device["device_id"] == "press-1"
    assert device["first_seen"] == iso(stored.first_seen)
    assert device["last_seen"] == iso(stored.last_seen)
    assert device["first_seen"].endswith("Z")
    assert device["online"] is True
    assert device["reading_count"] == 1
    assert device["latest"] == {
        "id": reading.id,
        "device_id": "press-1",
        "temperature": 21.5,
        "vibration": 1.0,
        "gas": 400.0,
        "power": 250.0,
        "timestamp": iso(reading.timestamp),
        "created_at": iso(reading.created_at),
    }


def test_an_empty_registry_is_an_empty_list(client) -> None:
    body = client.get("/api/devices").json()

    assert body == {"count": 0, "total": 0, "limit": 100, "offset": 0, "data": []}


def test_the_list_is_ordered_by_device_id(client) -> None:
    for device_id in ["zeta", "alpha", "Mid", "beta-2", "beta-10"]:
        add_reading(device_id)

    response = client.get("/api/devices")

    assert device_ids(response) == sorted(["zeta", "alpha", "Mid", "beta-2", "beta-10"])


def test_limit_and_offset_page_through_the_list(client) -> None:
    for n in range(7):
        Device.objects.create(device_id=f"dev-{n}", reading_count=n)

    body = client.get("/api/devices", {"limit": 3, "offset": 2}).json()

    assert [d["device_id"] for d in body["data"]] == ["dev-2", "dev-3", "dev-4"]
    assert (body["count"], body["total"], body["limit"], body["offset"]) == (3, 7, 3, 2)


def test_an_offset_past_the_end_gives_an_empty_page_with_the_total(client) -> None:
    for n in range(3):
        Device.objects.create(device_id=f"dev-{n}")

    body = client.get("/api/devices", {"offset": 10}).json()

    assert (body["count"], body["total"], body["data"]) == (0, 3, [])


def test_the_largest_limit_is_accepted(client) -> None:
    assert client.get("/api/devices", {"limit": 1000}).status_code == 200


def test_online_follows_last_seen_and_the_setting(client, settings) -> None:
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    for device_id in ["fresh", "stale", "never"]:
        Device.objects.create(device_id=device_id)
    seen_ago("fresh", 590)
    seen_ago("stale", 610)

    devices = {d["device_id"]: d["online"] for d in client.get("/api/devices").json()["data"]}

    assert devices == {"fresh": True, "stale": False, "never": False}


def test_a_shorter_offline_setting_turns_a_device_offline(client, settings) -> None:
    add_reading("press-1")
    seen_ago("press-1", 120)

    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    assert client.get("/api/devices").json()["data"][0]["online"] is True
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 60
    assert client.get("/api/devices").json()["data"][0]["online"] is False


def test_online_true_lists_only_the_online_devices(client, settings) -> None:
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    for device_id in ["a", "b", "c", "d"]:
        add_reading(device_id)
    seen_ago("b", 3600)
    seen_ago("d", 601)

    body = client.get("/api/devices", {"online": "true"}).json()

    assert [d["device_id"] for d in body["data"]] == ["a", "c"]
    assert all(d["online"] for d in body["data"])
    assert body["total"] == 2


def test_online_false_lists_only_the_offline_devices(client, settings) -> None:
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    for device_id in ["a", "b", "c", "d"]:
        add_reading(device_id)
    Device.objects.create(device_id="e")  # never seen: offline
    seen_ago("b", 3600)
    seen_ago("d", 601)

    body = client.get("/api/devices", {"online": "false"}).json()

    assert [d["device_id"] for d in body["data"]] == ["b", "d", "e"]
    assert not any(d["online"] for d in body["data"])
    assert body["total"] == 3


def test_the_online_filter_pages_with_a_total_of_the_matches(client, settings) -> None:
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    for n in range(5):
        add_reading(f"dev-{n}")
    seen_ago("dev-0", 9999)

    body = client.get("/api/devices", {"online": "true", "limit": 2, "offset": 1}).json()

    assert [d["device_id"] for d in body["data"]] == ["dev-2", "dev-3"]
    assert (body["count"], body["total"]) == (2, 4)


def test_latest_is_the_newest_reading_by_timestamp_even_when_stored_first(client) -> None:
    newest = add_reading("press-1", seconds=100, temperature=30.0)
    add_reading("press-1", seconds=10, temperature=10.0)  # late: an older timestamp, stored later
    add_reading("press-1", seconds=50, temperature=20.0)

    [device] = client.get("/api/devices").json()["data"]
    detail = client.get("/api/devices/press-1").json()["data"]

    assert device["latest"]["id"] == newest.id
    assert device["latest"]["timestamp"] == iso(newest.timestamp)
    assert device["latest"]["temperature"] == 30.0
    assert device["reading_count"] == 3
    assert detail["latest"] == device["latest"]


def test_each_device_in_the_list_gets_its_own_latest_reading(client) -> None:
    a = add_reading("a", seconds=5, temperature=1.0)
    add_reading("b", seconds=1, temperature=2.0)
    b = add_reading("b", seconds=9, temperature=3.0)
    add_reading("a", seconds=2, temperature=4.0)

    latest = {d["device_id"]: d["latest"]["id"] for d in client.get("/api/devices").json()["data"]}

    assert latest == {"a": a.id, "b": b.id}


def test_a_device_without_readings_has_no_latest(client) -> None:
    Device.objects.create(device_id="quiet")

    [device] = client.get("/api/devices").json()["data"]

    assert device["latest"] is None
    assert device["reading_count"] == 0
    assert device["first_seen"] is None
    assert device["last_seen"] is None
    assert device["online"] is False


def test_a_duplicate_reading_is_not_counted_twice(client) -> None:
    add_reading("press-1", seconds=1)
    add_reading("press-1", seconds=1)
    add_reading("press-1", seconds=2)

    assert client.get("/api/devices/press-1").json()["data"]["reading_count"] == 2


def test_the_detail_is_the_device_as_in_the_list(client) -> None:
    add_reading("press-1", seconds=3)
    add_reading("press-2", seconds=4)

    response = client.get("/api/devices/press-2")

    assert response.status_code == 200
    listed = {d["device_id"]: d for d in client.get("/api/devices").json()["data"]}
    assert response.json() == {"data": listed["press-2"]}
    assert set(response.json()["data"]) == DEVICE_KEYS


def test_the_detail_of_an_id_with_every_allowed_character(client) -> None:
    add_reading("A-z_0.9")

    response = client.get("/api/devices/A-z_0.9")

    assert response.status_code == 200
    assert response.json()["data"]["device_id"] == "A-z_0.9"


def test_an_unknown_device_is_a_404_naming_it(client) -> None:
    add_reading("press-1")

    response = client.get("/api/devices/press-9")

    assert response.status_code == 404
    assert response.json() == {"message": "Device not found", "device_id": "press-9"}


def test_the_detail_lookup_is_case_sensitive(client) -> None:
    add_reading("press-1")

    response = client.get("/api/devices/PRESS-1")

    assert response.status_code == 404
    assert response.json() == {"message": "Device not found", "device_id": "PRESS-1"}


@pytest.mark.parametrize(
    ("path", "device_id"),
    [
        ("/api/devices/bad%20id", "bad id"),
        ("/api/devices/" + "x" * 65, "x" * 65),
        ("/api/devices/pr%C3%A9ss", "préss"),
        ("/api/devices/a%00b", "a\x00b"),
        ("/api/devices/a%3Bb", "a;b"),
    ],
)
def test_an_id_that_is_not_a_device_id_is_a_404_naming_it(client, path, device_id) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"message": "Device not found", "device_id": device_id}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("online", "yes"),
        ("online", "1"),
        ("online", "TRUE"),
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "-1"),
        ("limit", "ten"),
        ("limit", "1.5"),
        ("limit", "9" * 40),
        ("offset", "-1"),
        ("offset", "x"),
        ("offset", "9" * 25),
        ("offset", str(2**63)),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, name: str, value: str) -> None:
    response = client.get("/api/devices", {name: value})

    assert response.status_code == 400
    body = response.json()
    assert f"'{name}'" in body["message"]
    assert list(body["errors"]) == [name]


def test_an_empty_parameter_counts_as_absent(client, settings) -> None:
    settings.DEVICE_OFFLINE_AFTER_SECONDS = 600
    add_reading("a")
    add_reading("b")
    seen_ago("b", 3600)

    body = client.get("/api/devices", {"online": "", "limit": "", "offset": ""}).json()

    assert [d["device_id"] for d in body["data"]] == ["a", "b"]
    assert (body["limit"], body["offset"]) == (100, 0)


def test_the_device_reads_are_public_by_default(client) -> None:
    add_reading("press-1")

    assert client.get("/api/devices").status_code == 200
    assert client.get("/api/devices/press-1").status_code == 200


@pytest.mark.parametrize("path", ["/api/devices", "/api/devices/press-1"])
def test_the_device_reads_need_credentials_when_the_setting_asks(client, settings, path) -> None:
    add_reading("press-1")
    settings.API_READS_REQUIRE_AUTH = True

    response = client.get(path)

    assert response.status_code == 401
    assert "message" in response.json()


@pytest.mark.parametrize("path", ["/api/devices", "/api/devices/press-1"])
def test_a_token_opens_the_device_reads_when_the_setting_asks(client, settings, path) -> None:
    add_reading("press-1")
    settings.API_READS_REQUIRE_AUTH = True
    token = Token.objects.create(user=User.objects.create_user("analyst"))

    response = client.get(path, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
