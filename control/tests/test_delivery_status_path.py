"""Through the real ingest and broker: pending -> sent -> acknowledged or failed."""

from __future__ import annotations

import pytest

from control.tests.integration import running_ingest, wait_for_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_command_is_delivered_and_acknowledged(api, device, ingest_env, tmp_path):
    with running_ingest(ingest_env, tmp_path / "ingest.log") as ingest:
        response = api.post(
            "/api/control",
            {"device_id": "dev-1", "command": "set_rate", "parameters": {"hz": 10}},
            format="json",
        )
        assert response.status_code == 202
        assert response.json()["status"] == "pending"
        command_id = response.json()["id"]

        received = device.next_command()
        assert received["id"] == command_id
        assert received["command"] == "set_rate"
        assert received["parameters"] == {"hz": 10}
        assert received["issued_at"].endswith("Z")
        wait_for_status(command_id, "sent")

        device.answer({"id": command_id, "status": "ok", "detail": {"rate": 10}})

        wait_for_status(command_id, "acknowledged")
        body = api.get(f"/api/control/{command_id}").json()
        assert body["status"] == "acknowledged"
        assert body["detail"] == {"rate": 10}
        assert body["sent_at"] is not None
        assert body["acknowledged_at"] is not None
        assert ingest.running


def test_a_command_the_device_cannot_carry_out_fails(api, device, ingest_env, tmp_path):
    with running_ingest(ingest_env, tmp_path / "ingest.log"):
        command_id = api.post(
            "/api/control", {"device_id": "dev-1", "command": "open_valve"}, format="json"
        ).json()["id"]
        assert device.next_command()["id"] == command_id

        device.answer({"id": command_id, "status": "error", "detail": "valve stuck"})

        command = wait_for_status(command_id, "failed")
        assert command.detail == "valve stuck"
