"""A command is claimed by one publisher at a time, and only while it may go out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from control.models import Command
from control.selectors import commands_to_publish
from control.services import command_claim, command_create, command_mark_sent, commands_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def command() -> Command:
    return command_create(device_id="dev-1", command="reboot", ttl_seconds=300)


def test_a_second_claim_fails_while_the_first_holds(command):
    now = timezone.now()

    assert command_claim(command_id=command.id, now=now, lease_seconds=30) is True
    assert command_claim(command_id=command.id, now=now, lease_seconds=30) is False
    assert commands_to_publish(now=now, limit=10) == []


def test_a_lapsed_claim_can_be_taken_again(command):
    now = timezone.now()
    command_claim(command_id=command.id, now=now, lease_seconds=30)

    later = now + timedelta(seconds=31)

    assert commands_to_publish(now=later, limit=10) == [command]
    assert command_claim(command_id=command.id, now=later, lease_seconds=30) is True


def test_a_released_claim_can_be_taken_at_once(command):
    now = timezone.now()
    command_claim(command_id=command.id, now=now, lease_seconds=30)

    commands_release(command_ids=[command.id])

    assert command_claim(command_id=command.id, now=now, lease_seconds=30) is True


def test_a_sent_command_cannot_be_claimed(command):
    now = timezone.now()
    command_claim(command_id=command.id, now=now, lease_seconds=30)
    command_mark_sent(command_id=command.id, now=now)

    later = now + timedelta(seconds=60)

    assert command_claim(command_id=command.id, now=later, lease_seconds=30) is False


def test_an_expired_command_cannot_be_claimed(command):
    assert command_claim(command_id=command.id, now=command.expires_at, lease_seconds=30) is False


def test_only_the_first_puback_marks_a_command_sent(command):
    now = timezone.now()

    assert command_mark_sent(command_id=command.id, now=now) is True
    assert command_mark_sent(command_id=command.id, now=now + timedelta(seconds=1)) is False
    command.refresh_from_db()
    assert command.sent_at == now
