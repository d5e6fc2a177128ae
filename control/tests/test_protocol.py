"""The MQTT side of commands, without a database or a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from control.protocol import (
    Answer,
    Rejection,
    ack_topic_filter,
    answer_from_message,
    command_payload,
    command_topic,
)


@pytest.mark.parametrize(
    ("control_topic", "expected"),
    [
        ("control/+/command", "control/+/ack"),
        ("plant/a/+/cmd", "plant/a/+/ack"),
        ("cmd/+", "cmd/+/ack"),
    ],
)
def test_the_ack_filter_replaces_the_last_level_of_the_command_topic(control_topic, expected):
    assert ack_topic_filter(control_topic) == expected


def test_the_command_topic_carries_the_device_id():
    assert command_topic("control/+/command", "dev-1") == "control/dev-1/command"


def test_the_payload_has_the_contract_keys_and_an_iso_utc_time():
    payload = command_payload(
        command_id=7,
        command="set_rate",
        parameters={"hz": 10},
        issued_at=datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC),
    )

    assert json.loads(payload) == {
        "id": 7,
        "command": "set_rate",
        "parameters": {"hz": 10},
        "issued_at": "2026-01-29T14:30:45.123456Z",
    }


def test_a_well_formed_answer_is_parsed():
    result = answer_from_message(
        "control/dev-1/ack",
        b'{"id": 7, "status": "error", "detail": {"code": 3}, "extra": 1}',
        topic_filter="control/+/ack",
    )

    assert result == Answer(device_id="dev-1", command_id=7, ok=False, detail={"code": 3})


def test_the_detail_is_optional():
    result = answer_from_message(
        "control/dev-1/ack", b'{"id": 7, "status": "ok"}', topic_filter="control/+/ack"
    )

    assert result == Answer(device_id="dev-1", command_id=7, ok=True, detail=None)


def test_an_answer_on_another_topic_is_rejected():
    result = answer_from_message(
        "control/dev-1/other", b'{"id": 7, "status": "ok"}', topic_filter="control/+/ack"
    )

    assert isinstance(result, Rejection)


def test_an_oversized_answer_is_rejected():
    payload = json.dumps({"id": 7, "status": "ok", "detail": "x" * 20_000}).encode()

    result = answer_from_message("control/dev-1/ack", payload, topic_filter="control/+/ack")

    assert isinstance(result, Rejection)
    assert "bytes" in result.reason
