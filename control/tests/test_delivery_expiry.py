"""Through the real ingest: a command its device never answers expires."""

from __future__ import annotations

import pytest
from django.utils import timezone

from control.models import Command
from control.tests.integration import running_ingest, wait_for_status, wait_until
from sensors.models import IngestWorker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_command_without_an_answer_expires(api, device, ingest_env, tmp_path, settings):
    env = {**ingest_env, "COMMAND_TTL_SECONDS": "5"}
    settings.COMMAND_TTL_SECONDS = 5  # the API process stores the expiry time
    with running_ingest(env, tmp_path / "ingest.log") as ingest:
        wait_until(lambda: IngestWorker.objects.filter(connected=True).exists())
        command_id = api.post(
            "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
        ).json()["id"]
        assert device.next_command()["id"] == command_id

        wait_for_status(command_id, "expired")

        device.answer({"id": command_id, "status": "ok"})  # too late
        wait_until(lambda: "already finished" in ingest.log())
        assert api.get(f"/api/control/{command_id}").json()["status"] == "expired"


def test_a_command_that_expired_while_the_ingest_was_stopped_is_never_sent(
    api, device, ingest_env, tmp_path
):
    command_id = api.post(
        "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
    ).json()["id"]
    Command.objects.filter(id=command_id).update(expires_at=timezone.now())

    with running_ingest(ingest_env, tmp_path / "ingest.log"):
        wait_for_status(command_id, "expired")
        # A later command goes out, and it is the first the device sees.
        later = api.post(
            "/api/control", {"device_id": "dev-1", "command": "ping"}, format="json"
        ).json()["id"]
        assert device.next_command()["id"] == later
    assert device.commands.empty()
