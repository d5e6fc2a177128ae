from __future__ import annotations

from sensors.tests.ingest_fakes import Clock, Writers, make_ingest, payload


def test_a_batch_is_due_when_it_reaches_its_size():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock, batch_size=3)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    ingest.receive("sensors/a/data", payload(2), 2, 1, 1)
    assert not ingest.flush_due()

    ingest.receive("sensors/a/data", payload(3), 3, 1, 1)

    assert ingest.flush_due()


def test_a_batch_is_due_when_its_oldest_message_reaches_the_age():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock, max_age=0.25)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    clock.now += 0.125
    ingest.receive("sensors/a/data", payload(2), 2, 1, 1)
    assert not ingest.flush_due()
    assert ingest.next_flush_at() == 1000.25

    clock.now += 0.125

    assert ingest.flush_due()


def test_nothing_is_due_without_messages():
    ingest = make_ingest(Writers(), Clock())

    assert not ingest.flush_due()
    assert ingest.next_flush_at() is None


def test_flush_writes_the_readings_in_one_batch_and_counts_them():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    for i in range(3):
        ingest.receive(f"sensors/d{i}/data", payload(i), i + 1, 1, 1)

    assert ingest.flush()

    assert [r.device_id for r in writers.batches[0]] == ["d0", "d1", "d2"]
    assert ingest.counters.received == 3
    assert ingest.counters.stored == 3
    assert ingest.unwritten == 0
    assert not ingest.flush_due()


def test_duplicates_are_counted():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    ingest.receive("sensors/a/data", payload(1), 2, 1, 1)

    ingest.flush()

    assert (ingest.counters.stored, ingest.counters.duplicates) == (1, 1)


def test_a_rejected_message_goes_to_the_dead_letters_with_its_reason(caplog):
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)

    ingest.receive("sensors/a/data", b"not json", 1, 1, 1)
    ingest.flush()

    assert [m.topic for m in writers.rejected] == ["sensors/a/data"]
    assert "not valid JSON" in writers.rejected[0].reason
    assert writers.rejected[0].payload == b"not json"
    assert ingest.counters.rejected == 1
    assert writers.batches == []
    warning = next(r for r in caplog.records if r.levelname == "WARNING")
    assert "sensors/a/data" in warning.getMessage()
    assert "not valid JSON" in warning.getMessage()


def test_a_message_on_the_answer_topic_goes_to_the_outbox():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)

    ingest.receive("control/a/ack", b'{"id": 1, "status": "ok"}', 1, 1, 1)

    assert ingest.flush_due()  # answers do not wait for the batch age
    ingest.flush()
    assert writers.answers == [("control/a/ack", b'{"id": 1, "status": "ok"}')]
    assert writers.rejected == []


def test_without_an_outbox_an_answer_topic_message_is_rejected():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock, answer=None)

    ingest.receive("control/a/ack", b"{}", 1, 1, 1)
    ingest.flush()

    assert len(writers.rejected) == 1
