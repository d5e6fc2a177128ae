"""Several workers share the outbox: one publish at a time, at least once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from control.models import Command
from control.outbox import CommandOutbox
from control.services import command_create
from control.tests.fakes import RecordingPublish

pytestmark = pytest.mark.django_db


def worker() -> CommandOutbox:
    outbox = CommandOutbox(control_topic="control/+/command", ttl_seconds=300)
    outbox.poll_interval = 0
    return outbox


def test_two_workers_do_not_publish_the_same_command():
    first, second = worker(), worker()
    first_publish, second_publish = RecordingPublish(), RecordingPublish()
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)

    first.tick(first_publish)
    second.tick(second_publish)

    assert first_publish.ids == [command.id]
    assert second_publish.ids == []


def test_a_command_whose_worker_died_before_the_puback_is_published_again():
    dead, alive = worker(), worker()
    dead_publish, alive_publish = RecordingPublish(), RecordingPublish()
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    dead.tick(dead_publish)

    # The dead worker's claim lapses.
    Command.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    alive.tick(alive_publish)
    alive.on_published(1)

    command.refresh_from_db()
    assert alive_publish.ids == [command.id]
    assert command.status == Command.Status.SENT
    assert command.publish_count == 2


def test_a_late_puback_of_the_first_copy_changes_nothing(outbox, publish):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)
    outbox.on_answer("control/dev-1/ack", b'{"id": %d, "status": "ok"}' % command.id)

    assert outbox.on_published(1) is True

    command.refresh_from_db()
    assert command.status == Command.Status.ACKNOWLEDGED


def test_a_command_in_flight_when_the_connection_drops_is_published_again(outbox, publish):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)

    outbox.on_disconnect()
    outbox.tick(publish)

    assert publish.ids == [command.id, command.id]


def test_the_puback_of_either_copy_marks_the_command_sent(outbox, publish):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)
    outbox.on_disconnect()
    outbox.tick(publish)

    outbox.on_published(1)  # the client resent its own copy after reconnecting
    outbox.on_published(2)

    command.refresh_from_db()
    assert command.status == Command.Status.SENT
