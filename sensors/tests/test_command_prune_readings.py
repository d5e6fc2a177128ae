"""manage.py prune_readings applies READINGS_RETENTION_DAYS, and says what it did."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sensors.models import SensorReading

pytestmark = pytest.mark.django_db


def add_reading_aged(days: float) -> SensorReading:
    return SensorReading.objects.create(
        device_id="press-1",
        temperature=20.0,
        vibration=1.0,
        gas=400.0,
        power=250.0,
        timestamp=timezone.now() - timedelta(days=days),
    )


def run_prune(**options) -> str:
    out = io.StringIO()
    call_command("prune_readings", stdout=out, **options)
    return out.getvalue()


def test_it_deletes_readings_older_than_the_retention_and_reports_them(settings) -> None:
    # The cutoff is 30 days ago, down to UTC midnight: 31.5 days is always
    # older, 30 days always younger.
    settings.READINGS_RETENTION_DAYS = 30
    for days in (400, 32, 31.5):
        add_reading_aged(days)
    recent = [add_reading_aged(days).id for days in (30, 1, 0)]

    output = run_prune()

    assert sorted(SensorReading.objects.values_list("id", flat=True)) == sorted(recent)
    assert "READINGS_RETENTION_DAYS=30" in output
    assert "Deleted 3 readings" in output


def test_with_retention_off_it_deletes_nothing_and_says_so(settings) -> None:
    settings.READINGS_RETENTION_DAYS = 0
    add_reading_aged(10_000)

    output = run_prune()

    assert SensorReading.objects.count() == 1
    assert "Retention is off" in output


def test_it_reports_its_progress_at_verbosity_2(settings, monkeypatch) -> None:
    monkeypatch.setattr("sensors.retention.PRUNE_CHUNK_ROWS", 2)
    settings.READINGS_RETENTION_DAYS = 1
    for days in (5, 4, 3):
        add_reading_aged(days)

    output = run_prune(verbosity=2)

    assert "2 deleted so far" in output
    assert "3 deleted so far" in output
    assert "Deleted 3 readings" in output
