from __future__ import annotations

import json
from datetime import timedelta

from sensors.simulation import sensor_topic
from sensors.tests.simulation_helpers import START, fleet_run
from sensors.validation import Reading, reading_from_message


def test_every_simulated_payload_is_a_valid_reading() -> None:
    for simulated in fleet_run(5, 1000, anomaly_rate=0.02):
        reading = reading_from_message(
            sensor_topic("sensors/+/data", simulated.device_id),
            simulated.payload(),
            now=START + timedelta(hours=1),
        )
        assert isinstance(reading, Reading), reading
        assert reading.device_id == simulated.device_id
        assert reading.timestamp == simulated.timestamp
        assert reading.temperature == simulated.temperature
        assert reading.power == simulated.power


def test_the_payload_has_exactly_the_keys_of_the_contract() -> None:
    document = json.loads(fleet_run(1, 1)[0].payload())
    assert set(document) == {"temperature", "vibration", "gas", "power", "timestamp"}
    assert document["timestamp"] == "2026-03-02T00:00:00.000000"
