"""Simulated machines for ``manage.py simulate_devices``: pure, no paho, no ORM.

Each device is a small machine with its own character drawn from the seed:
a workshop temperature that follows the time of day, warmed by the load;
vibration that follows the load with an occasional spike; a gas level that
drifts slowly; and power in steps as the load changes. Every random walk
draws from a ``random.Random`` seeded with the seed and the device id, so the
same seed and timestamps give the same readings in any process.

Anomalies (``anomaly_rate`` > 0) draw from a generator of their own: the
readings of a run with anomalies are those of the run without, plus the
anomalies.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_ANOMALY_RATE = 0.005  # per reading and device: about one every 200 readings
ANOMALY_KINDS = ("temperature_excursion", "vibration_burst", "gas_leak")

# Load levels of a machine (share of its rated power) and how often it changes
# level: about once a minute at one reading a second.
LOAD_LEVELS = (0.1, 0.4, 0.7, 1.0)
LOAD_CHANGE_PROBABILITY = 1 / 60
SPIKE_PROBABILITY = 0.02
GAS_FLOOR, GAS_CEILING = 350.0, 1200.0


def device_ids(count: int) -> list[str]:
    """``sim-001``, ``sim-002``, ... (more digits past 999)."""
    return [f"sim-{number:03d}" for number in range(1, count + 1)]


def sensor_topic(topic_filter: str, device_id: str) -> str:
    """The topic a device publishes on: ``SENSOR_TOPIC`` with ``+`` replaced by its id."""
    return "/".join(device_id if level == "+" else level for level in topic_filter.split("/"))


@dataclass(frozen=True, slots=True)
class SimulatedReading:
    """One reading of one simulated device; ``anomaly`` names an injected one."""

    device_id: str
    timestamp: datetime  # aware
    temperature: float
    vibration: float
    gas: float
    power: float
    anomaly: str | None = None

    def payload(self) -> bytes:
        """The JSON payload of CONTRACT §2 (timestamp in UTC, without an offset)."""
        timestamp = self.timestamp.astimezone(UTC).replace(tzinfo=None)
        return json.dumps(
            {
                "temperature": self.temperature,
                "vibration": self.vibration,
                "gas": self.gas,
                "power": self.power,
                "timestamp": timestamp.isoformat(timespec="microseconds"),
            }
        ).encode()


@dataclass(slots=True)
class _Anomaly:
    kind: str
    length: int  # readings
    magnitude: float
    age: int = 0

    def envelope(self) -> float:
        """0 → 1 → 0 over the anomaly's length: it builds up and fades."""
        return math.sin(math.pi * (self.age + 1) / (self.length + 1))


class DeviceModel:
    """One simulated machine; ``reading_at`` advances it by one reading."""

    def __init__(self, device_id: str, *, seed: int, anomaly_rate: float = 0.0) -> None:
        self.device_id = device_id
        self.anomaly_rate = anomaly_rate
        self._random = random.Random(f"{seed}:{device_id}")
        self._anomaly_random = random.Random(f"{seed}:{device_id}:anomalies")
        r = self._random
        # The machine's character.
        self.base_temperature = r.uniform(21.0, 27.0)
        self.daily_amplitude = r.uniform(2.0, 4.0)
        self.load_heating = r.uniform(4.0, 8.0)  # °C above ambient at full load
        self.base_vibration = r.uniform(8.0, 14.0)
        self.rated_power = r.uniform(200.0, 400.0)
        self.gas_trend = r.uniform(-0.05, 0.05)  # ppm per reading
        # The state of the random walks.
        self.load = r.choice(LOAD_LEVELS)
        self.heat = self.load * self.load_heating  # lags the load
        self.temperature_walk = 0.0
        self.gas = r.uniform(400.0, 500.0)
        self.anomaly: _Anomaly | None = None

    def reading_at(self, timestamp: datetime) -> SimulatedReading:
        """The next reading, taken at ``timestamp`` (aware)."""
        r = self._random
        if r.random() < LOAD_CHANGE_PROBABILITY:
            self.load = r.choice([level for level in LOAD_LEVELS if level != self.load])
        self.heat += 0.05 * (self.load * self.load_heating - self.heat)
        # Mean-reverting walk: wanders a degree or so, never away for good.
        self.temperature_walk += -0.02 * self.temperature_walk + r.gauss(0.0, 0.15)
        hour = _hour_of_day(timestamp)
        # Warmest mid-afternoon (15:00), coolest at 03:00.
        daily = self.daily_amplitude * math.sin(2 * math.pi * (hour - 9.0) / 24.0)
        temperature = (
            self.base_temperature + daily + self.heat + self.temperature_walk + r.gauss(0.0, 0.2)
        )

        vibration = self.base_vibration * (0.6 + 0.4 * self.load) * r.lognormvariate(0.0, 0.08)
        if r.random() < SPIKE_PROBABILITY:
            vibration *= r.uniform(1.8, 3.0)

        self.gas += self.gas_trend + r.gauss(0.0, 0.8)
        if not GAS_FLOOR <= self.gas <= GAS_CEILING:  # reflect at the bounds
            self.gas = min(max(self.gas, 2 * GAS_FLOOR - self.gas), 2 * GAS_CEILING - self.gas)
            self.gas_trend = -self.gas_trend
        gas = self.gas + r.gauss(0.0, 1.5)

        power = max(0.0, self.rated_power * self.load * (1.0 + r.gauss(0.0, 0.01)))

        anomaly = self._next_anomaly()
        if anomaly is not None:
            shape = anomaly.magnitude * anomaly.envelope()
            if anomaly.kind == "temperature_excursion":
                temperature += shape
            elif anomaly.kind == "vibration_burst":
                vibration *= 1.0 + shape
            else:
                gas += shape
        return SimulatedReading(
            device_id=self.device_id,
            timestamp=timestamp,
            temperature=round(temperature, 2),
            vibration=round(vibration, 2),
            gas=round(gas, 1),
            power=round(power, 1),
            anomaly=anomaly.kind if anomaly is not None else None,
        )

    def _next_anomaly(self) -> _Anomaly | None:
        """The anomaly under way at this reading, starting one now and then."""
        if self.anomaly is not None:
            self.anomaly.age += 1
            if self.anomaly.age >= self.anomaly.length:
                self.anomaly = None
        if self.anomaly is None and self.anomaly_rate > 0:
            r = self._anomaly_random
            if r.random() < self.anomaly_rate:
                kind = r.choice(ANOMALY_KINDS)
                magnitude = {
                    "temperature_excursion": r.uniform(15.0, 25.0),  # °C at the peak
                    "vibration_burst": r.uniform(3.0, 6.0),  # times normal, plus one
                    "gas_leak": r.uniform(800.0, 2000.0),  # ppm at the peak
                }[kind]
                self.anomaly = _Anomaly(kind, r.randint(5, 20), magnitude)
        return self.anomaly


class Fleet:
    """``count`` simulated devices, ``sim-001`` onwards."""

    def __init__(self, count: int, *, seed: int, anomaly_rate: float = 0.0) -> None:
        self.devices = [
            DeviceModel(device_id, seed=seed, anomaly_rate=anomaly_rate)
            for device_id in device_ids(count)
        ]

    def readings_at(self, timestamp: datetime) -> list[SimulatedReading]:
        """One reading of every device, all taken at ``timestamp``."""
        return [device.reading_at(timestamp) for device in self.devices]


def _hour_of_day(timestamp: datetime) -> float:
    utc = timestamp.astimezone(UTC)
    return utc.hour + utc.minute / 60 + utc.second / 3600
