"""Two ingest workers in one shared group: every command goes out, and only once."""

from __future__ import annotations

import pytest

from control.models import Command
from control.tests.integration import running_ingest, wait_for_status, wait_until
from sensors.models import IngestWorker

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_publish_each_command_once(api, device, ingest_env, tmp_path):
    first = {**ingest_env, "MQTT_SHARED_GROUP": "autoforge", "MQTT_CLIENT_ID": "ingest-a"}
    second = {**ingest_env, "MQTT_SHARED_GROUP": "autoforge", "MQTT_CLIENT_ID": "ingest-b"}
    with (
        running_ingest(first, tmp_path / "a.log"),
        running_ingest(second, tmp_path / "b.log"),
    ):
        wait_until(lambda: IngestWorker.objects.filter(connected=True).count() == 2)
        ids = [
            api.post(
                "/api/control", {"device_id": "dev-1", "command": f"step_{n}"}, format="json"
            ).json()["id"]
            for n in range(10)
        ]

        received = [device.next_command()["id"] for _ in ids]
        for command_id in ids:
            device.answer({"id": command_id, "status": "ok"})
        for command_id in ids:
            wait_for_status(command_id, "acknowledged")

    assert sorted(received) == ids
    assert set(Command.objects.values_list("publish_count", flat=True)) == {1}
