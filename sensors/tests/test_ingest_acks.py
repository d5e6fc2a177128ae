from __future__ import annotations

from sensors.ingest import AckLedger
from sensors.tests.ingest_fakes import Clock, Writers, make_ingest, payload


def test_nothing_is_acknowledged_before_the_commit():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 7, 1, 1)

    assert ingest.releasable() == []
    ingest.flush()
    assert [(e.mid, e.qos) for e in ingest.releasable()] == [(7, 1)]
    assert ingest.releasable() == []


def test_acknowledgements_follow_the_order_received():
    ledger = AckLedger()
    first, second, third = ledger.add(1, 1, 1), ledger.add(2, 1, 1), ledger.add(3, 1, 1)

    second.done = True
    third.done = True
    assert ledger.release() == []

    first.done = True
    assert [e.mid for e in ledger.release()] == [1, 2, 3]
    assert len(ledger) == 0


def test_a_rejected_message_is_acknowledged_after_its_dead_letter_is_written():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", b"[]", 5, 1, 1)

    ingest.flush()

    assert [e.mid for e in ingest.releasable()] == [5]


def test_an_answer_waits_for_the_readings_received_before_it():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 1, 1, 1)
    ingest.receive("control/a/ack", b"{}", 2, 1, 1)
    writers.failing = RuntimeError("down")

    ingest.flush()

    assert ingest.releasable() == []
    assert ingest.pending == 2


def test_pending_counts_messages_until_they_are_released():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    for mid in range(1, 5):
        ingest.receive("sensors/a/data", payload(mid), mid, 1, 1)
    assert ingest.pending == 4

    ingest.flush()
    released = ingest.releasable()

    assert len(released) == 4
    assert ingest.pending == 0


def test_a_qos0_message_is_released_after_its_commit_too():
    writers, clock = Writers(), Clock()
    ingest = make_ingest(writers, clock)
    ingest.receive("sensors/a/data", payload(1), 0, 0, 1)

    assert ingest.releasable() == []
    ingest.flush()
    assert [e.qos for e in ingest.releasable()] == [0]
