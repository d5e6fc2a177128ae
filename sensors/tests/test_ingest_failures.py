from __future__ import annotations

from sensors.ingest import RETRY_MIN_SECONDS
from sensors.tests.ingest_fakes import Clock, Writers, make_ingest, payload


def test_a_failed_write_keeps_the_batch_and_acknowledges_nothing():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    writers.failing = RuntimeError("database is locked")

    assert not ingest.flush()

    assert ingest.unwritten == 1
    assert ingest.releasable() == []
    assert "database is locked" in ingest.last_error


def test_a_failed_write_is_retried_after_a_growing_delay():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    writers.failing = RuntimeError("down")
    clock.now += 1
    ingest.flush()

    assert not ingest.flush_due()
    clock.now += RETRY_MIN_SECONDS
    assert ingest.flush_due()
    ingest.flush()
    clock.now += RETRY_MIN_SECONDS
    assert not ingest.flush_due()  # the delay doubled
    clock.now += RETRY_MIN_SECONDS
    assert ingest.flush_due()


def test_the_retry_writes_every_message_once_and_acknowledges_in_order():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    ingest.receive("sensors/a/data", b"bad", 2, 1, 1)
    writers.failing = RuntimeError("down")
    ingest.flush()
    ingest.receive("sensors/a/data", payload(2), 3, 1, 1)

    writers.failing = None
    clock.now += 60
    assert ingest.flush()

    assert len(writers.batches) == 1
    first, second = writers.batches[0]
    assert first.timestamp < second.timestamp
    assert [entry.mid for entry in ingest.releasable()] == [1, 2, 3]
    assert ingest.counters.stored == 2
    assert ingest.counters.rejected == 1


def test_an_answer_that_fails_on_the_database_is_retried():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("control/a/ack", b"{}", 1, 1, 1)
    writers.failing = RuntimeError("down")

    assert not ingest.flush()
    assert ingest.releasable() == []

    writers.failing = None
    clock.now += 60
    assert ingest.flush()
    assert [e.mid for e in ingest.releasable()] == [1]
    assert writers.answers == [("control/a/ack", b"{}")]


def test_an_exception_in_validation_becomes_a_rejection(monkeypatch, caplog):
    import sensors.ingest

    def broken(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(sensors.ingest, "reading_from_message", broken)
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)

    ingest.receive("sensors/a/data", payload(), 1, 1, 1)
    ingest.flush()

    assert "ZeroDivisionError" in writers.rejected[0].reason
    assert any(r.exc_info for r in caplog.records)
