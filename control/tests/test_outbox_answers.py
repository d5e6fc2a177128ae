"""A device's answer finishes its command; anything else is logged and ignored."""

from __future__ import annotations

import logging

import pytest

from control.models import Command
from control.services import command_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(outbox, publish) -> Command:
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)
    outbox.on_published(publish.next_mid - 1)
    return command


def answer(command_id, status="ok", detail=None) -> bytes:
    import json

    return json.dumps({"id": command_id, "status": status, "detail": detail}).encode()


def test_an_ok_answer_acknowledges_the_command(outbox, sent):
    outbox.on_answer("control/dev-1/ack", answer(sent.id, "ok", {"uptime": 3}))

    sent.refresh_from_db()
    assert sent.status == Command.Status.ACKNOWLEDGED
    assert sent.detail == {"uptime": 3}
    assert sent.acknowledged_at is not None


def test_an_error_answer_fails_the_command(outbox, sent):
    outbox.on_answer("control/dev-1/ack", answer(sent.id, "error", "valve stuck"))

    sent.refresh_from_db()
    assert sent.status == Command.Status.FAILED
    assert sent.detail == "valve stuck"


def test_an_answer_that_overtakes_the_puback_still_counts(outbox, publish):
    command = command_create(device_id="dev-1", command="reboot", ttl_seconds=300)
    outbox.tick(publish)

    outbox.on_answer("control/dev-1/ack", answer(command.id))
    outbox.on_published(1)

    command.refresh_from_db()
    assert command.status == Command.Status.ACKNOWLEDGED
    assert command.sent_at is not None


def test_a_second_answer_does_not_change_a_finished_command(outbox, sent, caplog):
    outbox.on_answer("control/dev-1/ack", answer(sent.id, "ok"))

    with caplog.at_level(logging.WARNING, logger="control.outbox"):
        outbox.on_answer("control/dev-1/ack", answer(sent.id, "error"))

    sent.refresh_from_db()
    assert sent.status == Command.Status.ACKNOWLEDGED
    assert "already finished" in caplog.text


def test_an_answer_for_an_unknown_command_is_logged_and_ignored(outbox, sent, caplog):
    with caplog.at_level(logging.WARNING, logger="control.outbox"):
        outbox.on_answer("control/dev-1/ack", answer(sent.id + 1000))

    assert "unknown command" in caplog.text
    sent.refresh_from_db()
    assert sent.status == Command.Status.SENT


def test_an_answer_from_another_device_is_logged_and_ignored(outbox, sent, caplog):
    with caplog.at_level(logging.WARNING, logger="control.outbox"):
        outbox.on_answer("control/dev-2/ack", answer(sent.id))

    assert "another device" in caplog.text
    sent.refresh_from_db()
    assert sent.status == Command.Status.SENT


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"status": "ok"}',
        b'{"id": "seven", "status": "ok"}',
        b'{"id": true, "status": "ok"}',
        b'{"id": 99999999999999999999999, "status": "ok"}',
        b'{"id": 1, "status": "done"}',
        b"[" * 100_000,
        b'{"id": 1.0, "status": "ok"}',
        b'{"id": 1, "status": "ok", "detail": NaN}',
        b'{"id": 1, "status": "ok", "detail": Infinity}',
        b'{"id": 1, "status": "ok", "detail": 1e309}',
        b'{"id": 1, "status": "ok", "detail": {"t": NaN}}',
        b'{"id": 1, "status": "ok", "detail": "\\ud800"}',
        b'{"id": 1, "status": "ok", "detail": {"\\udfff": 1}}',
        b'{"id": 1, "status": "ok", "detail": "\xed\xa0\x80"}',
        b'{"id": 1, "status": "ok", "detail": "a\\u0000"}',
        b'{"id": 1, "status": "ok", "detail": "%s"}' % (b"x" * 1100),
        b'{"id": 1, "status": "ok", "detail": %s}' % (b"[" * 40 + b"]" * 40),
    ],
)
def test_a_malformed_answer_is_logged_and_ignored(outbox, sent, caplog, payload):
    payload = payload.replace(b'"id": 1,', b'"id": %d,' % sent.id)
    with caplog.at_level(logging.WARNING, logger="control.outbox"):
        reason = outbox.on_answer("control/dev-1/ack", payload)

    assert "Ignored answer on control/dev-1/ack" in caplog.text
    assert reason
    assert "unknown command" not in reason
    sent.refresh_from_db()
    assert sent.status == Command.Status.SENT


def test_an_answer_on_a_topic_with_a_bad_device_id_is_ignored(outbox, sent, caplog):
    with caplog.at_level(logging.WARNING, logger="control.outbox"):
        outbox.on_answer("control/dev 1/ack", answer(sent.id))

    assert "device id" in caplog.text


def test_a_quoted_id_does_not_count(outbox, sent):
    reason = outbox.on_answer("control/dev-1/ack", b'{"id": "%d", "status": "error"}' % sent.id)

    assert "JSON integer" in reason
    sent.refresh_from_db()
    assert sent.status == Command.Status.SENT


def test_it_says_why_an_answer_does_not_count_and_nothing_when_it_does(outbox, sent):
    assert "unknown command" in outbox.on_answer("control/dev-1/ack", answer(sent.id + 1000))
    assert "another device" in outbox.on_answer("control/dev-2/ack", answer(sent.id))
    assert outbox.on_answer("control/dev-1/ack", answer(sent.id)) is None
    assert outbox.on_answer("control/dev-1/ack", answer(sent.id)) is None  # a repeat
