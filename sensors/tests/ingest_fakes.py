"""Fakes for the ingest units: writers that remember what they got, a clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sensors.ingest import Ingest
from sensors.messages import StoreResult

NOW = datetime(2026, 1, 29, 12, 0, tzinfo=UTC)


def payload(seconds: int = 0, **changes) -> bytes:
    document = {
        "temperature": 24.5,
        "vibration": 12.3,
        "gas": 450.0,
        "power": 250.5,
        "timestamp": NOW.timestamp() - 60 + seconds,
    }
    document.update(changes)
    return json.dumps(document).encode()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Refused(Exception):
    """What the fake database says of a value it cannot store (not an outage)."""


class Writers:
    """store / record / answer that can be made to fail: all of them
    (``failing``), or only the readings with a temperature in
    ``poison_temperatures``, the answers whose payload holds
    ``poison_answer_bytes`` and the dead letters whose payload holds
    ``poison_letter_bytes`` (``Refused``). ``answer`` returns ``not_counted``."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.rejected: list = []
        self.answers: list[tuple[str, bytes]] = []
        self.failing: Exception | None = None
        self.keys: set = set()
        self.poison_temperatures: set[float] = set()
        self.poison_answer_bytes: bytes | None = None
        self.poison_letter_bytes: bytes | None = None
        self.not_counted: str | None = None
        self.calls = 0

    def store(self, readings):
        self.calls += 1
        if self.failing:
            raise self.failing
        if any(reading.temperature in self.poison_temperatures for reading in readings):
            raise Refused("CHECK constraint failed")
        self.batches.append(list(readings))
        stored = 0
        for reading in readings:
            key = (reading.device_id, reading.timestamp)
            if key not in self.keys:
                self.keys.add(key)
                stored += 1
        return StoreResult(stored=stored, duplicates=len(readings) - stored)

    def record(self, rejected):
        if self.failing:
            raise self.failing
        if any(_holds(message.payload, self.poison_letter_bytes) for message in rejected):
            raise Refused("invalid byte sequence")
        self.rejected.extend(rejected)

    def answer(self, topic, payload):
        if self.failing:
            raise self.failing
        if _holds(payload, self.poison_answer_bytes):
            raise Refused("JSON_VALID failed")
        self.answers.append((topic, payload))
        return self.not_counted


def _holds(payload: bytes, marker: bytes | None) -> bool:
    return marker is not None and marker in payload


def make_ingest(writers: Writers, clock: Clock, **options) -> Ingest:
    values = {
        "topic_filter": "sensors/+/data",
        "batch_size": 3,
        "max_age": 0.1,
        "max_clock_skew_seconds": 86400,
        "store": writers.store,
        "record": writers.record,
        "answer": writers.answer,
        "answer_filter": "control/+/ack",
        "is_outage": lambda error: not isinstance(error, Refused),
        "clock": clock,
        "wall_clock": lambda: NOW,
    }
    values.update(options)
    return Ingest(**values)
