"""Readings through the real ingest (late, out of order, duplicated, again after a
restart) show up at once, each counted once, in stats, aggregates and the registry."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from sensors.models import IngestWorker, SensorReading
from sensors.tests.ingest_process import open_publisher, start_ingest, wait_until
from sensors.tests.readings_factory import iso

pytestmark = pytest.mark.django_db(transaction=True)

BASE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
METRICS = ["temperature", "vibration", "gas", "power"]


def moment(number: int) -> datetime:
    # 97 s apart, with microseconds: readings spread over minutes and hours.
    return BASE + timedelta(seconds=97 * number, microseconds=number)


def message(number: int, device_id: str = "dev-1") -> tuple[str, bytes]:
    document = {
        "temperature": 1.5 * number - 20,
        "vibration": number % 7,
        "gas": 400.0 + (number * 13) % 17,
        "power": -number / 3,
        "timestamp": moment(number).isoformat(),
    }
    return f"sensors/{device_id}/data", json.dumps(document).encode()


def rows(device_id: str | None = None) -> list[dict]:
    readings = SensorReading.objects.all()
    if device_id is not None:
        readings = readings.filter(device_id=device_id)
    return list(readings.values("device_id", "timestamp", *METRICS))


def brute_stats(readings: list[dict]) -> dict:
    stats: dict = {"count": len(readings)}
    for metric in METRICS:
        values = [r[metric] for r in readings]
        stats[f"avg_{metric}"] = sum(values) / len(values)
        stats[f"min_{metric}"] = min(values)
        stats[f"max_{metric}"] = max(values)
    return stats


def brute_buckets(readings: list[dict], seconds: int, since: datetime, until: datetime) -> dict:
    groups: dict[int, list[dict]] = defaultdict(list)
    for reading in readings:
        if since <= reading["timestamp"] < until:
            unix = int(reading["timestamp"].timestamp())
            groups[unix - unix % seconds].append(reading)
    return {
        iso(datetime.fromtimestamp(start, UTC)): brute_stats(group)
        for start, group in sorted(groups.items())
    }


def assert_same_stats(got: dict, expected: dict) -> None:
    assert got["count"] == expected["count"]
    for key, value in expected.items():
        if key.startswith("avg_"):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), key
        else:
            assert got[key] == value, key


def assert_the_reads_agree_with_the_stored_readings(api: APIClient) -> None:
    everything = rows()
    stats = api.get("/api/sensors/stats").json()["stats"]
    assert_same_stats(stats, brute_stats(everything))
    for device_id in ["dev-1", "dev-2"]:
        mine = rows(device_id)
        stats = api.get("/api/sensors/stats", {"device_id": device_id}).json()["stats"]
        assert_same_stats(stats, brute_stats(mine))
        detail = api.get(f"/api/devices/{device_id}").json()["data"]
        assert detail["reading_count"] == len(mine)
        newest = max(mine, key=lambda r: r["timestamp"])
        assert detail["latest"]["timestamp"] == iso(newest["timestamp"])
        for interval, seconds in [("1m", 60), ("5m", 300), ("1h", 3600)]:
            # Whole hours, and a range whose edges cut minutes.
            for since, until in [
                (BASE - timedelta(hours=1), BASE + timedelta(hours=4)),
                (moment(3) + timedelta(seconds=1), moment(58) - timedelta(seconds=2)),
            ]:
                body = api.get(
                    "/api/sensors/aggregate",
                    {
                        "device_id": device_id,
                        "interval": interval,
                        "since": iso(since),
                        "until": iso(until),
                    },
                ).json()
                expected = brute_buckets(mine, seconds, since, until)
                assert [b["bucket"] for b in body["data"]] == list(expected)
                for bucket in body["data"]:
                    assert_same_stats(bucket, expected[bucket["bucket"]])
    listed = api.get("/api/devices").json()
    assert [(d["device_id"], d["reading_count"]) for d in listed["data"]] == [
        ("dev-1", len(rows("dev-1"))),
        ("dev-2", len(rows("dev-2"))),
    ]


def test_late_out_of_order_and_duplicated_readings_are_counted_once_at_once(
    request, mosquitto, subprocess_env, tmp_path
):
    api = APIClient()
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher = open_publisher(request, mosquitto)
    shuffled = list(range(40, 60))
    random.Random(9).shuffle(shuffled)

    publisher.publish(
        [message(n) for n in range(20, 40)]  # the newest first
        + [message(n) for n in range(0, 20)]  # then late ones, older
        + [message(n) for n in shuffled]  # out of order
        + [message(5), message(25), message(45), message(45)]  # the same payloads again
        + [message(n, "dev-2") for n in (3, 1, 2, 1)]
    )

    wait_until(lambda: SensorReading.objects.count() == 63, what="63 distinct readings")
    assert_the_reads_agree_with_the_stored_readings(api)
    assert len(rows("dev-1")) == 60
    assert ingest.terminate() == 0

    # A new process: the same payloads again, and a few new ones, late and out of order.
    ingest = start_ingest(request, subprocess_env, tmp_path / "ingest.log")
    publisher.publish(
        [message(n) for n in range(0, 10)]
        + [message(n) for n in (64, 60, 62, 61, 63)]
        + [message(1, "dev-2"), message(2, "dev-2"), message(0, "dev-2")]
    )

    wait_until(
        lambda: IngestWorker.objects.filter(pid=ingest.pid, received=18, duplicates=12).exists(),
        what="the restarted ingest counting 12 duplicates of 18",
    )
    assert SensorReading.objects.count() == 69
    assert_the_reads_agree_with_the_stored_readings(api)
    assert api.get("/api/devices/dev-1").json()["data"]["reading_count"] == 65
    assert api.get("/api/devices/dev-2").json()["data"]["reading_count"] == 4
    newest = api.get("/api/devices/dev-1").json()["data"]["latest"]
    assert newest["timestamp"] == iso(moment(64))
    assert ingest.terminate() == 0
