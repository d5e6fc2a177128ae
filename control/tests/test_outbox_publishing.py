"""The outbox publishes each pending command once, to its device's topic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from autoforge.timefmt import iso_utc
from control.models import Command
from control.outbox import CommandOutbox
from control.services import command_create

pytestmark = pytest.mark.django_db


def new_command(device_id: str = "dev-1", **kwargs) -> Command:
    kwargs.setdefault("command", "reboot")
    kwargs.setdefault("ttl_seconds", 300)
    return command_create(device_id=device_id, **kwargs)


def test_it_publishes_a_pending_command_to_the_device_topic(outbox, publish):
    command = new_command(parameters={"delay": 5})

    outbox.tick(publish)

    assert publish.calls == [
        (
            "control/dev-1/command",
            {
                "id": command.id,
                "command": "reboot",
                "parameters": {"delay": 5},
                "issued_at": iso_utc(command.created_at),
            },
        )
    ]


def test_it_marks_the_command_sent_when_the_broker_acknowledges_it(outbox, publish):
    command = new_command()
    outbox.tick(publish)

    assert outbox.on_published(1) is True

    command.refresh_from_db()
    assert command.status == Command.Status.SENT
    assert command.sent_at is not None


def test_it_does_not_publish_a_command_twice_while_waiting_for_the_puback(outbox, publish):
    new_command()

    outbox.tick(publish)
    outbox.tick(publish)

    assert len(publish.calls) == 1


def test_it_does_not_publish_a_sent_command_again(outbox, publish):
    new_command()
    outbox.tick(publish)
    outbox.on_published(1)

    outbox.tick(publish)

    assert len(publish.calls) == 1


def test_it_never_publishes_an_acknowledged_command_again(outbox, publish):
    command = new_command()
    outbox.tick(publish)
    outbox.on_answer("control/dev-1/ack", b'{"id": %d, "status": "ok"}' % command.id)
    Command.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))

    outbox.on_disconnect()
    outbox.tick(publish)

    assert len(publish.calls) == 1


def test_it_publishes_oldest_first(outbox, publish):
    first = new_command("a")
    second = new_command("b")

    outbox.tick(publish)

    assert publish.ids == [first.id, second.id]


def test_it_publishes_more_than_one_batch_on_consecutive_ticks(publish):
    outbox = CommandOutbox(control_topic="control/+/command", ttl_seconds=300)
    outbox.batch_size = 2
    commands = [new_command(f"dev-{n}") for n in range(5)]

    for _ in range(3):
        outbox.tick(publish)

    assert publish.ids == [command.id for command in commands]


def test_it_ignores_a_puback_it_did_not_ask_for(outbox, publish):
    assert outbox.on_published(42) is False


def test_it_publishes_nothing_while_disconnected(outbox, publish):
    command = new_command()

    outbox.tick(None)
    outbox.tick(publish)

    assert publish.ids == [command.id]


def test_it_puts_the_device_id_where_the_topic_has_its_plus(publish):
    outbox = CommandOutbox(control_topic="site/+/cmd", ttl_seconds=300)
    new_command("pump.7")

    outbox.tick(publish)

    assert publish.calls[0][0] == "site/pump.7/cmd"
    assert outbox.ack_topic_filter == "site/+/ack"


def test_it_retries_a_command_whose_publish_was_not_queued(outbox, publish):
    command = new_command()
    publish.answer = "none"
    outbox.tick(publish)

    publish.answer = "mid"
    outbox.tick(publish)

    assert publish.ids == [command.id]


def test_it_survives_a_publish_function_that_raises(outbox, publish):
    command = new_command()
    publish.answer = "raise"
    outbox.tick(publish)

    publish.answer = "mid"
    outbox.tick(publish)

    assert publish.ids == [command.id]
