"""The one way the API and the MQTT payloads write a moment."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    """``2026-01-29T14:30:45.123456Z``: always UTC, always microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
