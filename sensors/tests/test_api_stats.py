"""GET /api/sensors/stats, checked against counts, means, minima and maxima computed here."""

from __future__ import annotations

import random
import statistics

import pytest

from sensors.tests.readings_factory import add_reading

pytestmark = pytest.mark.django_db


METRICS = ("temperature", "vibration", "gas", "power")


def expected_stats(rows: list[dict]) -> dict:
    stats: dict = {"count": len(rows)}
    for metric in METRICS:
        stats[f"avg_{metric}"] = statistics.fmean(r[metric] for r in rows)
        stats[f"min_{metric}"] = min(r[metric] for r in rows)
        stats[f"max_{metric}"] = max(r[metric] for r in rows)
    return stats


def add_random_readings(count: int, devices: tuple[str, ...]) -> list[dict]:
    generator = random.Random(7)
    rows = []
    for i in range(count):
        row = {
            "device_id": devices[i % len(devices)],
            "temperature": round(generator.uniform(-40, 120), 3),
            "vibration": round(generator.uniform(0, 50), 3),
            "gas": round(generator.uniform(300, 2000), 3),
            "power": round(generator.uniform(0, 5000), 3),
        }
        add_reading(seconds=i, **row)
        rows.append(row)
    return rows


def test_it_returns_the_count_and_means_of_all_readings(client) -> None:
    rows = add_random_readings(30, ("press-1", "press-2", "lathe-1"))

    response = client.get("/api/sensors/stats")

    assert response.status_code == 200
    body = response.json()
    assert body["device_id"] is None
    assert body["stats"] == pytest.approx(expected_stats(rows), rel=1e-9)


def test_it_returns_the_stats_of_one_device(client) -> None:
    rows = add_random_readings(30, ("press-1", "press-2", "lathe-1"))
    mine = [row for row in rows if row["device_id"] == "press-2"]

    body = client.get("/api/sensors/stats", {"device_id": "press-2"}).json()

    assert body["device_id"] == "press-2"
    assert body["stats"] == pytest.approx(expected_stats(mine), rel=1e-9)


def test_it_returns_null_means_minima_and_maxima_when_there_is_no_reading(client) -> None:
    add_reading("press-1")

    body = client.get("/api/sensors/stats", {"device_id": "press-9"}).json()

    empty = {f"{kind}_{metric}": None for metric in METRICS for kind in ("avg", "min", "max")}
    assert body == {"stats": {"count": 0, **empty}, "device_id": "press-9"}
