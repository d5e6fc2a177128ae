"""Runs of the simulated fleet for the tests of ``sensors.simulation``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sensors.simulation import DeviceModel, Fleet, SimulatedReading

START = datetime(2026, 3, 2, tzinfo=UTC)  # midnight UTC


def device_run(
    count: int, *, seed: int = 7, step_seconds: float = 60.0, anomaly_rate: float = 0.0
) -> list[SimulatedReading]:
    """``count`` readings of ``sim-001``, ``step_seconds`` apart from ``START``."""
    device = DeviceModel("sim-001", seed=seed, anomaly_rate=anomaly_rate)
    return [
        device.reading_at(START + timedelta(seconds=step_seconds * number))
        for number in range(count)
    ]


def fleet_run(
    devices: int, count: int, *, seed: int = 7, anomaly_rate: float = 0.0
) -> list[SimulatedReading]:
    fleet = Fleet(devices, seed=seed, anomaly_rate=anomaly_rate)
    readings: list[SimulatedReading] = []
    for number in range(count):
        readings += fleet.readings_at(START + timedelta(seconds=number))
    return readings
