"""Under the shipped deploy/mosquitto.conf each device has its own account and
topics (CONTRACT §2 "Device identity"): a real Mosquitto, the real ingest."""

from __future__ import annotations

import json

import pytest

from control.models import Command
from control.services import command_create
from devices.broker_admin import BrokerAdmin
from devices.credentials import device_credentials_issue, device_credentials_revoke
from devices.models import Device
from devices.tests.mqtt_sessions import open_session
from sensors.models import DeadLetter, SensorReading
from sensors.tests.ingest_process import reading_payload, start_ingest, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

GRANTED = {"Success", "No matching subscribers"}


def admin_of(broker) -> BrokerAdmin:
    return BrokerAdmin(
        host=broker.host, port=broker.port, username=broker.ADMIN[0], password=broker.ADMIN[1]
    )


def issue(broker, device_id: str) -> str:
    return device_credentials_issue(device_id=device_id, broker=admin_of(broker)).password


def stored(device_id: str) -> int:
    return SensorReading.objects.filter(device_id=device_id).count()


def test_a_provisioned_device_publishes_and_its_readings_are_stored(
    request, secure_mosquitto, secure_subprocess_env, tmp_path
):
    start_ingest(request, secure_subprocess_env, tmp_path / "ingest.log")
    password = issue(secure_mosquitto, "press-1")
    device = open_session(request, secure_mosquitto, "press-1", password)

    assert str(device.publish("sensors/press-1/data", reading_payload(1))) == "Success"

    wait_until(lambda: stored("press-1") == 1, what="the reading of press-1")
    registered = Device.objects.get(device_id="press-1")
    assert registered.reading_count == 1
    assert registered.first_seen is not None
    assert registered.last_seen == registered.first_seen


def test_a_device_cannot_publish_readings_or_answers_for_another(
    request, secure_mosquitto, secure_subprocess_env, tmp_path
):
    start_ingest(request, secure_subprocess_env, tmp_path / "ingest.log")
    password_a = issue(secure_mosquitto, "dev-a")
    password_b = issue(secure_mosquitto, "dev-b")
    command = command_create(device_id="dev-b", command="reboot", ttl_seconds=300)
    wait_until(lambda: Command.objects.get(id=command.id).status == "sent", what="the command sent")
    answer = json.dumps({"id": command.id, "status": "ok"}).encode()
    # Mosquitto 2.0.11 answers a refused QoS 1 publish with "Not authorized"
    # and then closes the connection: one session a try.
    for topic, payload in [
        ("sensors/dev-b/data", reading_payload(1)),
        ("control/dev-b/ack", answer),
        ("$CONTROL/dynamic-security/v1", b'{"commands": [{"command": "listClients"}]}'),
    ]:
        intruder = open_session(request, secure_mosquitto, "dev-a", password_a)
        assert str(intruder.publish(topic, payload)) == "Not authorized", topic

    # What dev-a may send still arrives, after what it may not.
    own = open_session(request, secure_mosquitto, "dev-a", password_a)
    assert str(own.publish("sensors/dev-a/data", reading_payload(2))) == "Success"
    wait_until(lambda: stored("dev-a") == 1, what="the reading of dev-a")
    assert stored("dev-b") == 0
    assert DeadLetter.objects.count() == 0
    assert Command.objects.get(id=command.id).status == "sent"

    device_b = open_session(request, secure_mosquitto, "dev-b", password_b)
    assert str(device_b.publish("control/dev-b/ack", answer)) == "Success"
    wait_until(
        lambda: Command.objects.get(id=command.id).status == "acknowledged",
        what="dev-b's own answer counted",
    )


def test_a_device_cannot_subscribe_to_another_devices_commands(request, secure_mosquitto):
    password_a = issue(secure_mosquitto, "dev-a")
    password_b = issue(secure_mosquitto, "dev-b")
    intruder = open_session(request, secure_mosquitto, "dev-a", password_a)
    device_b = open_session(request, secure_mosquitto, "dev-b", password_b)

    for topic in ["control/dev-b/command", "control/+/command", "#", "sensors/+/data"]:
        assert str(intruder.subscribe(topic)) == "Not authorized", topic
    assert str(intruder.subscribe("control/dev-a/command")) == "Granted QoS 1"
    assert str(device_b.subscribe("control/dev-b/command")) == "Granted QoS 1"
    ingest = open_session(request, secure_mosquitto, *secure_mosquitto.INGEST)
    assert str(ingest.publish("control/dev-b/command", b'{"id": 1}')) == "Success"

    assert device_b.messages.get(timeout=10).topic == "control/dev-b/command"
    assert intruder.messages.empty()


def test_anonymous_and_unknown_clients_are_refused(request, secure_mosquitto):
    issue(secure_mosquitto, "dev-a")

    assert open_session(request, secure_mosquitto).reason.is_failure
    assert open_session(request, secure_mosquitto, "dev-a", "wrong").reason.is_failure
    assert open_session(request, secure_mosquitto, "dev-z", "any").reason.is_failure


def test_after_rotation_the_old_password_fails_and_the_new_one_works(request, secure_mosquitto):
    old = issue(secure_mosquitto, "dev-a")
    connected = open_session(request, secure_mosquitto, "dev-a", old)
    assert connected.connected

    new = issue(secure_mosquitto, "dev-a")

    assert new != old
    assert connected.disconnected.wait(10), "the client logged in with the old password stays"
    assert open_session(request, secure_mosquitto, "dev-a", old).reason.is_failure
    device = open_session(request, secure_mosquitto, "dev-a", new)
    assert str(device.publish("sensors/dev-a/data", reading_payload(1))) in GRANTED


def test_a_revoked_device_is_cut_off_and_refused(request, secure_mosquitto):
    password = issue(secure_mosquitto, "dev-a")
    connected = open_session(request, secure_mosquitto, "dev-a", password)
    assert connected.connected

    device_credentials_revoke(device_id="dev-a", broker=admin_of(secure_mosquitto))

    assert connected.disconnected.wait(10), "a connected client of a revoked device stays"
    assert open_session(request, secure_mosquitto, "dev-a", password).reason.is_failure
    assert Device.objects.get(device_id="dev-a").credentials_issued_at is None
    # Revoking again, or a device that never had credentials, is no error.
    device_credentials_revoke(device_id="dev-a", broker=admin_of(secure_mosquitto))
    device_credentials_revoke(device_id="never-had-any", broker=admin_of(secure_mosquitto))


def test_the_ingest_and_device_accounts_survive_a_broker_restart(
    request, secure_mosquitto, secure_subprocess_env, tmp_path
):
    ingest = start_ingest(
        request, secure_subprocess_env, tmp_path / "ingest.log", MQTT_SHARED_GROUP="autoforge"
    )
    assert "Subscribed to $share/autoforge/sensors/+/data" in ingest.log()
    password = issue(secure_mosquitto, "press-1")
    before = open_session(request, secure_mosquitto, "press-1", password)
    assert str(before.publish("sensors/press-1/data", reading_payload(1))) == "Success"
    wait_until(lambda: stored("press-1") == 1, what="the first reading")

    secure_mosquitto.stop()
    secure_mosquitto.start()

    subscribed = "Subscribed to $share/autoforge/sensors/+/data"
    wait_until(lambda: ingest.log().count(subscribed) == 2, what="the ingest back, as itself")
    after = open_session(request, secure_mosquitto, "press-1", password)
    assert str(after.publish("sensors/press-1/data", reading_payload(2))) == "Success"
    wait_until(lambda: stored("press-1") == 2, what="the reading after the restart")
