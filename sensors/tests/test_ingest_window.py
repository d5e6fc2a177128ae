from __future__ import annotations

import threading

from sensors.ingest import IntakeWindow, topic_matches


def test_the_window_gives_places_up_to_its_limit():
    window = IntakeWindow(2)

    assert window.acquire(timeout=0)
    assert window.acquire(timeout=0)
    assert not window.acquire(timeout=0.01)
    assert window.used == 2


def test_a_waiter_gets_a_place_when_one_is_released():
    window = IntakeWindow(1)
    window.acquire()
    got = threading.Event()

    def wait_for_place():
        if window.acquire(timeout=10):
            got.set()

    waiter = threading.Thread(target=wait_for_place)
    waiter.start()
    window.release(1)
    waiter.join(timeout=10)

    assert got.is_set()


def test_closing_the_window_wakes_waiters_and_refuses_places():
    window = IntakeWindow(1)
    window.acquire()
    results = []
    waiter = threading.Thread(target=lambda: results.append(window.acquire()))
    waiter.start()

    window.close()
    waiter.join(timeout=10)

    assert results == [False]
    assert not window.acquire(timeout=0)


def test_topic_filters_match_like_mqtt():
    assert topic_matches("control/+/ack", "control/dev-1/ack")
    assert not topic_matches("control/+/ack", "control/dev-1/command")
    assert not topic_matches("control/+/ack", "control/a/b/ack")
    assert topic_matches("control/#", "control/a/b")
    assert not topic_matches("sensors/+/data", "sensors/a")
