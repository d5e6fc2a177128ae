"""The outbox's poll is paced and cheap when there is nothing to do."""

from __future__ import annotations

import pytest

from control.outbox import CommandOutbox
from control.services import command_create

pytestmark = pytest.mark.django_db


def test_an_idle_poll_costs_two_indexed_selects(outbox, publish, django_assert_num_queries):
    with django_assert_num_queries(2):
        outbox.tick(publish)


def test_it_does_not_touch_the_database_between_polls(publish, django_assert_num_queries):
    outbox = CommandOutbox(control_topic="control/+/command", ttl_seconds=300)
    outbox.poll_interval = 3600
    outbox.tick(publish)
    command_create(device_id="dev-1", command="reboot", ttl_seconds=300)

    with django_assert_num_queries(0):
        outbox.tick(publish)

    assert publish.calls == []


def test_a_disconnect_makes_the_next_tick_poll_at_once(publish):
    outbox = CommandOutbox(control_topic="control/+/command", ttl_seconds=300)
    outbox.poll_interval = 3600
    outbox.tick(publish)
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)

    outbox.on_disconnect()
    outbox.tick(publish)

    assert publish.ids == [command.id]
