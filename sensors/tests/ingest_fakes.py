"""Fakes for the ingest units: writers that remember what they got, a clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sensors.ingest import Ingest
from sensors.services import StoreResult

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


class Writers:
    """store / record / answer that can be made to fail."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.rejected: list = []
        self.answers: list[tuple[str, bytes]] = []
        self.failing: Exception | None = None
        self.keys: set = set()

    def store(self, readings):
        if self.failing:
            raise self.failing
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
        self.rejected.extend(rejected)

    def answer(self, topic, payload):
        if self.failing:
            raise self.failing
        self.answers.append((topic, payload))


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
        "clock": clock,
        "wall_clock": lambda: NOW,
    }
    values.update(options)
    return Ingest(**values)
