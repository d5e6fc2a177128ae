"""The semantics table of contract §3, on the plain state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alarms.conditions import Condition, Track

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def events(condition: Condition, values: list[tuple[float, float]], track: Track | None = None):
    track = track or Track()
    track.run(condition, [(at(s), v) for s, v in values])
    return [(kind, (when - T0).total_seconds(), value) for kind, when, value in track.events]


HOT = Condition(operator=">", threshold=80.0, clear=80.0, for_seconds=0)


def test_for_seconds_zero_raises_at_the_first_reading_that_satisfies():
    assert events(HOT, [(0, 79), (1, 81)]) == [("raised", 1, 81)]


def test_the_threshold_itself_does_not_satisfy_a_strict_operator():
    assert events(HOT, [(0, 80)]) == []
    at_least = Condition(operator=">=", threshold=80.0, clear=80.0, for_seconds=0)
    assert events(at_least, [(0, 80)]) == [("raised", 0, 80)]


def test_a_duration_met_raises_at_the_reading_that_completes_it():
    condition = Condition(operator=">", threshold=80.0, clear=80.0, for_seconds=10)
    assert events(condition, [(0, 81), (5, 82), (9, 90)]) == []
    assert events(condition, [(0, 81), (5, 82), (10, 83)]) == [("raised", 10, 83)]


def test_a_duration_broken_by_one_reading_starts_again():
    condition = Condition(operator=">", threshold=80.0, clear=80.0, for_seconds=10)
    assert events(condition, [(0, 81), (6, 79), (8, 81), (12, 81)]) == []
    assert events(condition, [(0, 81), (6, 79), (8, 81), (18, 81)]) == [("raised", 18, 81)]


def test_hysteresis_stays_active_between_clear_and_threshold():
    condition = Condition(operator=">", threshold=80.0, clear=70.0, for_seconds=0)
    assert events(condition, [(0, 85), (1, 75), (2, 71), (3, 70)]) == [
        ("raised", 0, 85),
        ("cleared", 3, 70),
    ]


def test_below_operators_mirror_it():
    cold = Condition(operator="<", threshold=5.0, clear=8.0, for_seconds=0)
    assert events(cold, [(0, 6), (1, 4), (2, 7.9), (3, 8)]) == [
        ("raised", 1, 4),
        ("cleared", 3, 8),
    ]


def test_it_raises_again_after_a_clear():
    assert events(HOT, [(0, 81), (1, 79), (2, 82)]) == [
        ("raised", 0, 81),
        ("cleared", 1, 79),
        ("raised", 2, 82),
    ]


def test_one_alarm_at_a_time_keeps_the_worst_value():
    track = Track()
    assert events(HOT, [(0, 81), (1, 95), (2, 90)], track) == [("raised", 0, 81)]
    assert track.active
    assert track.worst == 95


def test_a_pending_run_carries_over_between_batches():
    condition = Condition(operator=">", threshold=80.0, clear=80.0, for_seconds=10)
    first = Track().run(condition, [(at(0), 81), (at(4), 81)])
    assert first.breach_since == at(0)
    assert not first.events
    second = Track(breach_since=first.breach_since).run(condition, [(at(10), 81)])
    assert [kind for kind, _, _ in second.events] == ["raised"]


@pytest.mark.parametrize("operator", [">", ">=", "<", "<="])
def test_a_clearing_reading_never_raises_in_the_same_step(operator):
    condition = Condition(operator=operator, threshold=50.0, clear=50.0, for_seconds=0)
    bad, good = (60.0, 40.0) if operator.startswith(">") else (40.0, 60.0)
    track = Track().run(condition, [(at(0), bad), (at(1), good)])
    assert [kind for kind, _, _ in track.events] == ["raised", "cleared"]


@pytest.mark.parametrize(
    ("operator", "low", "high", "expected"),
    [
        (">", 10, 80, False),
        (">", 10, 80.5, True),
        (">=", 10, 80, True),
        ("<", 80, 95, False),
        ("<", 79.9, 95, True),
        ("<=", 80, 95, True),
    ],
)
def test_a_whole_batch_is_judged_by_its_extremes(operator, low, high, expected):
    condition = Condition(operator=operator, threshold=80.0, clear=80.0, for_seconds=0)
    assert condition.holds_for_some(low, high) is expected
