from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sensors.models import DeadLetter
from sensors.services import RejectedMessage, dead_letter_record

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 29, 12, 0, tzinfo=UTC)


def rejected(
    payload: bytes = b"{}", reason: str = "missing 'temperature'", topic: str = "sensors/a/data"
):
    return RejectedMessage(topic=topic, payload=payload, reason=reason, received_at=NOW)


def test_it_records_a_rejected_message():
    dead_letter_record(rejected=[rejected(b'{"gas": 1}')], max_rows=10)

    letter = DeadLetter.objects.get()
    assert letter.topic == "sensors/a/data"
    assert letter.payload == '{"gas": 1}'
    assert letter.payload_size == 10
    assert letter.reason == "missing 'temperature'"
    assert letter.received_at == NOW


def test_it_truncates_a_long_payload_but_keeps_its_size():
    dead_letter_record(rejected=[rejected(b"x" * 16000)], max_rows=10)

    letter = DeadLetter.objects.get()
    assert len(letter.payload) == DeadLetter.PAYLOAD_MAX_CHARS
    assert letter.payload_size == 16000


def test_it_escapes_bytes_that_are_not_utf8_and_nul():
    dead_letter_record(rejected=[rejected(b"\xff\xfe\x00ok")], max_rows=10)

    assert DeadLetter.objects.get().payload == "\\xff\\xfe\\x00ok"


def test_it_cuts_an_overlong_topic_and_reason():
    dead_letter_record(rejected=[rejected(topic="t/" * 400, reason="r" * 400)], max_rows=10)

    letter = DeadLetter.objects.get()
    assert len(letter.topic) <= 512
    assert len(letter.reason) <= 255


def test_it_prunes_the_oldest_beyond_the_maximum():
    dead_letter_record(rejected=[rejected(reason=f"first {i}") for i in range(5)], max_rows=6)

    pruned = dead_letter_record(
        rejected=[rejected(reason=f"second {i}") for i in range(3)], max_rows=6
    )

    assert pruned == 2
    reasons = list(DeadLetter.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == ["first 2", "first 3", "first 4", "second 0", "second 1", "second 2"]
