"""The one way the API and the MQTT payloads write a moment."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    """``2026-01-29T14:30:45.123456Z``: always UTC, always microseconds."""
    if moment.tzinfo is UTC:  # the usual case, at a third of the cost
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def aware_utc(value: datetime | str) -> datetime:
    """A stored date-time as a driver or a text cast gives it (aware; naive
    UTC, as Django stores it on SQLite and MySQL; or ISO text) as an aware
    UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
