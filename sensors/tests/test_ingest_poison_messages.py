"""A message the database refuses is isolated, tried three times, dead-lettered and acknowledged.

Units without a broker or a database: the fake writers refuse chosen
messages with ``Refused`` (not an outage) or fail entirely (an outage).
"""

from __future__ import annotations

import logging

from sensors.ingest import MAX_ATTEMPTS, RETRY_MAX_SECONDS
from sensors.tests.ingest_fakes import Clock, Writers, make_ingest, payload

POISON = 66.6


def retry(ingest, clock) -> bool:
    clock.now += RETRY_MAX_SECONDS
    return ingest.flush()


def released_mids(ingest) -> list[int]:
    return [entry.mid for entry in ingest.releasable()]


def test_a_poison_reading_inside_a_full_batch_does_not_hold_back_the_others():
    writers, clock = Writers(), Clock()
    writers.poison_temperatures = {POISON}
    ingest = make_ingest(writers, clock, batch_size=100)
    for number in range(100):
        temperature = POISON if number == 37 else 20.0
        ingest.receive("sensors/a/data", payload(number, temperature=temperature), number, 1, 1)

    assert not ingest.flush()

    assert ingest.counters.stored == 99
    assert sorted(r.temperature for b in writers.batches for r in b).count(POISON) == 0
    assert released_mids(ingest) == list(range(37))  # in order, up to the one still trying
    assert ingest.unwritten == 1


def test_a_poison_reading_is_dead_lettered_after_three_attempts_and_then_acknowledged():
    writers, clock = Writers(), Clock()
    writers.poison_temperatures = {POISON}
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1, temperature=POISON), 1, 1, 1)
    ingest.receive("sensors/a/data", payload(2), 2, 1, 1)

    results = [ingest.flush()] + [retry(ingest, clock) for _ in range(MAX_ATTEMPTS - 1)]

    assert results == [False] * (MAX_ATTEMPTS - 1) + [True]
    assert released_mids(ingest) == [1, 2]
    (letter,) = writers.rejected
    assert letter.topic == "sensors/a/data"
    assert letter.payload == payload(1, temperature=POISON)
    assert letter.reason.startswith(f"could not be stored after {MAX_ATTEMPTS} attempts")
    assert "CHECK constraint failed" in letter.reason
    assert ingest.counters.stored == 1
    assert ingest.counters.rejected == 1
    assert ingest.unwritten == 0


def test_readings_that_arrive_while_a_poison_one_waits_are_stored_at_the_next_try():
    writers, clock = Writers(), Clock()
    writers.poison_temperatures = {POISON}
    ingest = make_ingest(writers, clock, batch_size=10)
    ingest.receive("sensors/a/data", payload(0, temperature=POISON), 0, 1, 1)
    ingest.flush()
    for number in range(1, 6):
        ingest.receive("sensors/a/data", payload(number), number, 1, 1)

    retry(ingest, clock)

    assert ingest.counters.stored == 5
    assert released_mids(ingest) == []  # the poison one is at the head, still trying
    retry(ingest, clock)
    assert released_mids(ingest) == [0, 1, 2, 3, 4, 5]


def test_a_reading_that_fails_once_for_a_passing_reason_is_stored_after_all():
    writers, clock = Writers(), Clock()
    writers.poison_temperatures = {POISON}
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1, temperature=POISON), 1, 1, 1)
    assert not ingest.flush()

    writers.poison_temperatures = set()
    assert retry(ingest, clock)

    assert ingest.counters.stored == 1
    assert writers.rejected == []
    assert released_mids(ingest) == [1]


def test_an_outage_is_retried_without_end_and_dead_letters_nothing():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    ingest.receive("control/a/ack", b'{"id": 1, "status": "ok"}', 2, 1, 1)
    writers.failing = ConnectionError("server closed the connection")

    assert not any(retry(ingest, clock) for _ in range(20))
    assert writers.rejected == []
    assert ingest.unwritten == 2

    writers.failing = None
    assert retry(ingest, clock)
    assert ingest.counters.stored == 1
    assert writers.answers == [("control/a/ack", b'{"id": 1, "status": "ok"}')]
    assert released_mids(ingest) == [1, 2]


def test_an_outage_in_the_middle_of_isolating_keeps_the_rest_in_order():
    writers, clock = Writers(), Clock()
    writers.poison_temperatures = {POISON}
    ingest = make_ingest(writers, clock, batch_size=10)
    for number in range(8):
        temperature = POISON if number == 6 else 20.0
        ingest.receive("sensors/a/data", payload(number, temperature=temperature), number, 1, 1)
    real_store = writers.store

    def store_then_go_down(readings):
        if writers.calls >= 2:  # the whole batch failed, then the first half went in
            raise ConnectionError("connection lost")
        return real_store(readings)

    ingest._store = store_then_go_down
    assert not ingest.flush()
    assert ingest.counters.stored == 4
    assert ingest.unwritten == 4

    ingest._store = real_store
    writers.poison_temperatures = set()
    assert retry(ingest, clock)
    stored = [reading.timestamp for batch in writers.batches for reading in batch]
    assert stored == sorted(stored)
    assert ingest.counters.stored == 8
    assert released_mids(ingest) == list(range(8))


def test_a_poison_answer_is_dead_lettered_after_three_attempts_and_others_still_count():
    writers, clock = Writers(), Clock()
    writers.poison_answer_bytes = b"NaN"
    ingest = make_ingest(writers, clock)
    ingest.receive("control/a/ack", b'{"id": 1, "status": "ok", "detail": NaN}', 1, 1, 1)
    ingest.receive("control/a/ack", b'{"id": 2, "status": "ok"}', 2, 1, 1)
    ingest.receive("sensors/a/data", payload(1), 3, 1, 1)

    assert not ingest.flush()
    assert writers.answers == [("control/a/ack", b'{"id": 2, "status": "ok"}')]
    assert ingest.counters.stored == 1

    assert not retry(ingest, clock)
    assert retry(ingest, clock)
    assert [letter.payload for letter in writers.rejected] == [
        b'{"id": 1, "status": "ok", "detail": NaN}'
    ]
    assert released_mids(ingest) == [1, 2, 3]


def test_an_answer_that_does_not_count_is_dead_lettered_at_once():
    writers, clock = Writers(), Clock()
    writers.not_counted = "answer for command 7: unknown command"
    ingest = make_ingest(writers, clock)
    ingest.receive("control/a/ack", b'{"id": 7, "status": "ok"}', 1, 1, 1)

    assert ingest.flush()

    (letter,) = writers.rejected
    assert letter.reason == "answer for command 7: unknown command"
    assert letter.topic == "control/a/ack"
    assert released_mids(ingest) == [1]
    assert ingest.counters.rejected == 1


def test_a_dead_letter_the_database_refuses_is_dropped_after_three_attempts(caplog):
    writers, clock = Writers(), Clock()
    writers.poison_letter_bytes = b"\xff"
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", b"\xff not json", 1, 1, 1)
    ingest.receive("sensors/a/data", b"not json either", 2, 1, 1)

    with caplog.at_level(logging.ERROR, logger="sensors.ingest"):
        assert not ingest.flush()
        assert not retry(ingest, clock)
        assert retry(ingest, clock)

    assert [letter.payload for letter in writers.rejected] == [b"not json either"]
    assert "failed 3 times" in caplog.text
    assert released_mids(ingest) == [1, 2]
    assert ingest.counters.rejected == 2


def test_failing_since_tells_how_long_writes_have_failed():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    writers.failing = ConnectionError("down")

    ingest.flush()
    first = ingest.failing_since
    retry(ingest, clock)

    assert first is not None
    assert ingest.failing_since == first
    writers.failing = None
    retry(ingest, clock)
    assert ingest.failing_since is None
