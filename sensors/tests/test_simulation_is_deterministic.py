from __future__ import annotations

from sensors.simulation import Fleet, device_ids, sensor_topic
from sensors.tests.simulation_helpers import fleet_run


def test_the_same_seed_gives_the_same_readings() -> None:
    assert fleet_run(3, 200, seed=42) == fleet_run(3, 200, seed=42)


def test_the_same_seed_gives_the_same_anomalies() -> None:
    first = fleet_run(3, 500, seed=42, anomaly_rate=0.02)
    assert first == fleet_run(3, 500, seed=42, anomaly_rate=0.02)


def test_another_seed_gives_other_readings() -> None:
    assert fleet_run(3, 50, seed=1) != fleet_run(3, 50, seed=2)


def test_every_device_has_a_character_of_its_own() -> None:
    first, second = Fleet(2, seed=5).devices
    assert first.rated_power != second.rated_power
    assert first.base_temperature != second.base_temperature


def test_device_ids_are_numbered_from_sim_001() -> None:
    assert device_ids(3) == ["sim-001", "sim-002", "sim-003"]
    assert device_ids(1000)[-1] == "sim-1000"


def test_the_topic_is_the_sensor_topic_with_the_device_id() -> None:
    assert sensor_topic("sensors/+/data", "sim-002") == "sensors/sim-002/data"
    assert sensor_topic("plant/a/+", "sim-001") == "plant/a/sim-001"
