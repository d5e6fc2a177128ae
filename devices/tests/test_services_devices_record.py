"""devices_record counts stored readings into the registry and merges repeated calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devices.models import Device
from devices.services import devices_record

pytestmark = pytest.mark.django_db

SEEN = datetime(2026, 2, 1, 12, 0, 0, 250000, tzinfo=UTC)
T = datetime(2026, 1, 29, 14, 30, 45, 123456, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def test_a_new_device_gets_its_count_seen_times_and_latest_timestamp() -> None:
    touched = devices_record(readings=[("press-1", at(5)), ("press-1", at(1))], seen_at=SEEN)

    device = Device.objects.get(device_id="press-1")
    assert touched == 1
    assert device.reading_count == 2
    assert device.first_seen == SEEN
    assert device.last_seen == SEEN
    assert device.latest_timestamp == at(5)


def test_nothing_to_record_touches_nothing() -> None:
    assert devices_record(readings=[], seen_at=SEEN) == 0
    assert not Device.objects.exists()


def test_several_devices_in_one_call_are_counted_apart() -> None:
    touched = devices_record(
        readings=[("b", at(1)), ("a", at(3)), ("b", at(2)), ("c", at(0)), ("b", at(0))],
        seen_at=SEEN,
    )

    rows = Device.objects.order_by("device_id").values_list(
        "device_id", "reading_count", "latest_timestamp"
    )
    assert touched == 3
    assert list(rows) == [("a", 1, at(3)), ("b", 3, at(2)), ("c", 1, at(0))]


def test_repeated_calls_add_up_the_counts() -> None:
    devices_record(readings=[("press-1", at(1))], seen_at=SEEN)
    devices_record(readings=[("press-1", at(2)), ("press-1", at(3))], seen_at=SEEN)
    devices_record(readings=[("press-1", at(4)), ("other", at(4))], seen_at=SEEN)

    assert Device.objects.get(device_id="press-1").reading_count == 4
    assert Device.objects.get(device_id="other").reading_count == 1


def test_a_later_call_keeps_first_seen_and_moves_last_seen() -> None:
    devices_record(readings=[("press-1", at(1))], seen_at=SEEN)
    devices_record(readings=[("press-1", at(2))], seen_at=SEEN + timedelta(minutes=5))

    device = Device.objects.get(device_id="press-1")
    assert device.first_seen == SEEN
    assert device.last_seen == SEEN + timedelta(minutes=5)


def test_last_seen_never_moves_back() -> None:
    devices_record(readings=[("press-1", at(1))], seen_at=SEEN)
    devices_record(readings=[("press-1", at(2))], seen_at=SEEN - timedelta(minutes=5))

    device = Device.objects.get(device_id="press-1")
    assert device.last_seen == SEEN
    assert device.first_seen == SEEN


def test_a_late_reading_leaves_the_latest_timestamp_alone() -> None:
    devices_record(readings=[("press-1", at(60))], seen_at=SEEN)
    devices_record(readings=[("press-1", at(-3600))], seen_at=SEEN + timedelta(seconds=1))

    device = Device.objects.get(device_id="press-1")
    assert device.latest_timestamp == at(60)
    assert device.reading_count == 2


def test_a_newer_reading_moves_the_latest_timestamp_to_the_microsecond() -> None:
    devices_record(readings=[("press-1", at(60))], seen_at=SEEN)
    devices_record(readings=[("press-1", at(60.000001))], seen_at=SEEN)

    assert Device.objects.get(device_id="press-1").latest_timestamp == at(60.000001)


def test_a_registry_row_made_before_any_reading_is_filled_in() -> None:
    Device.objects.create(device_id="press-1")

    devices_record(readings=[("press-1", at(7))], seen_at=SEEN)

    device = Device.objects.get(device_id="press-1")
    assert (device.reading_count, device.first_seen, device.last_seen) == (1, SEEN, SEEN)
    assert device.latest_timestamp == at(7)


def test_more_devices_than_one_statement_carries_are_all_recorded() -> None:
    # SQLite takes at most 999 parameters a statement: this needs several.
    many = [(f"dev-{n:04d}", at(n)) for n in range(1200)]

    touched = devices_record(readings=many + many[:10], seen_at=SEEN)

    assert touched == 1200
    assert Device.objects.count() == 1200
    assert Device.objects.get(device_id="dev-0005").reading_count == 2
    assert Device.objects.get(device_id="dev-1199").latest_timestamp == at(1199)
