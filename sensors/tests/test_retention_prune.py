"""sensors.retention.readings_prune deletes old readings, in chunks, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sensors import retention
from sensors.models import DeadLetter, SensorReading
from sensors.tests.readings_factory import T0, add_reading

pytestmark = pytest.mark.django_db


def test_it_deletes_the_readings_before_the_cutoff_and_keeps_the_rest(monkeypatch) -> None:
    monkeypatch.setattr(retention, "PRUNE_CHUNK_ROWS", 4)
    for i in range(11):
        add_reading(f"press-{i % 3}", seconds=i)
    kept = [add_reading(f"press-{i % 3}", seconds=i).id for i in range(11, 15)]
    chunks: list[int] = []

    deleted = retention.readings_prune(
        older_than=T0 + timedelta(seconds=11), on_chunk=chunks.append
    )

    assert deleted == 11
    assert chunks == [4, 4, 3]
    assert sorted(SensorReading.objects.values_list("id", flat=True)) == kept


def test_readings_sharing_the_timestamp_of_a_chunk_edge_are_all_deleted(monkeypatch) -> None:
    monkeypatch.setattr(retention, "PRUNE_CHUNK_ROWS", 3)
    for device in range(7):
        add_reading(f"press-{device}", seconds=0)
    newer = add_reading("press-1", seconds=60)

    deleted = retention.readings_prune(older_than=T0 + timedelta(seconds=1))

    assert deleted == 7
    assert list(SensorReading.objects.values_list("id", flat=True)) == [newer.id]


def test_the_cutoff_itself_is_kept() -> None:
    at_cutoff = add_reading(seconds=10)

    assert retention.readings_prune(older_than=at_cutoff.timestamp) == 0
    assert SensorReading.objects.count() == 1


def test_it_does_nothing_on_an_empty_table() -> None:
    assert retention.readings_prune(older_than=T0) == 0


def test_it_leaves_other_tables_alone() -> None:
    DeadLetter.objects.create(
        topic="sensors/x/data", payload="{}", payload_size=2, reason="test", received_at=T0
    )
    add_reading(seconds=0)

    retention.readings_prune(older_than=T0 + timedelta(days=1))

    assert DeadLetter.objects.count() == 1


def test_the_cutoff_is_the_given_number_of_days_before_now_down_to_utc_midnight() -> None:
    now = datetime(2026, 11, 30, 17, 45, 12, 345, tzinfo=UTC)

    assert retention.retention_cutoff(days=30, now=now) == datetime(2026, 10, 31, tzinfo=UTC)


def test_pruned_readings_still_answer_stats_from_the_rollups_and_survive_a_rebuild(client):
    from django.core.management import call_command

    add_reading("press-1", seconds=0, temperature=10.0)
    add_reading("press-1", seconds=2 * 86400, temperature=30.0)
    before = client.get("/api/sensors/stats", {"device_id": "press-1"}).json()["stats"]
    cutoff = retention.retention_cutoff(days=0, now=T0 + timedelta(days=1))

    retention.readings_prune(older_than=cutoff)
    call_command("rebuild_rollups")

    assert SensorReading.objects.count() == 1
    after = client.get("/api/sensors/stats", {"device_id": "press-1"}).json()["stats"]
    assert after == before
    assert (after["count"], after["min_temperature"]) == (2, 10.0)
    device = client.get("/api/devices/press-1").json()["data"]
    assert device["reading_count"] == 2
