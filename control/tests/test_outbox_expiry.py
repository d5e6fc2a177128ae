"""Commands without an answer expire after COMMAND_TTL_SECONDS, and are not published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from control.models import Command
from control.services import command_create

pytestmark = pytest.mark.django_db


def overdue_command() -> Command:
    return command_create(
        device_id="dev-1",
        command="reboot",
        ttl_seconds=60,
        now=timezone.now() - timedelta(seconds=61),
    )


def test_an_overdue_pending_command_expires_without_being_published(outbox, publish):
    command = overdue_command()

    outbox.tick(publish)

    command.refresh_from_db()
    assert command.status == Command.Status.EXPIRED
    assert publish.calls == []


def test_an_overdue_sent_command_expires(outbox, publish):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)
    outbox.on_published(1)
    Command.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    outbox.tick(publish)

    command.refresh_from_db()
    assert command.status == Command.Status.EXPIRED


def test_commands_expire_while_disconnected(outbox):
    command = overdue_command()

    outbox.tick(None)

    command.refresh_from_db()
    assert command.status == Command.Status.EXPIRED


def test_a_finished_command_does_not_expire(outbox, publish):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)
    outbox.on_answer("control/dev-1/ack", b'{"id": %d, "status": "error"}' % command.id)
    Command.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    outbox.tick(publish)

    command.refresh_from_db()
    assert command.status == Command.Status.FAILED


def test_an_answer_after_expiry_is_ignored(outbox, publish, caplog):
    command = overdue_command()
    outbox.tick(publish)

    outbox.on_answer("control/dev-1/ack", b'{"id": %d, "status": "ok"}' % command.id)

    command.refresh_from_db()
    assert command.status == Command.Status.EXPIRED
    assert "already finished" in caplog.text
