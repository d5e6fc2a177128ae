"""Through the real ingest: commands created during an outage go out afterwards."""

from __future__ import annotations

import pytest

from control.models import Command
from control.tests.integration import running_ingest, wait_for_status, wait_until
from sensors.models import IngestWorker
from sensors.tests.ingest_process import IngestProcess

pytestmark = pytest.mark.django_db(transaction=True)


def connected() -> bool:
    return IngestWorker.objects.filter(connected=True).exists()


def test_a_command_created_while_the_broker_is_down_goes_out_when_it_is_back(
    api, device, ingest_env, mosquitto, tmp_path
):
    with running_ingest(ingest_env, tmp_path / "ingest.log") as ingest:
        wait_until(connected)
        mosquitto.stop()
        wait_until(lambda: not connected())

        response = api.post(
            "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
        )
        assert response.status_code == 202
        command_id = response.json()["id"]

        mosquitto.start()

        assert device.next_command()["id"] == command_id
        wait_for_status(command_id, "sent")
        device.answer({"id": command_id, "status": "ok"})
        wait_for_status(command_id, "acknowledged")
        assert ingest.running


def test_commands_created_while_the_ingest_is_stopped_go_out_when_it_starts(
    api, device, ingest_env, tmp_path
):
    ids = [
        api.post("/api/control", {"device_id": "dev-1", "command": name}, format="json").json()[
            "id"
        ]
        for name in ("first", "second")
    ]

    with running_ingest(ingest_env, tmp_path / "ingest.log"):
        assert [device.next_command()["id"] for _ in ids] == ids
        for command_id in ids:
            wait_for_status(command_id, "sent")


def test_a_restarted_ingest_sends_what_is_pending_and_nothing_already_answered(
    api, device, ingest_env, tmp_path
):
    ingest = IngestProcess(ingest_env, tmp_path / "ingest.log")
    try:
        ingest.start()
        answered = api.post(
            "/api/control", {"device_id": "dev-1", "command": "first"}, format="json"
        ).json()["id"]
        assert device.next_command()["id"] == answered
        device.answer({"id": answered, "status": "ok"})
        wait_for_status(answered, "acknowledged")
        assert ingest.stop() == 0

        pending = api.post(
            "/api/control", {"device_id": "dev-1", "command": "second"}, format="json"
        ).json()["id"]
        assert Command.objects.get(id=pending).status == "pending"
        ingest.start()

        assert device.next_command()["id"] == pending
        wait_for_status(pending, "sent")
    finally:
        ingest.stop()
    assert device.commands.empty()  # "first" was not published again
