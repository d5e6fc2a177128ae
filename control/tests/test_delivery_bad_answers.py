"""Through the real ingest: answers that are not valid are logged, dead-lettered and ignored."""

from __future__ import annotations

import pytest

from control.tests.integration import running_ingest, wait_for_status, wait_until
from sensors.models import DeadLetter

pytestmark = pytest.mark.django_db(transaction=True)


def test_bad_answers_are_logged_and_ignored_and_a_good_one_still_counts(
    api, device, ingest_env, tmp_path
):
    with running_ingest(ingest_env, tmp_path / "ingest.log") as ingest:
        command_id = api.post(
            "/api/control", {"device_id": "dev-1", "command": "reboot"}, format="json"
        ).json()["id"]
        assert device.next_command()["id"] == command_id
        wait_for_status(command_id, "sent")

        device.answer(b"{not json")
        device.answer({"id": command_id + 1000, "status": "ok"})
        device.answer({"id": command_id, "status": "ok"}, device_id="dev-2")
        device.answer({"id": command_id, "status": "maybe"})
        wait_until(lambda: ingest.log().count("Ignored answer") >= 4)

        log = ingest.log()
        assert "WARNING" in log
        assert "not valid UTF-8 JSON" in log
        assert "unknown command" in log
        assert "another device" in log
        assert api.get(f"/api/control/{command_id}").json()["status"] == "sent"
        wait_until(lambda: DeadLetter.objects.filter(topic__startswith="control/").count() == 4)

        device.answer({"id": command_id, "status": "ok"})
        wait_for_status(command_id, "acknowledged")
        assert ingest.running
