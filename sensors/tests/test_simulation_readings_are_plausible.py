from __future__ import annotations

import statistics
from itertools import pairwise

from sensors.simulation import LOAD_LEVELS
from sensors.tests.simulation_helpers import device_run, fleet_run


def test_every_metric_stays_in_a_range_a_machine_shows() -> None:
    readings = fleet_run(10, 2000)
    for reading in readings:
        assert 10 < reading.temperature < 45
        assert 0 < reading.vibration < 60
        assert 300 < reading.gas < 1300
        assert 0 <= reading.power < 450


def test_the_temperature_follows_the_time_of_day() -> None:
    # Ten days of readings every 10 minutes: afternoons are warmer than nights.
    readings = device_run(10 * 144, step_seconds=600)
    afternoon = [r.temperature for r in readings if 13 <= r.timestamp.hour < 17]
    night = [r.temperature for r in readings if 1 <= r.timestamp.hour < 5]
    assert statistics.mean(afternoon) - statistics.mean(night) > 2.5


def test_the_temperature_is_noisy() -> None:
    readings = device_run(100, step_seconds=1)
    steps = {round(b.temperature - a.temperature, 2) for a, b in pairwise(readings)}
    assert len(steps) > 20


def test_vibration_spikes_now_and_then() -> None:
    readings = device_run(3000, step_seconds=1)
    median = statistics.median(r.vibration for r in readings)
    spikes = [r for r in readings if r.vibration > 1.7 * median]
    assert 0.005 * len(readings) < len(spikes) < 0.05 * len(readings)


def test_gas_drifts_slowly() -> None:
    readings = device_run(3000, step_seconds=1)
    steps = [abs(b.gas - a.gas) for a, b in pairwise(readings)]
    assert max(steps) < 15
    assert max(r.gas for r in readings) - min(r.gas for r in readings) > 10


def test_power_moves_in_steps_as_the_load_changes() -> None:
    readings = device_run(3000, step_seconds=1)
    steps = [abs(b.power - a.power) for a, b in pairwise(readings)]
    rated = max(r.power for r in readings) / max(LOAD_LEVELS)
    jumps = [step for step in steps if step > 0.2 * rated]
    # About one change a minute; in between, within a few percent.
    assert 20 < len(jumps) < 100
    assert statistics.median(steps) < 0.03 * rated


def test_without_the_option_no_reading_is_an_anomaly() -> None:
    assert all(reading.anomaly is None for reading in fleet_run(5, 2000))
