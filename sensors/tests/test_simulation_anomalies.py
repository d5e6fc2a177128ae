from __future__ import annotations

from itertools import pairwise

from sensors.simulation import ANOMALY_KINDS
from sensors.tests.simulation_helpers import device_run, fleet_run


def test_anomalies_appear_only_with_the_option() -> None:
    assert not any(r.anomaly for r in fleet_run(5, 2000, anomaly_rate=0.0))
    assert any(r.anomaly for r in fleet_run(5, 2000, anomaly_rate=0.005))


def test_every_kind_of_anomaly_occurs() -> None:
    kinds = {r.anomaly for r in fleet_run(5, 3000, anomaly_rate=0.01)}
    assert kinds == {*ANOMALY_KINDS, None}


def test_anomalies_leave_the_other_readings_as_they_were() -> None:
    normal = device_run(3000, step_seconds=1)
    anomalous = device_run(3000, step_seconds=1, anomaly_rate=0.01)
    for plain, reading in zip(normal, anomalous, strict=True):
        if reading.anomaly is None:
            assert reading == plain
        else:
            assert reading.power == plain.power


def test_anomalies_cross_what_a_threshold_would_catch() -> None:
    normal = device_run(5000, step_seconds=1)
    anomalous = device_run(5000, step_seconds=1, anomaly_rate=0.01)
    peaks = {kind: 0.0 for kind in ANOMALY_KINDS}
    metric = {"temperature_excursion": "temperature", "vibration_burst": "vibration"}
    for plain, reading in zip(normal, anomalous, strict=True):
        if reading.anomaly:
            name = metric.get(reading.anomaly, "gas")
            peaks[reading.anomaly] = max(
                peaks[reading.anomaly], getattr(reading, name) - getattr(plain, name)
            )
    assert peaks["temperature_excursion"] > 10
    assert peaks["vibration_burst"] > 20
    assert peaks["gas_leak"] > 500


def test_an_anomaly_lasts_several_readings() -> None:
    readings = device_run(3000, step_seconds=1, anomaly_rate=0.01)
    flags = [r.anomaly is not None for r in readings]
    starts = sum(1 for a, b in pairwise([False, *flags]) if b and not a)
    assert sum(flags) / starts >= 5
