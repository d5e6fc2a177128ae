"""Through the real ingest: no answer from a device, whatever its bytes, stalls the stream.

Each bad answer is dead-lettered and acknowledged (a restart does not bring
it back), changes no command, and readings keep being stored around it.
"""

from __future__ import annotations

import pytest

from control.tests.integration import running_ingest, wait_for_status, wait_until
from sensors.models import DeadLetter, SensorReading
from sensors.tests.database_refusals import refusing_command_details_containing
from sensors.tests.ingest_process import Publisher, readings

pytestmark = pytest.mark.django_db(transaction=True)

BAD_ANSWERS = [
    b'{"id": %(id)d, "status": "ok", "detail": NaN}',
    b'{"id": %(id)d, "status": "ok", "detail": Infinity}',
    b'{"id": %(id)d, "status": "ok", "detail": -Infinity}',
    b'{"id": %(id)d, "status": "ok", "detail": 1e309}',
    b'{"id": %(id)d, "status": "ok", "detail": {"t": NaN}}',
    b'{"id": %(id)d, "status": "ok", "detail": "\\ud800"}',
    b'{"id": %(id)d, "status": "ok", "detail": {"\\udfff": 1}}',
    b'{"id": %(id)d, "status": "ok", "detail": "\xed\xa0\x80"}',
    b'{"id": "%(id)d", "status": "error"}',
    b'{"id": %(id)d, "status": "error", "detail": "a\\u0000b"}',
    b'{"id": %(other)d, "status": "ok"}',
]


def send_command(api, device) -> int:
    command_id = api.post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    ).json()["id"]
    assert device.next_command()["id"] == command_id
    wait_for_status(command_id, "sent")
    return command_id


def test_bad_answers_are_dead_lettered_and_readings_keep_flowing(
    request, api, device, mosquitto, ingest_env, tmp_path
):
    publisher = Publisher(mosquitto.host, mosquitto.port)
    request.addfinalizer(publisher.close)
    log = tmp_path / "ingest.log"
    with running_ingest(ingest_env, log):
        command_id = send_command(api, device)
        for template in BAD_ANSWERS:
            device.answer(template % {b"id": command_id, b"other": command_id + 1000})
        publisher.publish(readings(300))

        wait_until(lambda: SensorReading.objects.count() == 300, what="300 readings")
        wait_until(lambda: DeadLetter.objects.count() == len(BAD_ANSWERS), what="dead letters")
        assert api.get(f"/api/control/{command_id}").json()["status"] == "sent"

        device.answer({"id": command_id, "status": "ok", "detail": {"uptime": 7}})
        command = wait_for_status(command_id, "acknowledged")
        assert command.detail == {"uptime": 7}

    assert {letter.topic for letter in DeadLetter.objects.all()} == {"control/dev-1/ack"}
    reasons = " | ".join(DeadLetter.objects.values_list("reason", flat=True))
    assert "not valid UTF-8 JSON" in reasons
    assert "JSON integer" in reasons
    assert "NUL" in reasons
    assert "unknown command" in reasons

    with running_ingest(ingest_env, log) as again:  # acknowledged: nothing comes back
        publisher.publish(readings(10, start=1000))
        wait_until(lambda: SensorReading.objects.count() == 310, what="10 more readings")
        assert again.running
    assert DeadLetter.objects.count() == len(BAD_ANSWERS)


def test_an_answer_the_database_refuses_is_dead_lettered_after_three_attempts(
    request, api, device, mosquitto, ingest_env, tmp_path
):
    publisher = Publisher(mosquitto.host, mosquitto.port)
    request.addfinalizer(publisher.close)
    with running_ingest(ingest_env, tmp_path / "ingest.log") as ingest:
        command_id = send_command(api, device)
        with refusing_command_details_containing("poison"):
            device.answer({"id": command_id, "status": "ok", "detail": "poison"})
            publisher.publish(readings(200))
            letter = wait_until(
                lambda: DeadLetter.objects.filter(reason__contains="after 3 attempts").first(),
                what="the refused answer in the dead letters",
            )
            wait_until(lambda: SensorReading.objects.count() == 200, what="200 readings")
        assert ingest.running
        assert letter.topic == "control/dev-1/ack"
        assert "poison" in letter.payload
        assert api.get(f"/api/control/{command_id}").json()["status"] == "sent"

        device.answer({"id": command_id, "status": "ok"})
        wait_for_status(command_id, "acknowledged")
